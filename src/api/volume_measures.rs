//! `/api/v1/volume-measures`: a nämnd's volymmått (hemtjänsttimmar, belagda
//! platser …), their monthly, whole-period and prognos values, and the
//! period figures a report shows.

use crate::api::common::ApiQuery;
use crate::api::resource::namnd_figures;
use crate::error::ServiceError;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{ApiJson, Input, Page, PageParams, encode_cursor},
    resource::{Create, Ctx, Item, Patch},
};
use crate::service::checks::{FIGURE_TOO_LARGE, check_text, is_figure};
use crate::{
    auth::{Action, Principal, authorize},
    domain::{Aggregation, ReportPeriod, YearMonth},
    entity::{namnd, period, volume_measure},
    error::{ApiError, FieldError},
    service::{crud, periods, volumes},
    state::AppState,
};

/// A volume measure of a nämnd.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "namnd": "VON", "name": "Belagda platser på särskilt boende för äldre", "unit": "platser",
    "aggregation": "sista_manad", "position": 3, "version": 1,
    "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct VolumeMeasureDto {
    pub id: Uuid,
    pub namnd_id: Uuid,
    /// Code of the nämnd (read-only).
    pub namnd: String,
    pub name: String,
    /// E.g. `timmar`, `platser`, `placeringar`, `brukare`.
    pub unit: String,
    pub aggregation: Aggregation,
    /// Order within the nämnd's volume table.
    pub position: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl VolumeMeasureDto {
    fn from_model(model: volume_measure::Model, namnd_code: &str) -> Result<Self, ApiError> {
        Ok(VolumeMeasureDto {
            aggregation: model.aggregation,
            id: model.id,
            namnd_id: model.namnd_id,
            namnd: namnd_code.to_string(),
            name: model.name,
            unit: model.unit,
            position: model.position,
            version: model.version,
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

/// A new volume measure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "name": "Planerade hemtjänsttimmar per månad, intern regi", "unit": "timmar",
    "aggregation": "snitt_per_manad"
}))]
pub struct CreateVolumeMeasure {
    pub namnd_id: Uuid,
    /// 1–200 characters, unique within the nämnd.
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    /// 1–40 characters, not only spaces.
    #[schema(max_length = 40, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub unit: String,
    pub aggregation: Aggregation,
    /// Placed after the nämnd's other measures when left out.
    pub position: Option<i32>,
}

/// Changes to a volume measure; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit": "platser", "position": 4}))]
pub struct UpdateVolumeMeasure {
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    /// 1–40 characters, not only spaces.
    #[schema(max_length = 40, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub unit: Option<String>,
    pub aggregation: Option<Aggregation>,
    pub position: Option<i32>,
}

const READ_ONLY: &[&str] = &["id", "namnd", "version", "created_at", "updated_at"];

impl Input for CreateVolumeMeasure {
    const READ_ONLY: &'static [&'static str] = READ_ONLY;
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text("name", &self.name, 200, &mut errors);
        check_text("unit", &self.unit, 40, &mut errors);
        errors
    }
}

impl Input for UpdateVolumeMeasure {
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
        if let Some(unit) = &self.unit {
            check_text("unit", unit, 40, &mut errors);
        }
        errors
    }
}

pub use crate::domain::structure::VolumeValueKind;

/// Months `from..=to` of one year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2024-01", "to": "2024-12"}))]
pub struct MonthRange {
    /// First month, `YYYY-MM`.
    #[schema(pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$")]
    pub from: String,
    /// Last month, `YYYY-MM`, in the same year, not before `from`.
    #[schema(pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$")]
    pub to: String,
}

/// One value to write: a month or a whole period, and the value (`null`
/// deletes it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"month": "2024-03", "kind": "utfall", "value": 1234.5}))]
pub struct VolumeValueInput {
    /// The month (`YYYY-MM`); for a prognos the month it was made. Give
    /// either `month` or `period`.
    #[schema(
        pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        example = "2024-03"
    )]
    pub month: Option<String>,
    /// A whole period within one year, for values without months (utfall only).
    pub period: Option<MonthRange>,
    pub kind: VolumeValueKind,
    /// A number or numeric string, exact; `null` deletes the value.
    #[schema(value_type = Option<f64>, required = true, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub value: serde_json::Value,
}

