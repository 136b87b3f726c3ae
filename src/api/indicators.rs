//! `/api/v1/indicators`: the kommun's indicators with riktvärden, values per
//! year and gender, and trend/bedömning overrides; served with the trend and
//! bedömning the domain derives for a year, and as the appendix table
//! (`/indicators/table`) grouped by goal area and goal.

use crate::api::common::ApiQuery;
use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, delete, get, http::StatusCode, patch, post, put, web};
use chrono::Datelike;
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Deserializer, Serialize, de::Error as _};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{ApiJson, Input, Page, PageParams, actor, encode_cursor, versioned};
use super::read_cache::{Snapshot, json};
use super::resource::{Create, Ctx, Delete, Item, Patch};
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::{
        Bedomning, Gender, MAX_YEAR, MIN_YEAR, Observation, Override, Polarity, Trend,
        TrendThreshold, ValueSource,
    },
    entity::indicator,
    error::{ApiError, FieldError},
    service::{
        crud, goals,
        indicators::{self, Derived, IndicatorData, StoredRiktvarde, ValueWrite},
        kolada_comparisons,
    },
    state::AppState,
};

// ---------------------------------------------------------------------------
// Years

/// A year `YYYY` as a JSON number or a four-digit string, within the
/// service's years.
pub fn parse_year(value: &serde_json::Value) -> Result<i32, String> {
    let year = match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<i64>().ok()
        }
        _ => None,
    };
    match year {
        Some(y) if (i64::from(MIN_YEAR)..=i64::from(MAX_YEAR)).contains(&y) => {
            i32::try_from(y).map_err(|_| "is not a year".to_string())
        }
        _ => Err(format!(
            "must be a year YYYY between {MIN_YEAR} and {MAX_YEAR}, e.g. 2024"
        )),
    }
}

/// serde `deserialize_with` for a year.
pub fn de_year<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    parse_year(&value).map_err(D::Error::custom)
}

/// serde `deserialize_with` for an optional year.
pub fn de_opt_year<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => parse_year(&v).map(Some).map_err(D::Error::custom),
    }
}

/// A year in a query string.
pub(crate) fn query_year(text: Option<&str>, field: &str) -> Result<Option<i32>, ApiError> {
    text.map(|t| {
        parse_year(&serde_json::Value::String(t.trim().to_string()))
            .map_err(|e| ApiError::validation(field, e))
    })
    .transpose()
}

// ---------------------------------------------------------------------------
// DTOs

/// A computed trend with the nämnd's override: both are served.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"computed": "forbattrad", "final": "oforandrad",
    "override_reason": "Förändringen jämfört med föregående år är inte statistiskt säkerställd."}))]
pub struct TrendDto {
    pub computed: Trend,
    #[serde(rename = "final")]
    pub final_value: Trend,
    /// Why the final value differs from the computed one; null without override.
    pub override_reason: Option<String>,
}

/// A computed bedömning with the nämnd's override: both are served.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"computed": "rod", "final": "rod", "override_reason": null}))]
pub struct BedomningDto {
    pub computed: Bedomning,
    #[serde(rename = "final")]
    pub final_value: Bedomning,
    pub override_reason: Option<String>,
}

impl TrendDto {
    fn of(d: &Derived) -> Self {
        TrendDto {
            computed: d.trend.computed(),
            final_value: d.trend.final_value(),
            override_reason: d.trend.manual_override().map(|o| o.reason().to_string()),
        }
    }
}

impl BedomningDto {
    pub fn of(d: &Derived) -> Self {
        BedomningDto {
            computed: d.bedomning.computed(),
            final_value: d.bedomning.final_value(),
            override_reason: d
                .bedomning
                .manual_override()
                .map(|o| o.reason().to_string()),
        }
    }
}

/// A riktvärde: a number, or a text target such as "öka".
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "value": 8.0, "text": null}))]
pub struct RiktvardeDto {
    pub year: i32,
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<Decimal>,
    /// A target without a number ("öka", "Öka jmf utfall 2023"); then the
    /// bedömning follows the trend unless set by hand.
    pub text: Option<String>,
}

impl RiktvardeDto {
    pub fn new(year: i32, target: &indicators::Target) -> Self {
        let (value, text) = match target {
            indicators::Target::Value(v) => (Some(*v), None),
            indicators::Target::Text(t) => (None, Some(t.clone())),
        };
        RiktvardeDto { year, value, text }
    }
}

/// An utfall of a year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "value": 9.3}))]
pub struct YearValueDto {
    pub year: i32,
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<Decimal>,
}

impl From<Observation> for YearValueDto {
    fn from(o: Observation) -> Self {
        YearValueDto {
            year: o.year,
            value: Some(o.value),
        }
    }
}

/// Comparison values (jämförelse) of a year from Kolada, beside the
/// kommun's utfall: the country's and the municipality group's total (T).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "country": 81.2, "group": 84.5,
    "group_id": "G124026", "group_name": "Liknande kommuner äldreomsorg, 2024"}))]
pub struct JamforelseDto {
    pub year: i32,
    /// The country's value (Kolada `0000`, Riket); null when Kolada has none.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub country: Option<Decimal>,
    /// The comparison group's value; null when Kolada has none or no group
    /// is set.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub group: Option<Decimal>,
    /// The kommun's comparison group, a Kolada municipality group (`PATCH
    /// /imports/kolada/sync`); null when none is set.
    #[schema(required = true, example = "G124026")]
    pub group_id: Option<String>,
    /// The group's name as the kommun set it.
    #[schema(required = true)]
    pub group_name: Option<String>,
}

