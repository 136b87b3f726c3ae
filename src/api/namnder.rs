//! `/api/v1/namnder`: the nämnder, styrelser and bolag of the caller's kommun.

use crate::api::common::ApiQuery;
use crate::api::resource::structure_target;
use actix_web::{HttpResponse, delete, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{Input, Page, PageParams},
    resource::{self, Create, Ctx, Patch, empty_page},
};
use crate::service::checks::check_text;
use crate::{
    auth::Action,
    domain::structure::{NamndCode, NamndKind},
    entity::namnd,
    error::{ApiError, FieldError},
    service::namnder,
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

impl Input for CreateNamnd {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_code(&self.code, &mut errors);
        check_text("name", &self.name, 200, &mut errors);
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
            check_text("name", name, 200, &mut errors);
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

/// List the nämnder of your kommun.
#[utoipa::path(
    tag = "namnder",
    params(NamndQuery, PageParams),
    responses((status = 200, description = "One page of nämnder", body = Page<NamndDto>))
)]
#[get("/namnder")]
pub async fn list_namnder(
    cx: Ctx,
    query: ApiQuery<NamndQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(structure_target, &page)? else {
        return Ok(empty_page::<NamndDto>());
    };
    let filter = namnder::NamndFilter {
        code: query.code.clone(),
        kind: query.kind,
    };
    let (rows, next) = namnder::list(cx.db(), kommun_id, &filter, &page).await?;
    let kommun = &cx.principal.kommun_code;
    let items = rows.into_iter().map(|m| NamndDto::from_model(m, kommun));
    Ok(resource::page(items.collect(), next))
}

impl Create<CreateNamnd> for Namnder {
    async fn create(cx: &Ctx, body: CreateNamnd) -> Result<namnd::Model, ApiError> {
        cx.authorized(Action::Create, structure_target)?;
        let new = namnder::NewNamnd {
            code: NamndCode::parse(&body.code).map_err(|e| ApiError::validation("code", e))?,
            name: body.name.trim().to_string(),
            kind: body.kind,
        };
        cx.create_row(new).await
    }
}

crate::api::resource::row_item!(
    Namnder,
    namnd,
    NamndDto,
    structure_target,
    dto = |cx, m| Ok(NamndDto::from_model(m, &cx.principal.kommun_code)),
    delete
);

impl Patch<UpdateNamnd> for Namnder {
    async fn patch(
        cx: &Ctx,
        current: namnd::Model,
        body: UpdateNamnd,
    ) -> Result<namnd::Model, ApiError> {
        let changes = namnder::NamndChanges {
            code: body
                .code
                .map(|c| NamndCode::parse(&c))
                .transpose()
                .map_err(|e| ApiError::validation("code", e))?,
            name: body.name.map(|n| n.trim().to_string()),
            kind: body.kind,
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    Namnder, NamndDto, "namnder", "/namnder/{id}", "Nämnd id";
    create: /// Create a nämnd (admin, kommunledning).
        create_namnd(CreateNamnd) "/namnder" "Created", 409 "Another nämnd of your kommun has this code; names `code`", 422 "Invalid";
    get: /// Read one nämnd.
        get_namnd "The nämnd";
    patch: /// Change a nämnd (admin, kommunledning). Needs `If-Match`.
        update_namnd(UpdateNamnd) "Changed", 422 "Invalid", 409 "Another nämnd of your kommun has this code; names `code`";
    delete: /// Delete a nämnd that nothing refers to (admin, kommunledning). Needs `If-Match`.
        delete_namnd "Deleted", 409 "Reports or figures still refer to it";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_namnder);
    item_services(cfg);
}