/// Values to insert, change or delete; values not mentioned stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"values": [
    {"month": "2024-03", "kind": "utfall", "value": 1234.5},
    {"period": {"from": "2024-01", "to": "2024-12"}, "kind": "utfall", "value": 33.5},
    {"month": "2024-08", "kind": "prognos", "value": 120}
]}))]
pub struct PutVolumeValues {
    /// At most 1000 values.
    #[schema(max_items = 1000)]
    pub values: Vec<VolumeValueInput>,
}

impl PutVolumeValues {
    fn entries(&self) -> Result<Vec<volumes::ValueEntry>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut entries: Vec<(usize, volumes::ValueEntry)> = Vec::new();
        if self.values.len() > 1000 {
            errors.push(FieldError::new("values", "at most 1000 values per request"));
            return Err(errors);
        }
        for (i, input) in self.values.iter().enumerate() {
            let at = |field: &str| format!("values[{i}]{field}");
            let before = errors.len();
            let month = |text: &str, field: &str, errors: &mut Vec<FieldError>| {
                text.parse::<YearMonth>()
                    .map_err(|e| errors.push(FieldError::new(at(field), e.to_string())))
                    .ok()
            };
            let months = match (&input.month, &input.period) {
                (Some(_), Some(_)) => {
                    errors.push(FieldError::new(
                        at(""),
                        "give either month or period, not both",
                    ));
                    None
                }
                (None, None) => {
                    errors.push(FieldError::new(at(""), "give month or period"));
                    None
                }
                (Some(m), None) => month(m, ".month", &mut errors).map(|m| (m, m)),
                (None, Some(range)) => {
                    if input.kind == VolumeValueKind::Prognos {
                        errors.push(FieldError::new(
                            at(".period"),
                            "a prognos is recorded for the month it was made: send month instead of period",
                        ));
                        None
                    } else {
                        let from = month(&range.from, ".period.from", &mut errors);
                        let to = month(&range.to, ".period.to", &mut errors);
                        match (from, to) {
                            (Some(f), Some(t)) if f.year() != t.year() => {
                                errors.push(FieldError::new(
                                    at(".period"),
                                    "must lie within one year",
                                ));
                                None
                            }
                            (Some(f), Some(t)) if f > t => {
                                errors.push(FieldError::new(
                                    at(".period"),
                                    "from must not be after to",
                                ));
                                None
                            }
                            (Some(f), Some(t)) => Some((f, t)),
                            _ => None,
                        }
                    }
                }
            };
            let value = match &input.value {
                serde_json::Value::Null => Some(None),
                v => match super::decimal::parse_decimal(v) {
                    Ok(d) if !is_figure(d) => {
                        errors.push(FieldError::new(at(".value"), FIGURE_TOO_LARGE));
                        None
                    }
                    Ok(d) => Some(Some(d)),
                    Err(e) => {
                        errors.push(FieldError::new(at(".value"), e));
                        None
                    }
                },
            };
            if errors.len() > before {
                continue;
            }
            if let (Some((from, to)), Some(value)) = (months, value) {
                if let Some((j, _)) = entries
                    .iter()
                    .find(|(_, e)| e.kind == input.kind && e.from == from && e.to == to)
                {
                    errors.push(FieldError::new(
                        at(""),
                        format!("the same kind and month(s) as values[{j}]; send each value once"),
                    ));
                    continue;
                }
                entries.push((
                    i,
                    volumes::ValueEntry {
                        kind: input.kind,
                        from,
                        to,
                        value,
                    },
                ));
            }
        }
        if errors.is_empty() {
            Ok(entries.into_iter().map(|(_, e)| e).collect())
        } else {
            Err(errors)
        }
    }
}

impl Input for PutVolumeValues {
    fn validate(&self) -> Vec<FieldError> {
        self.entries().err().unwrap_or_default()
    }
}

