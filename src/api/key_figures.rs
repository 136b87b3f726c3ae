//! `/api/v1/key-figures`: staff key figures (nyckeltal) of a nämnd per year,
//! with values for totalt (T), kvinnor (K) and män (M), and the table a
//! report prints (this year and last year side by side).

use crate::api::common::ApiQuery;
use crate::error::ServiceError;
use actix_web::{HttpResponse, delete, get, patch, post};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{Input, Page, PageParams};
use super::resource::authorized_namnd;
use super::resource::{Create, Ctx, Patch};
use super::volume_measures::page_of_readable_namnder;
use crate::service::checks::{check_at_most, check_figure, check_text};
use crate::{
    auth::Action,
    entity::{key_figure, namnd},
    error::{ApiError, FieldError},
    service::key_figures,
};

pub use crate::domain::structure::KeyFigureUnit;

/// A staff key figure of a nämnd for one year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "namnd": "VON", "name": "Årsarbetare, antal omräknade heltider", "unit": "antal",
    "year": 2024, "measured": "1/1-31/12", "t": 1332.5, "k": 1061.7, "m": 270.8,
    "position": 7, "version": 1,
    "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct KeyFigureDto {
    pub id: Uuid,
    pub namnd_id: Uuid,
    /// Code of the nämnd (read-only).
    pub namnd: String,
    pub name: String,
    pub unit: KeyFigureUnit,
    pub year: i32,
    /// Measurement date or range as printed ("30-nov", "1/12–30/11"); null when none.
    pub measured: Option<String>,
    /// Totalt.
    #[serde(with = "super::decimal::option")]
    pub t: Option<Decimal>,
    /// Kvinnor.
    #[serde(with = "super::decimal::option")]
    pub k: Option<Decimal>,
    /// Män.
    #[serde(with = "super::decimal::option")]
    pub m: Option<Decimal>,
    /// Order within the nämnd's table.
    pub position: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl KeyFigureDto {
    fn from_model(model: key_figure::Model, namnd_code: &str) -> Result<Self, ApiError> {
        Ok(KeyFigureDto {
            unit: model.unit,
            t: key_figures::decimal_of(&model.value_t)?,
            k: key_figures::decimal_of(&model.value_k)?,
            m: key_figures::decimal_of(&model.value_m)?,
            measured: Some(model.measured).filter(|s| !s.is_empty()),
            id: model.id,
            namnd_id: model.namnd_id,
            namnd: namnd_code.to_string(),
            name: model.name,
            year: model.year,
            position: model.position,
            version: model.version,
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

/// A new key figure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "name": "Månadsanställda, antal", "unit": "antal", "year": 2024, "measured": "30-nov",
    "t": 1231, "k": 1012, "m": 219
}))]
pub struct CreateKeyFigure {
    pub namnd_id: Uuid,
    /// 1–200 characters; unique per nämnd and year.
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    pub unit: KeyFigureUnit,
    /// 1900–2200.
    #[schema(minimum = 1900, maximum = 2200)]
    pub year: i32,
    /// Measurement date or range, at most 60 characters.
    #[schema(max_length = 60)]
    pub measured: Option<String>,
    /// Totalt: a number or numeric string, exact.
    #[serde(default, deserialize_with = "super::decimal::option::deserialize")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub t: Option<Decimal>,
    /// Kvinnor.
    #[serde(default, deserialize_with = "super::decimal::option::deserialize")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub k: Option<Decimal>,
    /// Män.
    #[serde(default, deserialize_with = "super::decimal::option::deserialize")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub m: Option<Decimal>,
    /// Placed last among the nämnd's figures of the year when left out.
    pub position: Option<i32>,
}

/// `null` clears a value; absent leaves it.
fn patch_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Decimal>>, D::Error> {
    super::decimal::option::deserialize(d).map(Some)
}

/// Changes to a key figure; fields left out stay as they are, `null` clears a value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"t": 96.5, "k": 96.1, "m": null}))]
pub struct UpdateKeyFigure {
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    pub unit: Option<KeyFigureUnit>,
    #[schema(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
    /// Empty text clears it.
    #[schema(max_length = 60)]
    pub measured: Option<String>,
    #[serde(default, deserialize_with = "patch_decimal")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub t: Option<Option<Decimal>>,
    #[serde(default, deserialize_with = "patch_decimal")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub k: Option<Option<Decimal>>,
    #[serde(default, deserialize_with = "patch_decimal")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub m: Option<Option<Decimal>>,
    pub position: Option<i32>,
}

fn check_year(year: i32, errors: &mut Vec<FieldError>) {
    if !(1900..=2200).contains(&year) {
        errors.push(FieldError::new("year", "must be between 1900 and 2200"));
    }
}

