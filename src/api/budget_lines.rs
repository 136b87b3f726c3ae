//! `/api/v1/budget-lines`: verksamhetsområden (drift) and huvudprojekt
//! (investering) of a nämnd, with their values per month or whole period.

use crate::api::common::ApiQuery;
use crate::api::resource::namnd_figures;
use crate::error::ServiceError;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{ApiJson, Input, Page, PageParams, double_option, encode_cursor},
    values::{ValueInput, ValueOutput, output_of, to_writes},
};
use crate::api::resource::{Create, Ctx, Delete, Item, Patch};
use crate::{
    auth::{Action, authorize},
    domain::{BudgetLineKind, YearMonth},
    entity::{budget_line, namnd},
    error::{ApiError, FieldError},
    service::{budget_lines, crud},
};

/// A row of the drift- or investeringsredovisning.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "namnd": "VON", "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg", "parent_id": null,
    "planned_completion": null, "position": 2, "version": 1,
    "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct BudgetLineDto {
    pub id: Uuid,
    pub namnd_id: Uuid,
    /// Code of the nämnd.
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// For projects: planned completion, `YYYY-MM`.
    pub planned_completion: Option<String>,
    pub position: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub fn format_month(key: i32) -> String {
    format!("{:04}-{:02}", key / 100, key % 100)
}

impl BudgetLineDto {
    fn new(m: budget_line::Model, namnd: &str) -> Self {
        BudgetLineDto {
            kind: m.kind,
            id: m.id,
            namnd_id: m.namnd_id,
            namnd: namnd.to_string(),
            code: m.code,
            name: m.name,
            parent_id: m.parent_id,
            planned_completion: m.planned_completion.map(format_month),
            position: m.position,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A new budget line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"}))]
pub struct CreateBudgetLine {
    pub namnd_id: Uuid,
    pub kind: BudgetLineKind,
    /// Unique per nämnd and kind (e.g. an RS verksamhetskod or a project number).
    #[schema(max_length = 40, pattern = r"^([^\s\x00]|[^\s\x00][^\x00]*[^\s\x00])$")]
    pub code: String,
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// `YYYY-MM`, a year 1900–2200.
    #[schema(pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$")]
    pub planned_completion: Option<String>,
    pub position: Option<i32>,
}

/// Changes to a budget line; `parent_id: null` makes it a top-level line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Äldreomsorg", "parent_id": null}))]
pub struct UpdateBudgetLine {
    #[schema(max_length = 40, pattern = r"^([^\s\x00]|[^\s\x00][^\x00]*[^\s\x00])$")]
    pub code: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$")]
    pub planned_completion: Option<Option<String>>,
    pub position: Option<i32>,
}

pub use crate::service::line_input::{check_code, check_name};

pub fn parse_completion(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<YearMonth> {
    let text = text?;
    match text.parse::<YearMonth>() {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(FieldError::new(field, format!("{e}; expected YYYY-MM")));
            None
        }
    }
}

impl Input for CreateBudgetLine {
    const READ_ONLY: &'static [&'static str] =
        &["id", "namnd", "version", "created_at", "updated_at"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_code(&self.code, "code", &mut errors);
        check_name(&self.name, "name", &mut errors);
        parse_completion(
            self.planned_completion.as_deref(),
            "planned_completion",
            &mut errors,
        );
        errors
    }
}

impl Input for UpdateBudgetLine {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "namnd",
        "namnd_id",
        "kind",
        "version",
        "created_at",
        "updated_at",
    ];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(code) = &self.code {
            check_code(code, "code", &mut errors);
        }
        if let Some(name) = &self.name {
            check_name(name, "name", &mut errors);
        }
        if let Some(Some(m)) = &self.planned_completion {
            parse_completion(Some(m), "planned_completion", &mut errors);
        }
        errors
    }
}

/// Values to write to one line, all or nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"values": [
    {"measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -29814000},
    {"measure": "utfall", "month": "2024-01", "amount": -1650000},
    {"measure": "prognos", "made_at": "2024-08", "amount": -21000000}
]}))]
pub struct PutValues {
    /// The source writes costs as positive numbers; they are turned into the
    /// result convention (costs negative) before storing.
    #[serde(default)]
    pub costs_positive: bool,
    pub values: Vec<ValueInput>,
}