impl From<kolada_comparisons::YearComparison> for JamforelseDto {
    fn from(c: kolada_comparisons::YearComparison) -> Self {
        JamforelseDto {
            year: c.year,
            country: c.country,
            group: c.group,
            group_id: c.group_id,
            group_name: c.group_name,
        }
    }
}

/// A stored value for a year and gender.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "gender": "T", "value": 83, "status": null, "note": null,
    "source": "kolada", "fetched_at": "2026-12-03T05:00:00Z", "kolada_value": 83, "kolada_status": null}))]
pub struct IndicatorValueDto {
    pub year: i32,
    pub gender: Gender,
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<Decimal>,
    /// Status as delivered (e.g. Kolada's).
    pub status: Option<String>,
    /// E.g. "Mäts vartannat år".
    pub note: Option<String>,
    /// Where the value came from (read-only).
    pub source: ValueSource,
    /// When it was last fetched from Kolada (read-only).
    pub fetched_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What Kolada said at `fetched_at`, also when a manual value was kept
    /// (read-only).
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub kolada_value: Option<Decimal>,
    pub kolada_status: Option<String>,
}

impl IndicatorValueDto {
    pub fn of(v: &indicators::StoredValue) -> Self {
        IndicatorValueDto {
            year: v.year,
            gender: v.gender,
            value: v.value,
            status: v.status.clone(),
            note: v.note.clone(),
            source: v.source,
            fetched_at: v.fetched_at,
            kolada_value: v.kolada_value,
            kolada_status: v.kolada_status.clone(),
        }
    }
}

/// An indicator with its figures for `year` (derived, read-only).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "name": "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)",
    "unit": "procent", "polarity": "hogre_ar_battre", "description": null, "trend_threshold": 1.5,
    "source": "Källa: Brukarundersökning", "kolada_id": "U21468", "divided_by_gender": true, "position": 6,
    "goal_ids": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0"],
    "year": 2024,
    "utfall": [{"year": 2022, "value": 88}, {"year": 2023, "value": 87}, {"year": 2024, "value": 83}],
    "values": [{"year": 2024, "gender": "T", "value": 83, "status": null, "note": null}],
    "riktvarden": [{"year": 2024, "value": 90, "text": null}],
    "riktvarde": {"year": 2024, "value": 90, "text": null},
    "utfall_used": {"year": 2024, "value": 83}, "foregaende_ar": {"year": 2023, "value": 87},
    "maluppfyllelse": 0.9222,
    "trend": {"computed": "forsamrad", "final": "forsamrad", "override_reason": null},
    "bedomning": {"computed": "rod", "final": "rod", "override_reason": null},
    "version": 3, "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct IndicatorDto {
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    /// Null for an indicator created from Kolada until a person sets it
    /// (`PATCH`); until then no trend or bedömning is computed.
    pub polarity: Option<Polarity>,
    /// What Kolada says the indicator measures (indicators from Kolada).
    pub description: Option<String>,
    /// Percent below which a change is `oforandrad` (default 1.5).
    #[serde(with = "super::decimal")]
    #[schema(value_type = f64)]
    pub trend_threshold: Decimal,
    /// Källa as printed.
    pub source: Option<String>,
    pub kolada_id: Option<String>,
    pub divided_by_gender: bool,
    pub position: i32,
    /// The goals the indicator is linked to.
    pub goal_ids: Vec<Uuid>,
    /// The year assessed (`?year=`, default the latest year with a riktvärde).
    pub year: Option<i32>,
    /// The totals (T) per year up to `year`, oldest first.
    pub utfall: Vec<YearValueDto>,
    /// Every stored value, by year and gender.
    pub values: Vec<IndicatorValueDto>,
    pub riktvarden: Vec<RiktvardeDto>,
    /// The riktvärde of `year`.
    pub riktvarde: Option<RiktvardeDto>,
    /// The utfall compared with the riktvärde: the latest available up to `year`.
    pub utfall_used: Option<YearValueDto>,
    /// The previous available utfall, compared for the trend.
    pub foregaende_ar: Option<YearValueDto>,
    /// Fulfilment ratio (1 = 100 %) of `utfall_used` against a numeric riktvärde.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub maluppfyllelse: Option<Decimal>,
    pub trend: TrendDto,
    pub bedomning: BedomningDto,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn utfall_up_to(data: &IndicatorData, year: Option<i32>) -> Vec<YearValueDto> {
    data.values
        .iter()
        .filter(|v| v.gender == Gender::T && year.is_none_or(|y| v.year <= y))
        .map(|v| YearValueDto {
            year: v.year,
            value: v.value,
        })
        .collect()
}