fn check_measured(measured: Option<&String>, errors: &mut Vec<FieldError>) {
    let measured = measured.map(|m| m.trim());
    check_at_most("measured", measured, 60, errors);
}

impl Input for CreateKeyFigure {
    const READ_ONLY: &'static [&'static str] =
        &["id", "namnd", "version", "created_at", "updated_at"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text("name", &self.name, 200, &mut errors);
        check_year(self.year, &mut errors);
        check_measured(self.measured.as_ref(), &mut errors);
        check_figure("t", self.t, &mut errors);
        check_figure("k", self.k, &mut errors);
        check_figure("m", self.m, &mut errors);
        errors
    }
}

impl Input for UpdateKeyFigure {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "namnd",
        "namnd_id",
        "version",
        "created_at",
        "updated_at",
    ];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            check_text("name", name, 200, &mut errors);
        }
        if let Some(year) = self.year {
            check_year(year, &mut errors);
        }
        check_measured(self.measured.as_ref(), &mut errors);
        check_figure("t", self.t.flatten(), &mut errors);
        check_figure("k", self.k.flatten(), &mut errors);
        check_figure("m", self.m.flatten(), &mut errors);
        errors
    }
}

/// One row of a report's staff table: this year's and last year's values.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "Årsarbetare, antal omräknade heltider", "unit": "antal", "measured": "1/1-31/12",
    "t": 1332.5, "k": 1061.7, "m": 270.8,
    "t_foregaende_ar": 1296.7, "k_foregaende_ar": 1044.1, "m_foregaende_ar": 252.6
}))]
pub struct KeyFigureRow {
    pub name: String,
    pub unit: KeyFigureUnit,
    /// This year's measurement date or range (last year's when only that exists).
    pub measured: Option<String>,
    /// Totalt, this year.
    #[serde(with = "super::decimal::option")]
    pub t: Option<Decimal>,
    /// Kvinnor, this year.
    #[serde(with = "super::decimal::option")]
    pub k: Option<Decimal>,
    /// Män, this year.
    #[serde(with = "super::decimal::option")]
    pub m: Option<Decimal>,
    /// Totalt, last year.
    #[serde(with = "super::decimal::option")]
    pub t_foregaende_ar: Option<Decimal>,
    /// Kvinnor, last year.
    #[serde(with = "super::decimal::option")]
    pub k_foregaende_ar: Option<Decimal>,
    /// Män, last year.
    #[serde(with = "super::decimal::option")]
    pub m_foregaende_ar: Option<Decimal>,
}

impl From<key_figures::KeyFigureRow> for KeyFigureRow {
    fn from(r: key_figures::KeyFigureRow) -> Self {
        KeyFigureRow {
            name: r.name,
            unit: r.unit,
            measured: r.measured,
            t: r.t,
            k: r.k,
            m: r.m,
            t_foregaende_ar: r.t_foregaende_ar,
            k_foregaende_ar: r.k_foregaende_ar,
            m_foregaende_ar: r.m_foregaende_ar,
        }
    }
}

/// A nämnd's staff table for a year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON", "year": 2024,
    "items": [{
        "name": "Månadsanställda, antal", "unit": "antal", "measured": "30-nov",
        "t": 1231, "k": 1012, "m": 219,
        "t_foregaende_ar": 1230, "k_foregaende_ar": 1003, "m_foregaende_ar": 224
    }]
}))]
pub struct KeyFigureTable {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub year: i32,
    /// By position, then name.
    pub items: Vec<KeyFigureRow>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyFigureQuery {
    /// Only the figures of the nämnd with this code.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Only the figures of this nämnd.
    pub namnd_id: Option<Uuid>,
    /// Only this year.
    #[param(example = 2024)]
    pub year: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyFigureTableQuery {
    /// Code of the nämnd (or give `namnd_id`).
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Id of the nämnd (or give `namnd`).
    pub namnd_id: Option<Uuid>,
    /// The report year; last year's values come alongside.
    #[param(example = 2024, minimum = 1900, maximum = 2200)]
    pub year: i32,
}

/// List key figures of the nämnder you may see.
#[utoipa::path(
    tag = "key-figures",
    params(KeyFigureQuery, PageParams),
    responses((status = 200, description = "One page of key figures, in creation order", body = Page<KeyFigureDto>))
)]
#[get("/key-figures")]
pub async fn list_key_figures(
    cx: Ctx,
    query: ApiQuery<KeyFigureQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let page = page.parse()?;
    let filter = key_figures::KeyFigureFilter { year: query.year };
    let db = &state.db;
    page_of_readable_namnder(
        &state,
        &principal,
        (query.namnd.as_deref(), query.namnd_id),
        |kommun_id, ids: Vec<Uuid>| async move {
            key_figures::list(db, kommun_id, &ids, &filter, &page).await
        },
        |m: &key_figure::Model| m.namnd_id,
        KeyFigureDto::from_model,
    )
    .await
}