impl Input for PutValues {
    const READ_ONLY: &'static [&'static str] =
        &["avvikelse", "avvikelse_procent", "prognos_avvikelse"];
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetLineQuery {
    /// Only lines of the nämnd with this code.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    pub kind: Option<BudgetLineKind>,
    #[param(example = "aldreomsorg")]
    pub code: Option<String>,
}

/// A budget line with its nämnd, authorised through the nämnd's figures.
pub struct BudgetLines;

impl Item for BudgetLines {
    type Current = (budget_line::Model, namnd::Model);
    type Dto = BudgetLineDto;

    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<Self::Current, ApiError> {
        let kommun_id = cx.principal.require_kommun()?;
        let line = crud::get::<budget_line::Entity>(cx.db(), kommun_id, id).await?;
        let namnd = crud::get::<namnd::Entity>(cx.db(), kommun_id, line.namnd_id).await?;
        let target = namnd_figures(&cx.principal, &namnd.code);
        if action == Action::Read {
            authorize(&cx.principal, action, target).map_err(|e| hide_forbidden_read(e, id))?;
        } else {
            authorize(&cx.principal, action, target)?;
        }
        Ok((line, namnd))
    }
    fn id((line, _): &Self::Current) -> Uuid {
        line.id
    }
    fn version((line, _): &Self::Current) -> i32 {
        line.version
    }
    async fn dto(_: &Ctx, (line, namnd): Self::Current) -> Result<BudgetLineDto, ApiError> {
        Ok(BudgetLineDto::new(line, &namnd.code))
    }
}

/// A figure one may not read is reported as not found.
fn hide_forbidden_read(err: crate::auth::Denied, id: Uuid) -> ServiceError {
    match err {
        crate::auth::Denied::Forbidden(_) => crud::not_found::<budget_line::Entity>(id),
        other => other.into(),
    }
}

/// List budget lines.
#[utoipa::path(tag = "budget-lines", params(BudgetLineQuery, PageParams),
    responses((status = 200, description = "One page of lines", body = Page<BudgetLineDto>)))]
#[get("/budget-lines")]
pub async fn list_budget_lines(
    cx: Ctx,
    query: ApiQuery<BudgetLineQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let page = page.parse()?;
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(HttpResponse::Ok().json(Page::<BudgetLineDto> {
            items: vec![],
            next_cursor: None,
        }));
    };
    let namnder = crate::service::namnder::by_id(&state.db, kommun_id).await?;
    let namnd_id = match &query.namnd {
        Some(code) => match namnder.values().find(|n| &n.code == code) {
            Some(n) => Some(n.id),
            None => {
                return Ok(HttpResponse::Ok().json(Page::<BudgetLineDto> {
                    items: vec![],
                    next_cursor: None,
                }));
            }
        },
        None => None,
    };
    let filter = budget_lines::LineFilter {
        namnd_id,
        kind: query.kind,
        code: query.code.clone(),
    };
    let (rows, next) = budget_lines::list(&state.db, kommun_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(namnd) = namnder.get(&row.namnd_id) else {
            continue;
        };
        // Lists show only what the caller may read.
        if authorize(
            &principal,
            Action::Read,
            namnd_figures(&principal, &namnd.code),
        )
        .is_ok()
        {
            items.push(BudgetLineDto::new(row, &namnd.code));
        }
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    }))
}

impl Create<CreateBudgetLine> for BudgetLines {
    async fn create(cx: &Ctx, body: CreateBudgetLine) -> Result<Self::Current, ApiError> {
        let kommun_id = cx.principal.require_kommun()?;
        let namnd =
            crud::get_named::<namnd::Entity>(cx.db(), kommun_id, body.namnd_id, "namnd_id").await?;
        authorize(
            &cx.principal,
            Action::Create,
            namnd_figures(&cx.principal, &namnd.code),
        )?;
        // Checked by `validate`: a text that is no month is refused before.
        let planned_completion = body
            .planned_completion
            .as_deref()
            .and_then(|text| text.parse::<YearMonth>().ok());
        let write = budget_lines::LineWrite {
            planned_completion,
            code: body.code,
            name: body.name.trim().to_string(),
            parent_id: body.parent_id,
            position: body.position,
        };
        let model = budget_lines::create(cx.db(), &cx.actor()?, namnd.id, body.kind, write).await?;
        Ok((model, namnd))
    }
}

