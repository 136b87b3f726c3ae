//! `/api/v1/kommuner`: the tenant. A token sees only its own kommun; an
//! admin creates its kommun once (bootstrap) and may rename it.

use crate::api::common::ApiQuery;
use crate::error::ServiceError;
use actix_web::{HttpResponse, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{ApiJson, Input, Page, PageParams, actor, created};
use crate::api::resource::{Ctx, Item, Patch, kommun_target};
use crate::service::checks::check_text;
use crate::{
    auth::{Action, Target, authorize},
    domain::structure::KommunKod,
    entity::kommun,
    error::{ApiError, FieldError},
    service::{crud, kommuner},
};

/// A kommun (the tenant).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607180", "code": "0483", "name": "Katrineholms kommun",
    "version": 1, "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct KommunDto {
    pub id: Uuid,
    /// SCB kommunkod.
    pub code: String,
    pub name: String,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<kommun::Model> for KommunDto {
    fn from(m: kommun::Model) -> Self {
        KommunDto {
            id: m.id,
            code: m.code,
            name: m.name,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Creates the kommun named in your token (admin only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "0483", "name": "Katrineholms kommun"}))]
pub struct CreateKommun {
    /// SCB kommunkod: four digits; must be the kommun of your token.
    #[schema(pattern = r"^[0-9]{4}$")]
    pub code: String,
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
}

/// Renames a kommun; its code never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Katrineholms kommun"}))]
pub struct UpdateKommun {
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
}

fn check_name(name: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("name", name, 200, &mut errors);
    errors
}

impl Input for CreateKommun {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = check_name(&self.name);
        if let Err(e) = KommunKod::parse(&self.code) {
            errors.insert(0, FieldError::new("code", e));
        }
        errors
    }
}

impl Input for UpdateKommun {
    const READ_ONLY: &'static [&'static str] =
        &["id", "code", "version", "created_at", "updated_at"];
    fn validate(&self) -> Vec<FieldError> {
        check_name(&self.name)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KommunQuery {
    /// Only the kommun with this kommunkod.
    #[param(example = "0483")]
    pub code: Option<String>,
}

/// List kommuner: your own, the only one a token can see.
#[utoipa::path(
    tag = "kommuner",
    params(KommunQuery, PageParams),
    responses((status = 200, description = "Your kommun, when it exists", body = Page<KommunDto>))
)]
#[get("/kommuner")]
pub async fn list_kommuner(
    cx: Ctx,
    query: ApiQuery<KommunQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    page.parse()?;
    let wanted = query
        .code
        .as_deref()
        .is_none_or(|c| c == principal.kommun_code);
    let items = match principal.kommun_id {
        Some(id) if wanted => {
            authorize(&principal, Action::Read, kommun_target(&principal))?;
            vec![KommunDto::from(
                crud::get::<kommun::Entity>(&state.db, id, id).await?,
            )]
        }
        _ => vec![],
    };
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Create the kommun of your token (admin; once).
#[utoipa::path(
    tag = "kommuner",
    request_body = CreateKommun,
    responses(
        (status = 201, description = "Created", body = KommunDto, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "A kommun with this code already exists; names `code`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid code", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/kommuner")]
pub async fn create_kommun(cx: Ctx, body: ApiJson<CreateKommun>) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let body = body.0;
    if body.code != principal.kommun_code {
        return Err(ServiceError::Forbidden(
            "a token may only create its own kommun (the kommun claim)".into(),
        )
        .into());
    }
    authorize(
        &principal,
        Action::Create,
        Target::Kommun { code: &body.code },
    )?;
    let code = KommunKod::parse(&body.code).map_err(|e| ApiError::validation("code", e))?;
    let actor = actor(&req, &principal, Uuid::now_v7());
    let model = kommuner::create(&state.db, &actor, &code, body.name.trim()).await?;
    let dto = KommunDto::from(model);
    Ok(created(&req, dto.version, dto.id, &dto))
}

/// The caller's own kommun, the only one a token sees.
pub struct Kommuner;

impl Item for Kommuner {
    type Current = kommun::Model;
    type Dto = KommunDto;
    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<kommun::Model, ApiError> {
        let own = cx.principal.require_kommun()?;
        if id != own {
            return Err(crud::not_found::<kommun::Entity>(id).into());
        }
        cx.check(action, kommun_target)?;
        Ok(crud::get::<kommun::Entity>(cx.db(), own, own).await?)
    }
    fn id(current: &kommun::Model) -> Uuid {
        current.id
    }
    fn version(current: &kommun::Model) -> i32 {
        current.version
    }
    async fn dto(_: &Ctx, current: kommun::Model) -> Result<KommunDto, ApiError> {
        Ok(KommunDto::from(current))
    }
}

impl Patch<UpdateKommun> for Kommuner {
    async fn patch(
        cx: &Ctx,
        current: kommun::Model,
        body: UpdateKommun,
    ) -> Result<kommun::Model, ApiError> {
        let changes = kommuner::KommunChanges {
            name: body.name.trim().to_string(),
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    Kommuner, KommunDto, "kommuner", "/kommuner/{id}", "Kommun id";
    get: /// Read your kommun.
        get_kommun "The kommun";
    patch: /// Rename your kommun (admin). Needs `If-Match`.
        update_kommun(UpdateKommun) "Renamed", 422 "Invalid name, or an attempt to change the code";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_kommuner).service(create_kommun);
    item_services(cfg);
}