/// One stored value: a month or a whole period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"month": "2024-03", "kind": "utfall", "value": 1234.5}))]
pub struct VolumeValueDto {
    /// The month; for a prognos the month it was made. Null for a whole-period value.
    pub month: Option<String>,
    /// The whole period of a value without months. Null for a monthly value.
    pub period: Option<MonthRange>,
    pub kind: VolumeValueKind,
    #[serde(with = "super::decimal")]
    pub value: Decimal,
}

/// Every value of a measure (not paginated): utfall, then prognos, by month.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "measure_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190",
    "values": [
        {"period": {"from": "2023-01", "to": "2023-12"}, "kind": "utfall", "value": 304},
        {"month": "2024-08", "kind": "utfall", "value": 304},
        {"month": "2024-08", "kind": "prognos", "value": 314}
    ]
}))]
pub struct VolumeValues {
    pub measure_id: Uuid,
    pub values: Vec<VolumeValueDto>,
}

impl VolumeValues {
    fn new(measure_id: Uuid, values: Vec<volumes::StoredValue>) -> Self {
        let values = values
            .into_iter()
            .map(|v| {
                let (month, period) = if v.from == v.to {
                    (Some(v.from.to_string()), None)
                } else {
                    (
                        None,
                        Some(MonthRange {
                            from: v.from.to_string(),
                            to: v.to.to_string(),
                        }),
                    )
                };
                VolumeValueDto {
                    month,
                    period,
                    kind: v.kind,
                    value: v.value,
                }
            })
            .collect();
        VolumeValues { measure_id, values }
    }
}

/// A volume measure's figures for a report period (read-only, derived):
/// the columns of the reports' volume tables.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190",
    "name": "Planerade hemtjänsttimmar per månad, intern regi", "unit": "timmar",
    "aggregation": "snitt_per_manad", "period_value": 20450, "prognos": 20900,
    "samma_period_foregaende_ar": 19057, "foregaende_ar": 19364
}))]
pub struct VolumeRow {
    /// Id of the volume measure.
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    pub aggregation: Aggregation,
    /// The report period's value by the aggregation rule.
    #[serde(with = "super::decimal::option")]
    pub period_value: Option<Decimal>,
    /// The latest full-year prognos of the period's year made by the period's end.
    #[serde(with = "super::decimal::option")]
    pub prognos: Option<Decimal>,
    /// The same months of the previous year.
    #[serde(with = "super::decimal::option")]
    pub samma_period_foregaende_ar: Option<Decimal>,
    /// The whole previous year.
    #[serde(with = "super::decimal::option")]
    pub foregaende_ar: Option<Decimal>,
}