impl IndicatorDto {
    pub fn new(
        data: &IndicatorData,
        goal_ids: Vec<Uuid>,
        year: Option<i32>,
    ) -> Result<Self, ApiError> {
        let derived = indicators::derive(data, year)?;
        let m = &data.model;
        Ok(IndicatorDto {
            id: m.id,
            name: m.name.clone(),
            unit: m.unit.clone(),
            polarity: m.polarity_confirmed.then_some(m.polarity),
            description: m.description.clone(),
            trend_threshold: indicators::decimal_of(&m.trend_threshold)?,
            source: m.source.clone(),
            kolada_id: m.kolada_id.clone(),
            divided_by_gender: m.divided_by_gender,
            position: m.position,
            goal_ids,
            year: derived.year,
            utfall: utfall_up_to(data, derived.year),
            values: data.values.iter().map(IndicatorValueDto::of).collect(),
            riktvarden: data
                .riktvarden
                .iter()
                .map(|r| RiktvardeDto::new(r.year, &r.target))
                .collect(),
            riktvarde: match (derived.year, &derived.riktvarde) {
                (Some(y), Some(t)) => Some(RiktvardeDto::new(y, t)),
                _ => None,
            },
            utfall_used: derived.utfall.map(YearValueDto::from),
            foregaende_ar: derived.foregaende.map(YearValueDto::from),
            maluppfyllelse: derived.ratio.map(|r| r.round_dp(4)),
            trend: TrendDto::of(&derived),
            bedomning: BedomningDto::of(&derived),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

// ---------------------------------------------------------------------------
// Inputs

fn default_threshold() -> Decimal {
    Decimal::new(15, 1)
}

/// A new indicator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Arbetslöshet 16-64 år (%)", "unit": "procent", "polarity": "lagre_ar_battre",
    "trend_threshold": 1.5, "source": "Källa: AF månadsstatistik", "kolada_id": null, "divided_by_gender": true
}))]
pub struct CreateIndicator {
    /// 1–500 characters.
    #[schema(max_length = 500, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    /// 1–60 characters, e.g. `procent`, `antal`, `index`.
    #[schema(max_length = 60, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub unit: String,
    pub polarity: Polarity,
    /// Percent 0–100 below which a change is `oforandrad` (default 1.5).
    #[serde(default = "default_threshold", with = "super::decimal")]
    #[schema(value_type = Option<f64>, example = 1.5)]
    pub trend_threshold: Decimal,
    /// Källa as printed.
    pub source: Option<String>,
    /// Kolada KPI id, e.g. `U21468`.
    #[schema(pattern = r"^[A-Z0-9]{2,20}$")]
    pub kolada_id: Option<String>,
    #[serde(default)]
    pub divided_by_gender: bool,
    /// Placed last when left out.
    pub position: Option<i32>,
}

/// Changes to an indicator; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"trend_threshold": 2, "kolada_id": "N00640"}))]
pub struct UpdateIndicator {
    #[schema(max_length = 500, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    #[schema(max_length = 60, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub unit: Option<String>,
    pub polarity: Option<Polarity>,
    #[serde(default, with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub trend_threshold: Option<Decimal>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "super::common::double_option")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// Kolada KPI id; `null` clears it.
    #[serde(default, deserialize_with = "super::common::double_option")]
    #[schema(value_type = Option<String>, pattern = r"^[A-Z0-9]{2,20}$")]
    pub kolada_id: Option<Option<String>>,
    pub divided_by_gender: Option<bool>,
    pub position: Option<i32>,
}

/// Fields derived or kept by the service.
const DERIVED: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "goal_ids",
    "year",
    "utfall",
    "values",
    "riktvarden",
    "riktvarde",
    "utfall_used",
    "foregaende_ar",
    "maluppfyllelse",
    "trend",
    "bedomning",
];

fn check_threshold(t: Decimal, errors: &mut Vec<FieldError>) {
    if TrendThreshold::from_percent(t).is_err() {
        errors.push(FieldError::new(
            "trend_threshold",
            "must be a percentage 0–100 (e.g. 1.5)",
        ));
    }
}

pub(crate) fn check_kolada(k: &str, errors: &mut Vec<FieldError>) {
    let ok = (2..=20).contains(&k.len())
        && k.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !ok {
        errors.push(FieldError::new(
            "kolada_id",
            "must be a Kolada KPI id such as U21468 (A–Z, 0–9)",
        ));
    }
}

impl Input for CreateIndicator {
    const READ_ONLY: &'static [&'static str] = DERIVED;
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        goals::check_text("name", &self.name, 500, &mut errors);
        goals::check_text("unit", &self.unit, 60, &mut errors);
        check_threshold(self.trend_threshold, &mut errors);
        if let Some(k) = &self.kolada_id {
            check_kolada(k, &mut errors);
        }
        errors
    }
}

impl Input for UpdateIndicator {
    const READ_ONLY: &'static [&'static str] = DERIVED;
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(n) = &self.name {
            goals::check_text("name", n, 500, &mut errors);
        }
        if let Some(u) = &self.unit {
            goals::check_text("unit", u, 60, &mut errors);
        }
        if let Some(t) = self.trend_threshold {
            check_threshold(t, &mut errors);
        }
        if let Some(Some(k)) = &self.kolada_id {
            check_kolada(k, &mut errors);
        }
        errors
    }
}

/// One riktvärde: a number (`value`) or a text target (`text`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2024, "value": 8.0}))]
pub struct RiktvardeInput {
    /// `YYYY` (number or string).
    #[serde(deserialize_with = "de_year")]
    #[schema(value_type = i32, example = 2024)]
    pub year: i32,
    /// A number or numeric string.
    #[serde(default, with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<Decimal>,
    /// A target without a number, e.g. "öka".
    pub text: Option<String>,
}