/// A nämnd's staff table for a year with last year's values alongside, as
/// the reports print it.
#[utoipa::path(
    tag = "key-figures",
    params(KeyFigureTableQuery),
    responses(
        (status = 200, description = "The table", body = KeyFigureTable),
        (status = 422, description = "Neither namnd nor namnd_id, or two that name different nämnder", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/key-figures/table")]
pub async fn key_figure_table(
    cx: Ctx,
    query: ApiQuery<KeyFigureTableQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let kommun_id = principal.require_kommun()?;
    let namnd_id = match (&query.namnd, query.namnd_id) {
        (Some(code), given) => {
            let id = namnd::Entity::find()
                .filter(namnd::Column::KommunId.eq(kommun_id))
                .filter(namnd::Column::Code.eq(code.as_str()))
                .one(&state.db)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("no nämnd with code {code}")))?
                .id;
            if given.is_some_and(|given| given != id) {
                return Err(ApiError::validation(
                    "namnd_id",
                    "names another nämnd than namnd; give one of them",
                ));
            }
            id
        }
        (None, Some(id)) => id,
        (None, None) => {
            return Err(ApiError::validation(
                "namnd",
                "give namnd (the code) or namnd_id",
            ));
        }
    };
    if !(1900..=2200).contains(&query.year) {
        return Err(ApiError::validation(
            "year",
            "must be between 1900 and 2200",
        ));
    }
    let namnd = authorized_namnd(&state.db, &principal, kommun_id, namnd_id, Action::Read).await?;
    let items = key_figures::key_figure_rows(&state.db, kommun_id, namnd.id, query.year)
        .await?
        .into_iter()
        .map(KeyFigureRow::from)
        .collect();
    Ok(HttpResponse::Ok().json(KeyFigureTable {
        namnd_id: namnd.id,
        namnd: namnd.code,
        year: query.year,
        items,
    }))
}

impl Create<CreateKeyFigure> for KeyFigures {
    async fn create(
        cx: &Ctx,
        body: CreateKeyFigure,
    ) -> Result<(key_figure::Model, namnd::Model), ApiError> {
        let namnd = cx.namnd(body.namnd_id, Action::Create).await?;
        let new = key_figures::NewKeyFigure {
            namnd_id: namnd.id,
            name: body.name.trim().to_string(),
            unit: body.unit,
            year: body.year,
            measured: body.measured.unwrap_or_default().trim().to_string(),
            t: body.t,
            k: body.k,
            m: body.m,
            position: body.position,
        };
        let model = cx.create_row(new).await?;
        Ok((model, namnd))
    }
}

crate::api::resource::namnd_item!(KeyFigures, key_figure, KeyFigureDto);

impl Patch<UpdateKeyFigure> for KeyFigures {
    async fn patch(
        cx: &Ctx,
        (current, namnd): (key_figure::Model, namnd::Model),
        body: UpdateKeyFigure,
    ) -> Result<(key_figure::Model, namnd::Model), ApiError> {
        let changes = key_figures::KeyFigureChanges {
            name: body.name.map(|n| n.trim().to_string()),
            unit: body.unit,
            year: body.year,
            measured: body.measured.map(|m| m.trim().to_string()),
            t: body.t,
            k: body.k,
            m: body.m,
            position: body.position,
        };
        let actor = cx.actor()?;
        let model =
            crate::service::write::patch(cx.db(), &actor, current.id, current.version, changes)
                .await?;
        Ok((model, namnd))
    }
}

crate::api::resource::item_routes! {
    KeyFigures, KeyFigureDto, "key-figures", "/key-figures/{id}", "Key figure id";
    create: /// Create a key figure (admin, kommunledning, integration, the nämnd's redaktör).
        create_key_figure(CreateKeyFigure) "/key-figures" "Created", 409 "The nämnd already has a key figure with this name for the year; names `name`", 422 "Invalid";
    get: /// Read one key figure.
        get_key_figure "The key figure";
    patch: /// Change a key figure. Needs `If-Match`.
        update_key_figure(UpdateKeyFigure) "Changed", 422 "Invalid", 409 "The nämnd already has a key figure with this name for the year; names `name`";
    delete: /// Delete a key figure. Needs `If-Match`.
        delete_key_figure "Deleted", 409 "Its month is closed (a decided report holds it)";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The table before `{id}`, so "table" is not taken for an id.
    cfg.service(list_key_figures).service(key_figure_table);
    item_services(cfg);
}
