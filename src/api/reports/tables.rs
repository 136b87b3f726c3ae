//! `/reports/{id}/{kind}`: the report's driftredovisning and
//! investeringsredovisning with derived figures, read and written whole.
use crate::api::common::ApiQuery;
use crate::error::ServiceError;
use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::decided::BasisQuery;
use crate::api::resource::Ctx;
use crate::api::resource::authorized_report;
use crate::api::{
    common::{ApiJson, Input, actor, computed},
    figures::{TableDto, Unit, UnitQuery, table_dto},
    read_cache::{Snapshot, json},
    values::{ValueInput, to_writes},
};
use crate::{
    auth::Action,
    domain::BudgetLineKind,
    error::{ApiError, FieldError},
    service::budget_lines::{self, TableRow},
};

/// Read the report's driftredovisning or investeringsredovisning with derived figures.
#[utoipa::path(tag = "reports",
    params(("id" = Uuid, Path, description = "Report id"), ("kind" = BudgetLineKind, Path, description = "drift or investering"), UnitQuery, BasisQuery),
    responses(
        (status = 200, description = "Lines with figures, children nested, and the total", body = TableDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
    ))]
#[get("/reports/{id}/{kind}")]
pub async fn get_table(
    cx: Ctx,
    path: web::Path<(Uuid, BudgetLineKind)>,
    query: ApiQuery<UnitQuery>,
    basis: ApiQuery<BasisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let (id, kind) = path.into_inner();
    let snapshot = Snapshot::take(&state, principal.require_kommun()?).await?;
    let ctx = authorized_report(&state, &principal, id, Action::Read).await?;
    let unit = query.unit.unwrap_or_default();
    let part = match kind {
        BudgetLineKind::Drift => "drift",
        BudgetLineKind::Investering => "investering",
    };
    let key = format!(
        "report/{}/{part}?unit={unit:?}&basis={:?}",
        ctx.report.id,
        basis.basis.unwrap_or_default()
    );
    snapshot
        .respond(&req, &state, key, || async {
            match crate::api::decided::decided(&state, &ctx, basis.basis).await? {
                Some(d) => json(&d.part(part, unit)),
                None => json(&table(&state.db, &ctx, kind, unit).await?),
            }
        })
        .await
}

/// One line of a table upsert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "aldreomsorg", "name": "Äldreomsorg", "values": [{"measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -314902000}]}))]
pub struct TableLineInput {
    #[schema(max_length = 40)]
    pub code: String,
    /// Required for a new line.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Code of the parent line (e.g. RS 51 for its sub-rows).
    #[schema(max_length = 40)]
    pub parent_code: Option<String>,
    /// `YYYY-MM`, for projects.
    #[schema(pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$")]
    pub planned_completion: Option<String>,
    #[serde(default)]
    pub values: Vec<ValueInput>,
}

/// A whole driftredovisning (or investeringsredovisning) for the report's nämnd.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"costs_positive": false, "lines": [
    {"code": "forvaltningsgemensamt", "name": "Förvaltningsgemensamt", "values": [
        {"measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -20790000},
        {"measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -29814000}]}]}))]
pub struct PutTable {
    /// Amounts are written with costs as positive numbers (converted on the way in).
    #[serde(default)]
    pub costs_positive: bool,
    pub lines: Vec<TableLineInput>,
}

impl Input for PutTable {
    const READ_ONLY: &'static [&'static str] = &["rows", "total", "avvikelse", "unit"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.lines.is_empty() {
            errors.push(FieldError::new("lines", "must have at least one line"));
        }
        for (i, line) in self.lines.iter().enumerate() {
            crate::api::budget_lines::check_code(
                &line.code,
                &format!("lines[{i}].code"),
                &mut errors,
            );
            if let Some(name) = &line.name {
                crate::api::budget_lines::check_name(
                    name,
                    &format!("lines[{i}].name"),
                    &mut errors,
                );
            }
            crate::api::budget_lines::parse_completion(
                line.planned_completion.as_deref(),
                &format!("lines[{i}].planned_completion"),
                &mut errors,
            );
            if let Err(mut e) = to_writes(
                &line.values,
                &format!("lines[{i}].values"),
                self.costs_positive,
            ) {
                errors.append(&mut e);
            }
        }
        errors
    }
}

/// Enter a whole driftredovisning or investeringsredovisning for the report:
/// lines are created or renamed by code and their values created or
/// replaced, in one transaction; every row's errors come back together and
/// nothing is written unless all rows are valid. A nämnd has at most 40,000
/// lines of one kind: a table that would pass that is refused whole (409).
#[utoipa::path(tag = "reports", request_body = PutTable,
    params(("id" = Uuid, Path, description = "Report id"), ("kind" = BudgetLineKind, Path, description = "drift or investering"), UnitQuery),
    responses(
        (status = 200, description = "The table after the write", body = TableDto),
        crate::api::responses::NotADraft,
        (status = 422, description = "Row errors; nothing was written", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[put("/reports/{id}/{kind}")]
pub async fn put_table(
    cx: Ctx,
    path: web::Path<(Uuid, BudgetLineKind)>,
    query: ApiQuery<UnitQuery>,
    body: ApiJson<PutTable>,
) -> Result<HttpResponse, ApiError> {
    let (id, kind) = path.into_inner();
    let ctx = cx.report(id, Action::Update).await?;
    let (req, state, principal) = cx.into_parts();
    let body = body.0;
    let mut rows = Vec::with_capacity(body.lines.len());
    for (i, line) in body.lines.iter().enumerate() {
        let mut errors = Vec::new();
        let planned_completion = crate::api::budget_lines::parse_completion(
            line.planned_completion.as_deref(),
            &format!("lines[{i}].planned_completion"),
            &mut errors,
        );
        rows.push(TableRow {
            code: line.code.clone(),
            name: line.name.as_ref().map(|n| n.trim().to_string()),
            parent_code: line.parent_code.clone(),
            planned_completion,
            values: to_writes(
                &line.values,
                &format!("lines[{i}].values"),
                body.costs_positive,
            )
            .map_err(ServiceError::Validation)?,
        });
    }
    budget_lines::put_table(
        &state.db,
        &actor(&req, &principal, ctx.report.kommun_id),
        ctx.namnd.id,
        kind,
        &rows,
    )
    .await?;
    computed(
        &req,
        &table(&state.db, &ctx, kind, query.unit.unwrap_or_default()).await?,
    )
}

/// The report's drift or investering table in `unit`, as its nämnd's
/// lines stand today.
pub async fn table(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &crate::service::reports::ReportContext,
    kind: BudgetLineKind,
    unit: Unit,
) -> Result<TableDto, ApiError> {
    let data =
        crate::service::budget_lines::report_table(db, ctx.namnd.id, kind, ctx.report_period()?)
            .await?;
    table_dto(
        &data,
        kind,
        ctx.spec.label(),
        unit,
        ctx.report_type.shows_month_and_ack(),
    )
}