impl From<volumes::VolumeRow> for VolumeRow {
    fn from(r: volumes::VolumeRow) -> Self {
        VolumeRow {
            id: r.id,
            name: r.name,
            unit: r.unit,
            aggregation: r.aggregation,
            period_value: r.period_value,
            prognos: r.prognos,
            samma_period_foregaende_ar: r.same_period_last_year,
            foregaende_ar: r.last_year,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolumeMeasureQuery {
    /// Only the measures of the nämnd with this code.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Only the measures of this nämnd.
    pub namnd_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// Id of the period (see `/api/v1/periods`).
    pub period_id: Uuid,
}

/// The nämnder of the kommun, optionally filtered, whose figures the caller
/// may read. Refused when the caller may read none of the matching ones.
pub(crate) async fn readable_namnder(
    db: &impl ConnectionTrait,
    principal: &Principal,
    kommun_id: Uuid,
    code: Option<&str>,
    id: Option<Uuid>,
) -> Result<Vec<namnd::Model>, ApiError> {
    let mut query = namnd::Entity::find().filter(namnd::Column::KommunId.eq(kommun_id));
    if let Some(code) = code {
        query = query.filter(namnd::Column::Code.eq(code));
    }
    if let Some(id) = id {
        query = query.filter(namnd::Column::Id.eq(id));
    }
    let mut visible = Vec::new();
    let mut refused = None;
    for n in query.order_by_asc(namnd::Column::Id).all(db).await? {
        let target = namnd_figures(principal, &n.code);
        match authorize(principal, Action::Read, target) {
            Ok(()) => visible.push(n),
            Err(e) => {
                refused.get_or_insert(e);
            }
        }
    }
    match refused {
        Some(e) if visible.is_empty() => Err(e.into()),
        _ => Ok(visible),
    }
}

/// One page of a kind of nämnd figures (volume measures, key figures) from
/// the nämnder the caller may read: all, or those `namnd`/`namnd_id` name.
/// `fetch` lists the page for the nämnd ids; each row becomes a DTO with
/// its nämnd's code.
pub(crate) async fn page_of_readable_namnder<M, D, Fut>(
    state: &AppState,
    principal: &Principal,
    (namnd, namnd_id): (Option<&str>, Option<Uuid>),
    fetch: impl FnOnce(Uuid, Vec<Uuid>) -> Fut,
    namnd_of: impl Fn(&M) -> Uuid,
    to_dto: impl Fn(M, &str) -> Result<D, ApiError>,
) -> Result<HttpResponse, ApiError>
where
    Fut: std::future::Future<
            Output = Result<(Vec<M>, Option<Uuid>), crate::service::error::ServiceError>,
        >,
    D: Serialize,
{
    let empty = || {
        HttpResponse::Ok().json(Page::<D> {
            items: vec![],
            next_cursor: None,
        })
    };
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(empty());
    };
    let namnder = readable_namnder(&state.db, principal, kommun_id, namnd, namnd_id).await?;
    if namnder.is_empty() {
        return Ok(empty());
    }
    let (rows, next) = fetch(kommun_id, namnder.iter().map(|n| n.id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|m| {
            let id = namnd_of(&m);
            let code = namnder
                .iter()
                .find(|n| n.id == id)
                .map_or("", |n| n.code.as_str());
            to_dto(m, code)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    }))
}

/// List volume measures of the nämnder you may see.
#[utoipa::path(
    tag = "volume-measures",
    params(VolumeMeasureQuery, PageParams),
    responses((status = 200, description = "One page of volume measures, in creation order", body = Page<VolumeMeasureDto>))
)]
#[get("/volume-measures")]
pub async fn list_volume_measures(
    cx: Ctx,
    query: ApiQuery<VolumeMeasureQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let page = page.parse()?;
    let db = &state.db;
    page_of_readable_namnder(
        &state,
        &principal,
        (query.namnd.as_deref(), query.namnd_id),
        |kommun_id, ids: Vec<Uuid>| async move { volumes::list(db, kommun_id, &ids, &page).await },
        |m: &volume_measure::Model| m.namnd_id,
        VolumeMeasureDto::from_model,
    )
    .await
}

impl Create<CreateVolumeMeasure> for VolumeMeasures {
    async fn create(
        cx: &Ctx,
        body: CreateVolumeMeasure,
    ) -> Result<(volume_measure::Model, namnd::Model), ApiError> {
        let namnd = cx.namnd(body.namnd_id, Action::Create).await?;
        let new = volumes::NewMeasure {
            namnd_id: namnd.id,
            name: body.name.trim().to_string(),
            unit: body.unit.trim().to_string(),
            aggregation: body.aggregation,
            position: body.position,
        };
        let model = cx.create_row(new).await?;
        Ok((model, namnd))
    }
}

crate::api::resource::namnd_item!(VolumeMeasures, volume_measure, VolumeMeasureDto);

impl Patch<UpdateVolumeMeasure> for VolumeMeasures {
    async fn patch(
        cx: &Ctx,
        (current, namnd): (volume_measure::Model, namnd::Model),
        body: UpdateVolumeMeasure,
    ) -> Result<(volume_measure::Model, namnd::Model), ApiError> {
        let changes = volumes::MeasureChanges {
            name: body.name.map(|n| n.trim().to_string()),
            unit: body.unit.map(|u| u.trim().to_string()),
            aggregation: body.aggregation,
            position: body.position,
        };
        let model = cx.patch_row(current.id, current.version, changes).await?;
        Ok((model, namnd))
    }
}

