//! `/kommun/prognossakerhet`: how close each nämnd's prognoser came to the
//! year's utfall.

use crate::error::ServiceError;
use actix_web::{HttpResponse, get};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Format, json_or_csv};
use crate::api::csv;
use crate::api::resource::Ctx;
use crate::api::resource::consolidated_target;
use crate::{auth::Action, error::ApiError, service::kommun_views as views};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// First year, 1900–2200 (required).
    #[param(required = true, example = 2020, minimum = 1900, maximum = 2200)]
    pub from_year: Option<i32>,
    /// Last year, 1900–2200, not before `from_year`, at most 30 years on
    /// (required).
    #[param(required = true, example = 2024, minimum = 1900, maximum = 2200)]
    pub to_year: Option<i32>,
    /// `json` or `csv`; decides over `Accept` (which may ask for `text/csv`). Without either, JSON.
    pub format: Option<Format>,
}

/// A nämnd's prognossäkerhet for a year, from decided versions only.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON",
    "name": "Vård- och omsorgsnämnden", "year": 2024, "helarsprognos": -907000000,
    "utfall": -907875400, "helarsbudget": -907425600, "prognossakerhet": 875400,
    "prognossakerhet_procent": 0.1, "delarsrapport_version": 1, "arsredovisning_version": 1}))]
pub struct ForecastRow {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub name: String,
    pub year: i32,
    /// Drift helårsprognos of the decided delårsrapport, kr.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub helarsprognos: Option<Decimal>,
    /// Drift utfall of the decided årsredovisning, kr.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall: Option<Decimal>,
    /// Drift helårsbudget of the decided årsredovisning, kr.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub helarsbudget: Option<Decimal>,
    /// `helarsprognos − utfall`, kr; null unless both reports are decided.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub prognossakerhet: Option<Decimal>,
    /// `prognossakerhet` as a percentage of |helårsbudget|, one decimal.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub prognossakerhet_procent: Option<Decimal>,
    pub delarsrapport_version: Option<i32>,
    pub arsredovisning_version: Option<i32>,
}

/// Prognossäkerhet per nämnd and year (admin, kommunledning, revisor): the
/// helårsprognos of the decided delårsrapport against the decided
/// årsredovisning's utfall, in kr and in % of the budget. Decided versions
/// only: later corrections do not move a judged forecast.
#[utoipa::path(tag = "kommun", params(ForecastQuery),
    responses(
        crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "A row per nämnd and year with a decided report; CSV with `format=csv` or `Accept: text/csv`", body = Vec<ForecastRow>,
            content((Vec<ForecastRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Nämnd;Namn;År;Helårsprognos;Utfall;Helårsbudget;Prognossäkerhet;Prognossäkerhet %\r\nVON;Vård- och omsorgsnämnden;2024;-907000000;-907875400;-907425600;875400;0,1\r\n")))),
        (status = 422, description = "Years out of range", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/prognossakerhet")]
pub async fn forecast_accuracy(
    cx: Ctx,
    query: crate::api::common::ApiQuery<ForecastQuery>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Read, consolidated_target)?;
    let (req, state, _principal) = cx.into_parts();
    // Checked after the authorisation: a caller who may not read the view
    // learns nothing about its parameters.
    let years = crate::domain::MIN_YEAR..=crate::domain::MAX_YEAR;
    let mut errors = Vec::new();
    for (field, year) in [("from_year", query.from_year), ("to_year", query.to_year)] {
        match year {
            None => errors.push(crate::error::FieldError::new(field, "is required")),
            Some(y) if !years.contains(&y) => errors.push(crate::error::FieldError::new(
                field,
                "must be a year from 1900 to 2200",
            )),
            Some(_) => {}
        }
    }
    let (from_year, to_year) = (
        query.from_year.unwrap_or_default(),
        query.to_year.unwrap_or_default(),
    );
    if errors.is_empty() && !(0..=30).contains(&(to_year - from_year)) {
        errors.push(crate::error::FieldError::new(
            "to_year",
            "must be from from_year to 30 years after it",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors).into());
    }
    let rows: Vec<ForecastRow> = views::forecast_accuracy(&state.db, kommun_id, from_year, to_year)
        .await?
        .into_iter()
        .map(|r| ForecastRow {
            namnd_id: r.namnd.id,
            namnd: r.namnd.code,
            name: r.namnd.name,
            year: r.year,
            helarsprognos: r.helarsprognos,
            utfall: r.utfall,
            helarsbudget: r.helarsbudget,
            prognossakerhet: r.prognossakerhet,
            prognossakerhet_procent: r.prognossakerhet_procent,
            delarsrapport_version: r.delarsrapport_version,
            arsredovisning_version: r.arsredovisning_version,
        })
        .collect();
    let file = format!("prognossakerhet-{from_year}-{to_year}.csv");
    let headers = [
        "Nämnd",
        "Namn",
        "År",
        "Helårsprognos",
        "Utfall",
        "Helårsbudget",
        "Prognossäkerhet",
        "Prognossäkerhet %",
    ];
    let answer = json_or_csv(&req, query.format, &rows, (&file, &headers), || {
        rows.iter()
            .map(|r| {
                vec![
                    r.namnd.clone(),
                    r.name.clone(),
                    r.year.to_string(),
                    csv::number(r.helarsprognos),
                    csv::number(r.utfall),
                    csv::number(r.helarsbudget),
                    csv::number(r.prognossakerhet),
                    csv::number(r.prognossakerhet_procent),
                ]
            })
            .collect()
    })?;
    Ok(answer.respond(&req))
}