/// Every riktvärde of the indicator (replaces the stored ones).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"riktvarden": [{"year": 2024, "value": 8.0}, {"year": 2025, "text": "Öka jmf utfall 2024"}]}))]
pub struct PutRiktvarden {
    /// At most 200.
    pub riktvarden: Vec<RiktvardeInput>,
}

impl PutRiktvarden {
    fn entries(&self) -> Result<Vec<StoredRiktvarde>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out: Vec<StoredRiktvarde> = Vec::new();
        if self.riktvarden.len() > 200 {
            return Err(vec![FieldError::new(
                "riktvarden",
                "at most 200 riktvärden",
            )]);
        }
        for (i, r) in self.riktvarden.iter().enumerate() {
            let target = match (&r.value, &r.text) {
                (Some(v), None) => Some(indicators::Target::Value(*v)),
                (None, Some(t)) if !t.trim().is_empty() && t.chars().count() <= 200 => {
                    Some(indicators::Target::Text(t.trim().to_string()))
                }
                (None, Some(_)) => {
                    errors.push(FieldError::new(
                        format!("riktvarden[{i}].text"),
                        "must be 1–200 characters",
                    ));
                    None
                }
                _ => {
                    errors.push(FieldError::new(
                        format!("riktvarden[{i}]"),
                        "give either value (a number) or text (e.g. \"öka\")",
                    ));
                    None
                }
            };
            if out.iter().any(|o| o.year == r.year) {
                errors.push(FieldError::new(
                    format!("riktvarden[{i}].year"),
                    "has a riktvärde already in this request",
                ));
                continue;
            }
            if let Some(target) = target {
                out.push(StoredRiktvarde {
                    year: r.year,
                    target,
                });
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

impl Input for PutRiktvarden {
    fn validate(&self) -> Vec<FieldError> {
        self.entries().err().unwrap_or_default()
    }
}

fn total() -> Gender {
    Gender::T
}

/// A value for a year and gender. Leaving out value, status and note
/// deletes the stored one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2024, "gender": "K", "value": 84.5}))]
pub struct IndicatorValueInput {
    /// `YYYY` (number or string).
    #[serde(deserialize_with = "de_year")]
    #[schema(value_type = i32, example = 2024)]
    pub year: i32,
    /// T (default), K or M.
    #[serde(default = "total")]
    pub gender: Gender,
    /// A number or numeric string; null when only a status or note is recorded.
    #[serde(default, with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<Decimal>,
    pub status: Option<String>,
    /// E.g. "Mäts vartannat år".
    pub note: Option<String>,
}

/// Values to write, all or nothing; values not mentioned stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"values": [
    {"year": 2022, "gender": "T", "value": 9.0},
    {"year": 2023, "gender": "T", "value": 9.1},
    {"year": 2024, "gender": "T", "value": 9.3},
    {"year": 2025, "gender": "T", "note": "Mäts vartannat år"}
]}))]
pub struct PutIndicatorValues {
    /// At most 1000.
    pub values: Vec<IndicatorValueInput>,
}