crate::api::resource::item_routes! {
    VolumeMeasures, VolumeMeasureDto, "volume-measures", "/volume-measures/{id}", "Volume measure id";
    create: /// Create a volume measure (admin, kommunledning, integration, the nämnd's redaktör).
        create_volume_measure(CreateVolumeMeasure) "/volume-measures" "Created", 409 "The nämnd already has a volume measure with this name; names `name`", 422 "Invalid";
    get: /// Read one volume measure.
        get_volume_measure "The volume measure";
    patch: /// Change a volume measure. Needs `If-Match`.
        update_volume_measure(UpdateVolumeMeasure) "Changed", 422 "Invalid", 409 "The nämnd already has a volume measure with this name; names `name`";
    delete: /// Delete a volume measure with all its values. Needs `If-Match`.
        delete_volume_measure "Deleted, with its values", 409 "A month of its values is closed (a decided report holds it)";
}

/// Every value of a volume measure.
#[utoipa::path(
    tag = "volume-measures",
    params(("id" = Uuid, Path, description = "Volume measure id")),
    responses((status = 200, description = "The values", body = VolumeValues))
)]
#[get("/volume-measures/{id}/values")]
pub async fn get_volume_values(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (measure, _) = VolumeMeasures::load(&cx, *id, Action::Read).await?;
    let values = volumes::values(cx.db(), measure.kommun_id, measure.id).await?;
    Ok(HttpResponse::Ok().json(VolumeValues::new(measure.id, values)))
}

/// Insert, change or delete (`"value": null`) values of a volume measure:
/// all or nothing. Values not mentioned stay; identical ones change nothing.
#[utoipa::path(
    tag = "volume-measures",
    request_body = PutVolumeValues,
    params(("id" = Uuid, Path, description = "Volume measure id")),
    responses(
        (status = 200, description = "Written; every value of the measure now", body = VolumeValues),
        (status = 409, description = "Written concurrently by someone else; retry", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values, named by position (`values[2].month`); nothing was written", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/volume-measures/{id}/values")]
pub async fn put_volume_values(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<PutVolumeValues>,
) -> Result<HttpResponse, ApiError> {
    let (measure, _) = VolumeMeasures::load(&cx, *id, Action::Update).await?;
    let entries = body.0.entries().map_err(ServiceError::Validation)?;
    let values = volumes::put_values(cx.db(), &cx.actor()?, measure.id, entries).await?;
    Ok(HttpResponse::Ok().json(VolumeValues::new(measure.id, values)))
}

/// The report period as the domain type.
pub(crate) fn report_period(model: &period::Model) -> Result<ReportPeriod, ApiError> {
    let spec = periods::spec_of(model)?;
    let (first, last) = spec.months();
    ReportPeriod::new(spec.year, first, last)
        .map_err(|e| ApiError::Service(ServiceError::Unexpected(format!("stored period: {e}"))))
}

/// A volume measure's figures for a period, as a report shows them: period
/// value, prognos, same period last year, whole last year.
#[utoipa::path(
    tag = "volume-measures",
    params(("id" = Uuid, Path, description = "Volume measure id"), FiguresQuery),
    responses((status = 200, description = "The derived figures", body = VolumeRow))
)]
#[get("/volume-measures/{id}/figures")]
pub async fn get_volume_figures(
    cx: Ctx,
    id: web::Path<Uuid>,
    query: ApiQuery<FiguresQuery>,
) -> Result<HttpResponse, ApiError> {
    let (measure, _) = VolumeMeasures::load(&cx, *id, Action::Read).await?;
    let kommun_id = measure.kommun_id;
    let period = crud::get::<period::Entity>(cx.db(), kommun_id, query.period_id).await?;
    let period = report_period(&period)?;
    let row = VolumeRow::from(volumes::volume_row(cx.db(), kommun_id, measure, period).await?);
    Ok(HttpResponse::Ok().json(row))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_volume_measures);
    item_services(cfg);
    cfg.service(get_volume_values)
        .service(put_volume_values)
        .service(get_volume_figures);
}
