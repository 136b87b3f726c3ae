//! `/api/v1/namnder`: the nämnder, styrelser and bolag of the caller's kommun.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::StatusCode, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{
    ApiJson, Input, Page, PageParams, actor, check_if_match, created, encode_cursor, versioned,
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::structure::{NamndCode, NamndKind},
    entity::namnd,
    error::{ApiError, FieldError},
    service::{crud, namnder},
    state::AppState,
};

/// A nämnd, styrelse or bolag.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "kommun": "0483", "code": "VON",
    "name": "Vård- och omsorgsnämnden", "kind": "namnd", "version": 1,
    "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct NamndDto {
    pub id: Uuid,
    /// Kommunkod of the tenant.
    pub kommun: String,
    pub code: String,
    pub name: String,
    pub kind: NamndKind,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl NamndDto {
    fn from_model(model: namnd::Model, kommun: &str) -> Self {
        NamndDto {
            kind: model.kind,
            id: model.id,
            kommun: kommun.to_string(),
            code: model.code,
            name: model.name,
            version: model.version,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// A new nämnd.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "VON", "name": "Vård- och omsorgsnämnden", "kind": "namnd"}))]
pub struct CreateNamnd {
    /// 1–20 characters: upper-case letters, digits, `/` and `-`; unique in the kommun.
    #[schema(max_length = 20, pattern = r"^[A-Z0-9ÅÄÖ][A-Z0-9ÅÄÖ/-]*$")]
    pub code: String,
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    pub kind: NamndKind,
}

/// Changes to a nämnd; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Vård- och omsorgsnämnden"}))]
pub struct UpdateNamnd {
    #[schema(max_length = 20, pattern = r"^[A-Z0-9ÅÄÖ][A-Z0-9ÅÄÖ/-]*$")]
    pub code: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    pub kind: Option<NamndKind>,
}

fn check_code(code: &str, errors: &mut Vec<FieldError>) {
    if let Err(e) = NamndCode::parse(code) {
        errors.push(FieldError::new("code", e));
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1–200 characters"));
    }
}

impl Input for CreateNamnd {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_code(&self.code, &mut errors);
        check_name(&self.name, &mut errors);
        errors
    }
}

impl Input for UpdateNamnd {
    const READ_ONLY: &'static [&'static str] =
        &["id", "kommun", "version", "created_at", "updated_at"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(code) = &self.code {
            check_code(code, &mut errors);
        }
        if let Some(name) = &self.name {
            check_name(name, &mut errors);
        }
        errors
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NamndQuery {
    /// Only the nämnd with this code, e.g. `VON` or `KS/KLF`.
    #[param(example = "VON")]
    pub code: Option<String>,
    /// Only this kind.
    pub kind: Option<NamndKind>,
}

fn structure(principal: &Principal) -> Target<'_> {
    Target::Structure {
        kommun: &principal.kommun_code,
    }
}

/// List the nämnder of your kommun.
#[utoipa::path(
    tag = "namnder",
    params(NamndQuery, PageParams),
    responses((status = 200, description = "One page of nämnder", body = Page<NamndDto>))
)]
#[get("/namnder")]
pub async fn list_namnder(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<NamndQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, structure(&principal))?;
    let page = page.parse()?;
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(HttpResponse::Ok().json(Page::<NamndDto> {
            items: vec![],
            next_cursor: None,
        }));
    };
    let filter = namnder::NamndFilter {
        code: query.code.clone(),
        kind: query.kind,
    };
    let (rows, next) = namnder::list(&state.db, kommun_id, &filter, &page).await?;
    let items = rows
        .into_iter()
        .map(|m| NamndDto::from_model(m, &principal.kommun_code))
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    }))
}

/// Create a nämnd (admin, kommunledning).
#[utoipa::path(
    tag = "namnder",
    request_body = CreateNamnd,
    responses(
        (status = 201, description = "Created", body = NamndDto, headers(("ETag" = String), ("Location" = String))),
        (status = 422, description = "Invalid or duplicate code", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/namnder")]
pub async fn create_namnd(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    body: ApiJson<CreateNamnd>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Create, structure(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let body = body.0;
    let new = namnder::NewNamnd {
        code: NamndCode::parse(&body.code).map_err(|e| ApiError::validation("code", e))?,
        name: body.name.trim().to_string(),
        kind: body.kind,
    };
    let model = namnder::create(&state.db, &actor(&req, &principal, kommun_id), new).await?;
    let dto = NamndDto::from_model(model, &principal.kommun_code);
    Ok(created(&req, dto.version, dto.id, &dto))
}

/// Read one nämnd.
#[utoipa::path(
    tag = "namnder",
    params(("id" = Uuid, Path, description = "Nämnd id")),
    responses(
        (status = 200, description = "The nämnd", body = NamndDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/namnder/{id}")]
pub async fn get_namnd(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, structure(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let model = crud::get::<namnd::Entity>(&state.db, kommun_id, *id).await?;
    let dto = NamndDto::from_model(model, &principal.kommun_code);
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Change a nämnd (admin, kommunledning). Needs `If-Match`.
#[utoipa::path(
    tag = "namnder",
    request_body = UpdateNamnd,
    params(
        ("id" = Uuid, Path, description = "Nämnd id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\""),
    ),
    responses(
        (status = 200, description = "Changed", body = NamndDto, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or duplicate code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/namnder/{id}")]
pub async fn update_namnd(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateNamnd>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Update, structure(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<namnd::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    let body = body.0;
    let changes = namnder::NamndChanges {
        code: body
            .code
            .map(|c| NamndCode::parse(&c))
            .transpose()
            .map_err(|e| ApiError::validation("code", e))?,
        name: body.name.map(|n| n.trim().to_string()),
        kind: body.kind,
    };
    let actor = actor(&req, &principal, kommun_id);
    let model = namnder::update(&state.db, &actor, &current, current.version, changes).await?;
    let dto = NamndDto::from_model(model, &principal.kommun_code);
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Delete a nämnd that nothing refers to (admin, kommunledning). Needs `If-Match`.
#[utoipa::path(
    tag = "namnder",
    params(
        ("id" = Uuid, Path, description = "Nämnd id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Reports or figures still refer to it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/namnder/{id}")]
pub async fn delete_namnd(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Delete, structure(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<namnd::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    let actor = actor(&req, &principal, kommun_id);
    crud::delete_audited::<namnd::Entity>(&state.db, &actor, &current, current.version).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_namnder)
        .service(create_namnd)
        .service(get_namnd)
        .service(update_namnd)
        .service(delete_namnd);
}