impl PutIndicatorValues {
    fn writes(&self) -> Result<Vec<ValueWrite>, Vec<FieldError>> {
        if self.values.len() > 1000 {
            return Err(vec![FieldError::new("values", "at most 1000 values")]);
        }
        let mut errors = Vec::new();
        let mut out: Vec<ValueWrite> = Vec::new();
        let clean = |s: &Option<String>| {
            s.as_ref()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        };
        for (i, v) in self.values.iter().enumerate() {
            if v.value
                .is_some_and(|d| d.abs() >= Decimal::new(1_000_000_000_000_000_000, 0))
            {
                errors.push(FieldError::new(
                    format!("values[{i}].value"),
                    "is too large",
                ));
            }
            if v.status.as_ref().is_some_and(|s| s.chars().count() > 40) {
                errors.push(FieldError::new(
                    format!("values[{i}].status"),
                    "must be at most 40 characters",
                ));
            }
            if v.note.as_ref().is_some_and(|s| s.chars().count() > 2000) {
                errors.push(FieldError::new(
                    format!("values[{i}].note"),
                    "must be at most 2000 characters",
                ));
            }
            if let Some(j) = out
                .iter()
                .position(|o| o.year == v.year && o.gender == v.gender)
            {
                errors.push(FieldError::new(
                    format!("values[{i}]"),
                    format!("the same year and gender as values[{j}]; send each value once"),
                ));
                continue;
            }
            out.push(ValueWrite::manual(
                v.year,
                v.gender,
                v.value,
                clean(&v.status),
                clean(&v.note),
            ));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

impl Input for PutIndicatorValues {
    fn validate(&self) -> Vec<FieldError> {
        self.writes().err().unwrap_or_default()
    }
}

/// A manual trend, with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"value": "oforandrad", "reason": "Förändringen jämfört med föregående år är inte statistiskt säkerställd."}))]
pub struct TrendOverrideInput {
    pub value: Trend,
    /// Required, not blank.
    pub reason: Option<String>,
}

/// A manual bedömning, with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"value": "ingen", "reason": "Mäts vartannat år; inget utfall 2024."}))]
pub struct BedomningOverrideInput {
    pub value: Bedomning,
    /// Required, not blank.
    pub reason: Option<String>,
}

/// The overrides of a year; a left-out or null one is cleared.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"trend": {"value": "oforandrad", "reason": "Förändringen jämfört med föregående år är inte statistiskt säkerställd."}, "bedomning": null}))]
pub struct PutOverrides {
    pub trend: Option<TrendOverrideInput>,
    pub bedomning: Option<BedomningOverrideInput>,
}

fn make_override<T>(
    value: T,
    reason: Option<&String>,
    field: &str,
) -> Result<Override<T>, FieldError> {
    Override::new(value, reason.cloned().unwrap_or_default().trim())
        .map_err(|e| FieldError::new(format!("{field}.reason"), e.to_string()))
}

impl PutOverrides {
    #[allow(clippy::type_complexity)]
    fn overrides(
        &self,
    ) -> Result<(Option<Override<Trend>>, Option<Override<Bedomning>>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let trend = self.trend.as_ref().and_then(|t| {
            make_override(t.value, t.reason.as_ref(), "trend")
                .map_err(|e| errors.push(e))
                .ok()
        });
        let bedomning = self.bedomning.as_ref().and_then(|b| {
            make_override(b.value, b.reason.as_ref(), "bedomning")
                .map_err(|e| errors.push(e))
                .ok()
        });
        if self
            .trend
            .iter()
            .filter_map(|t| t.reason.as_ref())
            .chain(self.bedomning.iter().filter_map(|b| b.reason.as_ref()))
            .any(|r| r.chars().count() > 2000)
        {
            errors.push(FieldError::new("reason", "must be at most 2000 characters"));
        }
        if errors.is_empty() {
            Ok((trend, bedomning))
        } else {
            Err(errors)
        }
    }
}

impl Input for PutOverrides {
    fn validate(&self) -> Vec<FieldError> {
        self.overrides().err().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Queries

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// The year to assess (`YYYY`); default per indicator the latest year
    /// with a riktvärde.
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// Only the indicator(s) with this Kolada id.
    #[param(example = "U21468")]
    pub kolada_id: Option<String>,
    /// Only indicators of this goal.
    pub goal_id: Option<Uuid>,
    /// Only indicators of the goals of this goal area.
    pub goal_area_id: Option<Uuid>,
    /// Only indicators of goals this nämnd (code) answers for.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Part of the name (case-insensitive).
    #[param(example = "hemtjänst")]
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The year to assess (`YYYY`); default the latest year with a riktvärde.
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// The report year (`YYYY`); default the latest year with a riktvärde
    /// of any indicator in the table. Only goal areas of plans in force that
    /// year (their from/to years include it) are shown.
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// Only this goal area.
    pub goal_area_id: Option<Uuid>,
    /// Only goals this nämnd (code) answers for.
    #[param(example = "VON")]
    pub namnd: Option<String>,
}

fn plan(principal: &Principal) -> Target<'_> {
    Target::Plan {
        kommun: &principal.kommun_code,
    }
}

/// Goal ids selected by goal, goal area and nämnd filters; None when no
/// such filter is given.
async fn goal_ids_for(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    goal_id: Option<Uuid>,
    goal_area_id: Option<Uuid>,
    namnd: Option<&str>,
) -> Result<Option<Vec<Uuid>>, ApiError> {
    if goal_id.is_none() && goal_area_id.is_none() && namnd.is_none() {
        return Ok(None);
    }
    let namnd_id = match namnd {
        None => None,
        Some(code) => match goals::namnd_by_code(db, kommun_id, code).await? {
            Some(n) => Some(n.id),
            None => return Ok(Some(Vec::new())),
        },
    };
    let filter = goals::GoalFilter {
        goal_area_id,
        namnd_id,
        ids: goal_id.map(|g| vec![g]),
        ..Default::default()
    };
    Ok(Some(goals::ids(db, kommun_id, &filter).await?))
}

// ---------------------------------------------------------------------------
// Handlers

/// List indicators with their trend and bedömning for `year`.
#[utoipa::path(
    tag = "indicators",
    params(IndicatorQuery, PageParams),
    responses(
        (status = 200, description = "One page of indicators", body = Page<IndicatorDto>),
        (status = 422, description = "Invalid year", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/indicators")]
pub async fn list_indicators(
    state: web::Data<AppState>,
    principal: Principal,
    query: ApiQuery<IndicatorQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, plan(&principal))?;
    let page = page.parse()?;
    let year = query_year(query.year.as_deref(), "year")?;
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(HttpResponse::Ok().json(Page::<IndicatorDto> {
            items: vec![],
            next_cursor: None,
        }));
    };
    let goal_ids = goal_ids_for(
        &state.db,
        kommun_id,
        query.goal_id,
        query.goal_area_id,
        query.namnd.as_deref(),
    )
    .await?;
    let filter = indicators::IndicatorFilter {
        kolada_id: query.kolada_id.clone(),
        goal_ids,
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
    };
    let (rows, next) = indicators::list(&state.db, kommun_id, &filter, &page).await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut goals_of = indicators::goals_of(&state.db, kommun_id, &ids).await?;
    let data = indicators::load_data(&state.db, kommun_id, rows).await?;
    let items = data
        .iter()
        .map(|d| IndicatorDto::new(d, goals_of.remove(&d.model.id).unwrap_or_default(), year))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    }))
}