impl Patch<UpdateBudgetLine> for BudgetLines {
    async fn patch(
        cx: &Ctx,
        (line, namnd): Self::Current,
        body: UpdateBudgetLine,
    ) -> Result<Self::Current, ApiError> {
        let planned_completion = match &body.planned_completion {
            None => line
                .planned_completion
                .and_then(|k| YearMonth::new(k / 100, (k % 100) as u32).ok()),
            Some(None) => None,
            // Checked by `validate`.
            Some(Some(text)) => text.parse::<YearMonth>().ok(),
        };
        let write = budget_lines::LineWrite {
            code: body.code.unwrap_or_else(|| line.code.clone()),
            name: body
                .name
                .map(|n| n.trim().to_string())
                .unwrap_or_else(|| line.name.clone()),
            parent_id: body.parent_id.unwrap_or(line.parent_id),
            planned_completion,
            position: body.position,
        };
        let model = budget_lines::update(cx.db(), &cx.actor()?, &line, write).await?;
        Ok((model, namnd))
    }
}

impl Delete for BudgetLines {
    /// Not a line with child lines; its values go with it.
    async fn delete(cx: &Ctx, (line, _): Self::Current) -> Result<(), ApiError> {
        Ok(budget_lines::delete(cx.db(), &cx.actor()?, &line).await?)
    }
}

crate::api::resource::item_routes! {
    BudgetLines, BudgetLineDto, "budget-lines", "/budget-lines/{id}", "Line id";
    create: /// Create a budget line (admin, kommunledning, integration, the nämnd's redaktör).
        create_budget_line(CreateBudgetLine) "/budget-lines" "Created", 409 "The nämnd already has a line of this kind with this code (names `code`), or 40,000 lines of this kind", 422 "Invalid or bad parent";
    get: /// Read a budget line.
        get_budget_line "The line";
    patch: /// Change a budget line. Needs `If-Match`.
        update_budget_line(UpdateBudgetLine) "Changed", 422 "Invalid", 409 "The nämnd already has a line of this kind with this code; names `code`";
    delete: /// Delete a budget line with its values (not one with child lines). Needs `If-Match`.
        delete_budget_line "Deleted", 409 "The line has child lines";
}

/// The stored values of a line.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"line_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "values": [{"measure": "utfall", "month": "2024-01", "period": null, "amount": -1650000}]}))]
pub struct LineValues {
    pub line_id: Uuid,
    pub values: Vec<ValueOutput>,
}

async fn line_values(
    db: &impl sea_orm::ConnectionTrait,
    line_id: Uuid,
) -> Result<LineValues, ApiError> {
    let values = budget_lines::values_of(db, &[line_id]).await?;
    Ok(LineValues {
        line_id,
        values: values.iter().map(output_of).collect(),
    })
}

/// Read the values of a line.
#[utoipa::path(tag = "budget-lines", params(("id" = Uuid, Path, description = "Line id")),
    responses((status = 200, description = "Values", body = LineValues)))]
#[get("/budget-lines/{id}/values")]
pub async fn get_values(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    BudgetLines::load(&cx, *id, Action::Read).await?;
    Ok(HttpResponse::Ok().json(line_values(cx.db(), *id).await?))
}

/// Write values of a line: each (measure, month or period) is created or
/// replaced; `amount: null` removes it. All or nothing.
#[utoipa::path(tag = "budget-lines", request_body = PutValues, params(("id" = Uuid, Path, description = "Line id")),
    responses(
        (status = 200, description = "The line's values after the write", body = LineValues),
        (status = 422, description = "Invalid values; nothing was written", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[put("/budget-lines/{id}/values")]
pub async fn put_values(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<PutValues>,
) -> Result<HttpResponse, ApiError> {
    let (line, _) = BudgetLines::load(&cx, *id, Action::Update).await?;
    let writes = to_writes(&body.0.values, "values", body.0.costs_positive)
        .map_err(ServiceError::Validation)?;
    budget_lines::put_values(cx.db(), &cx.actor()?, &line, &writes).await?;
    Ok(HttpResponse::Ok().json(line_values(cx.db(), *id).await?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_budget_lines);
    item_services(cfg);
    cfg.service(get_values).service(put_values);
}