/// One row of the appendix table.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "name": "Arbetslöshet 16-64 år (%)", "unit": "procent",
    "polarity": "lagre_ar_battre",
    "utfall": [{"year": 2022, "value": 9.0}, {"year": 2023, "value": 9.1}, {"year": 2024, "value": 9.3}],
    "trend": {"computed": "forsamrad", "final": "forsamrad", "override_reason": null},
    "riktvarde": {"year": 2024, "value": 8.0, "text": null},
    "bedomning": {"computed": "rod", "final": "rod", "override_reason": null},
    "source": "Källa: AF månadsstatistik", "kolada_id": null, "jamforelse": null
}))]
pub struct AppendixRow {
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    pub polarity: Polarity,
    /// Utfall (T) of the table's `years`, null where missing.
    pub utfall: Vec<YearValueDto>,
    pub trend: TrendDto,
    pub riktvarde: Option<RiktvardeDto>,
    pub bedomning: BedomningDto,
    /// Källa as printed.
    pub source: Option<String>,
    pub kolada_id: Option<String>,
    /// For an indicator with a Kolada id, the country's and the comparison
    /// group's values of the table's `years` (one per year, values null
    /// where Kolada has none); null without Kolada id.
    #[schema(required = true)]
    pub jamforelse: Option<Vec<JamforelseDto>>,
}

/// A goal of the appendix with its indicators.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "title": "Ökad sysselsättning och egen försörjning",
    "huvudansvar": "VIAN", "indicators": []}))]
pub struct AppendixGoal {
    pub id: Uuid,
    pub title: String,
    /// Code of the huvudansvar nämnd (null for a goal of all nämnder).
    pub huvudansvar: Option<String>,
    pub indicators: Vec<AppendixRow>,
}

/// A goal area of the appendix.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "name": "Tillväxt, bostäder & fler jobb",
    "plan": "Kommunplan 2023-2026", "goals": []}))]
pub struct AppendixArea {
    pub id: Uuid,
    pub name: String,
    pub plan: String,
    pub goals: Vec<AppendixGoal>,
}

/// The indicator appendix of a report year: utfall of the year and the two
/// before, trend, riktvärde, bedömning and källa, by goal area and goal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "years": [2022, 2023, 2024], "goal_areas": [
    {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "name": "Tillväxt, bostäder & fler jobb", "plan": "Kommunplan 2023-2026",
     "goals": [{"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "title": "Ökad sysselsättning och egen försörjning", "huvudansvar": "VIAN",
        "indicators": [{"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "name": "Arbetslöshet 16-64 år (%)", "unit": "procent", "polarity": "lagre_ar_battre",
            "utfall": [{"year": 2022, "value": 9.0}, {"year": 2023, "value": 9.1}, {"year": 2024, "value": 9.3}],
            "trend": {"computed": "forsamrad", "final": "forsamrad", "override_reason": null},
            "riktvarde": {"year": 2024, "value": 8.0, "text": null},
            "bedomning": {"computed": "rod", "final": "rod", "override_reason": null},
            "source": "Källa: AF månadsstatistik", "kolada_id": null, "jamforelse": null}]}]}]}))]
pub struct AppendixDto {
    pub year: i32,
    /// The utfall columns: the year and the two before.
    pub years: Vec<i32>,
    pub goal_areas: Vec<AppendixArea>,
}

/// The indicator appendix (as printed in an årsredovisning) in one request.
#[utoipa::path(
    tag = "indicators",
    params(TableQuery),
    responses(
        (status = 200, description = "The appendix", body = AppendixDto),
        (status = 422, description = "Invalid year", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/indicators/table")]
pub async fn indicator_table(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    query: ApiQuery<TableQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, plan(&principal))?;
    let year = query_year(query.year.as_deref(), "year")?;
    let kommun_id = principal.require_kommun()?;
    let snapshot = Snapshot::take(&state, kommun_id).await?;
    // Without a year the answer may fall back on the current one.
    let key = format!(
        "indicators/table?year={year:?}&goal_area={:?}&namnd={:?}&now={}",
        query.goal_area_id,
        query.namnd,
        if year.is_none() {
            chrono::Utc::now().year()
        } else {
            0
        }
    );
    snapshot
        .respond(&req, &state, key, || async {
            json(
                &appendix_table(
                    &state.db,
                    kommun_id,
                    year,
                    query.goal_area_id,
                    query.namnd.as_deref(),
                )
                .await?,
            )
        })
        .await
}

/// The indicator appendix of `year` (default: the latest year with a
/// riktvärde), optionally of one goal area and of the goals one nämnd
/// (code) answers for. Also part of a report's document.
pub async fn appendix_table(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    year: Option<i32>,
    goal_area_id: Option<Uuid>,
    namnd: Option<&str>,
) -> Result<AppendixDto, ApiError> {
    let goal_ids = match namnd {
        None => None,
        Some(code) => {
            let ids = goal_ids_for(db, kommun_id, None, goal_area_id, Some(code))
                .await?
                .unwrap_or_default();
            Some(ids.into_iter().collect::<BTreeSet<_>>())
        }
    };
    let appendix = indicators::appendix(
        db,
        kommun_id,
        goal_area_id,
        goal_ids.as_ref(),
        indicators::TargetYears::All,
    )
    .await?;
    let year = year
        .or_else(|| {
            appendix
                .indicators
                .values()
                .filter_map(|d| d.riktvarden.iter().map(|r| r.year).max())
                .max()
        })
        .unwrap_or_else(|| chrono::Utc::now().year());
    let years: Vec<i32> = (year.saturating_sub(2)..=year).collect();
    let namnder = goals::namnder_by_id(
        db,
        kommun_id,
        appendix.goals.iter().filter_map(|g| g.huvudansvar_id),
    )
    .await?;
    let ids: Vec<Uuid> = appendix.indicators.keys().copied().collect();
    let compared = kolada_comparisons::load(db, kommun_id, &ids).await?;
    let mut areas = Vec::new();
    for area in appendix
        .areas
        .iter()
        .filter(|a| crate::domain::plan_in_force(a.from_year, a.to_year, year))
    {
        let mut goals_out = Vec::new();
        for g in appendix
            .goals
            .iter()
            .filter(|g| g.goal_area_id == Some(area.id))
        {
            let mut rows = Vec::new();
            for id in appendix.links.get(&g.id).into_iter().flatten() {
                let Some(d) = appendix.indicators.get(id) else {
                    continue;
                };
                let derived = indicators::derive(d, Some(year))?;
                rows.push(AppendixRow {
                    id: d.model.id,
                    name: d.model.name.clone(),
                    unit: d.model.unit.clone(),
                    polarity: d.model.polarity,
                    utfall: years
                        .iter()
                        .map(|y| YearValueDto {
                            year: *y,
                            value: d
                                .values
                                .iter()
                                .find(|v| v.year == *y && v.gender == Gender::T)
                                .and_then(|v| v.value),
                        })
                        .collect(),
                    trend: TrendDto::of(&derived),
                    riktvarde: derived
                        .riktvarde
                        .as_ref()
                        .map(|t| RiktvardeDto::new(year, t)),
                    bedomning: BedomningDto::of(&derived),
                    source: d.model.source.clone(),
                    kolada_id: d.model.kolada_id.clone(),
                    jamforelse: d.model.kolada_id.as_ref().map(|_| {
                        years
                            .iter()
                            .map(|y| compared.of(d.model.id, *y, Gender::T).into())
                            .collect()
                    }),
                });
            }
            goals_out.push(AppendixGoal {
                id: g.id,
                title: g.title.clone(),
                huvudansvar: g
                    .huvudansvar_id
                    .and_then(|h| namnder.get(&h))
                    .map(|n| n.code.clone()),
                indicators: rows,
            });
        }
        areas.push(AppendixArea {
            id: area.id,
            name: area.name.clone(),
            plan: area.plan.clone(),
            goals: goals_out,
        });
    }
    Ok(AppendixDto {
        year,
        years,
        goal_areas: areas,
    })
}

/// Indicators, for their create, `PATCH` and `DELETE` (their `GET` takes a
/// year).
pub struct Indicators;

impl Item for Indicators {
    type Current = indicator::Model;
    type Dto = IndicatorDto;
    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<indicator::Model, ApiError> {
        cx.row::<indicator::Entity>(id, action, plan).await
    }
    fn id(current: &indicator::Model) -> Uuid {
        current.id
    }
    fn version(current: &indicator::Model) -> i32 {
        current.version
    }
    async fn dto(cx: &Ctx, current: indicator::Model) -> Result<IndicatorDto, ApiError> {
        let data = indicators::load_one(cx.db(), current.kommun_id, current.id).await?;
        dto_of(&cx.state, current.kommun_id, &data, None).await
    }
}

impl Create<CreateIndicator> for Indicators {
    async fn create(cx: &Ctx, b: CreateIndicator) -> Result<indicator::Model, ApiError> {
        cx.authorized(Action::Create, plan)?;
        let spec = indicators::IndicatorSpec {
            name: b.name.trim().to_string(),
            unit: b.unit.trim().to_string(),
            polarity: b.polarity,
            trend_threshold: b.trend_threshold,
            source: b
                .source
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            kolada_id: b.kolada_id,
            divided_by_gender: b.divided_by_gender,
            position: b.position,
            description: None,
            polarity_confirmed: true,
        };
        Ok(indicators::create(cx.db(), &cx.actor()?, spec).await?)
    }
}

impl Patch<UpdateIndicator> for Indicators {
    async fn patch(
        cx: &Ctx,
        current: indicator::Model,
        b: UpdateIndicator,
    ) -> Result<indicator::Model, ApiError> {
        let changes = indicators::IndicatorChanges {
            name: b.name.map(|n| n.trim().to_string()),
            unit: b.unit.map(|u| u.trim().to_string()),
            polarity: b.polarity,
            trend_threshold: b.trend_threshold,
            source: b.source,
            kolada_id: b.kolada_id,
            divided_by_gender: b.divided_by_gender,
            position: b.position,
        };
        let actor = cx.actor()?;
        Ok(indicators::update(cx.db(), &actor, current.id, current.version, changes).await?)
    }
}

impl Delete for Indicators {
    async fn delete(cx: &Ctx, current: indicator::Model) -> Result<(), ApiError> {
        let actor = cx.actor()?;
        let version = current.version;
        Ok(crud::delete_audited::<indicator::Entity>(cx.db(), &actor, &current, version).await?)
    }
}

crate::api::resource::item_routes! {
    Indicators, IndicatorDto, "indicators", "/indicators/{id}", "Indicator id";
    create: /// Create an indicator (admin, kommunledning).
        create_indicator(CreateIndicator) "/indicators" "Created", 422 "Invalid";
    patch: /// Change an indicator (admin, kommunledning). Needs `If-Match`.
        update_indicator(UpdateIndicator) "Changed", 422 "Invalid";
    delete: /// Delete an indicator with its values, riktvärden and goal links (admin,
        /// kommunledning). Needs `If-Match`.
        delete_indicator "Deleted";
}

async fn dto_of(
    state: &AppState,
    kommun_id: Uuid,
    data: &IndicatorData,
    year: Option<i32>,
) -> Result<IndicatorDto, ApiError> {
    let goal_ids = indicators::goals_of(&state.db, kommun_id, &[data.model.id])
        .await?
        .remove(&data.model.id)
        .unwrap_or_default();
    IndicatorDto::new(data, goal_ids, year)
}

/// Read an indicator with its trend and bedömning for `year`.
#[utoipa::path(
    tag = "indicators",
    params(("id" = Uuid, Path, description = "Indicator id"), YearQuery),
    responses(
        (status = 200, description = "The indicator", body = IndicatorDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 422, description = "Invalid year", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/indicators/{id}")]
pub async fn get_indicator(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    query: ApiQuery<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, plan(&principal))?;
    let year = query_year(query.year.as_deref(), "year")?;
    let kommun_id = principal.require_kommun()?;
    let data = indicators::load_one(&state.db, kommun_id, *id).await?;
    let dto = dto_of(&state, kommun_id, &data, year).await?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// The version in an optional `If-Match` (None for `*`).
fn optional_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    super::common::optional_if_match_version(req)
}

/// Replace the riktvärden of an indicator (admin, kommunledning).
/// `If-Match` (the indicator's ETag) guards the change when given.
#[utoipa::path(
    tag = "indicators",
    request_body = PutRiktvarden,
    params(
        ("id" = Uuid, Path, description = "Indicator id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the indicator"),
    ),
    responses(
        (status = 200, description = "The indicator with its new riktvärden", body = IndicatorDto, headers(("ETag" = String))),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (e.g. a year that is not YYYY)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{id}/riktvarden")]
pub async fn put_riktvarden(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ApiJson<PutRiktvarden>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Update, plan(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let entries = body.0.entries().map_err(ApiError::Validation)?;
    let expected = optional_version(&req)?;
    let data = indicators::put_riktvarden(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        expected,
        entries,
    )
    .await?;
    let dto = dto_of(&state, kommun_id, &data, None).await?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Write values per year and gender, all or nothing (admin, kommunledning,
/// integration). Values not mentioned stay; one without value, status and
/// note is deleted. `If-Match` guards the change when given.
#[utoipa::path(
    tag = "indicators",
    operation_id = "put_indicator_values",
    request_body = PutIndicatorValues,
    params(
        ("id" = Uuid, Path, description = "Indicator id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the indicator"),
    ),
    responses(
        (status = 200, description = "The indicator with its values", body = IndicatorDto, headers(("ETag" = String))),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (e.g. a gender other than T, K, M)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{id}/values")]
pub async fn put_values(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ApiJson<PutIndicatorValues>,
) -> Result<HttpResponse, ApiError> {
    authorize(
        &principal,
        Action::Update,
        Target::IndicatorValues {
            kommun: &principal.kommun_code,
        },
    )?;
    let kommun_id = principal.require_kommun()?;
    let writes = body.0.writes().map_err(ApiError::Validation)?;
    let expected = optional_version(&req)?;
    let data = indicators::put_values(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        expected,
        writes,
    )
    .await?;
    let dto = dto_of(&state, kommun_id, &data, None).await?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Set or clear the trend and bedömning overrides of a year, each with its
/// reason (admin, kommunledning). `If-Match` guards the change when given.
#[utoipa::path(
    tag = "indicators",
    request_body = PutOverrides,
    params(
        ("id" = Uuid, Path, description = "Indicator id"),
        ("year" = i32, Path, description = "The year", example = 2024, minimum = 1900, maximum = 2200),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the indicator"),
    ),
    responses(
        (status = 200, description = "The indicator for that year", body = IndicatorDto, headers(("ETag" = String))),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (e.g. an override without a reason)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{id}/overrides/{year}")]
pub async fn put_overrides(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, String)>,
    body: ApiJson<PutOverrides>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Update, plan(&principal))?;
    let (id, year) = path.into_inner();
    let year = query_year(Some(&year), "year")?
        .ok_or_else(|| ApiError::validation("year", "give the year"))?;
    let kommun_id = principal.require_kommun()?;
    let (trend, bedomning) = body.0.overrides().map_err(ApiError::Validation)?;
    let expected = optional_version(&req)?;
    let data = indicators::put_overrides(
        &state.db,
        &actor(&req, &principal, kommun_id),
        id,
        expected,
        year,
        trend,
        bedomning,
    )
    .await?;
    let dto = dto_of(&state, kommun_id, &data, Some(year)).await?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(indicator_table).service(list_indicators);
    item_services(cfg);
    cfg.service(get_indicator)
        .service(put_riktvarden)
        .service(put_values)
        .service(put_overrides);
}
