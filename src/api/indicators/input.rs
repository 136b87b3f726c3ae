//! What the indicator endpoints take: new and changed indicators,
//! riktvärden, values and overrides, each checked before the service sees it.

use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;

use super::years::de_year;
use crate::api::common::Input;
use crate::service::checks::check_figure;
use crate::{
    domain::{Bedomning, Gender, Override, Polarity, STATUS_MAX_CHARS, Trend, TrendThreshold},
    error::FieldError,
    service::{
        checks::{check_at_most, check_text},
        indicators::{self, StoredRiktvarde, ValueWrite},
    },
};

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
    #[serde(default = "default_threshold", with = "crate::api::decimal")]
    #[schema(value_type = Option<f64>, example = 1.5, minimum = 0, maximum = 100)]
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
    #[serde(default, with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100)]
    pub trend_threshold: Option<Decimal>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::api::common::double_option")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// Kolada KPI id; `null` clears it.
    #[serde(default, deserialize_with = "crate::api::common::double_option")]
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
        check_text("name", &self.name, 500, &mut errors);
        check_text("unit", &self.unit, 60, &mut errors);
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
            check_text("name", n, 500, &mut errors);
        }
        if let Some(u) = &self.unit {
            check_text("unit", u, 60, &mut errors);
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
    #[schema(value_type = i32, example = 2024, minimum = 1900, maximum = 2200)]
    pub year: i32,
    /// A number or numeric string.
    #[serde(default, with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub value: Option<Decimal>,
    /// A target without a number, e.g. "öka".
    #[schema(max_length = 200)]
    pub text: Option<String>,
}

/// Every riktvärde of the indicator (replaces the stored ones).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"riktvarden": [{"year": 2024, "value": 8.0}, {"year": 2025, "text": "Öka jmf utfall 2024"}]}))]
pub struct PutRiktvarden {
    /// At most 200.
    #[schema(max_items = 200)]
    pub riktvarden: Vec<RiktvardeInput>,
}

impl PutRiktvarden {
    pub(super) fn entries(&self) -> Result<Vec<StoredRiktvarde>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out: Vec<StoredRiktvarde> = Vec::new();
        if self.riktvarden.len() > 200 {
            return Err(vec![FieldError::new(
                "riktvarden",
                "at most 200 riktvärden",
            )]);
        }
        for (i, r) in self.riktvarden.iter().enumerate() {
            check_figure(&format!("riktvarden[{i}].value"), r.value, &mut errors);
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
    #[schema(value_type = i32, example = 2024, minimum = 1900, maximum = 2200)]
    pub year: i32,
    /// T (default), K or M.
    #[serde(default = "total")]
    pub gender: Gender,
    /// A number or numeric string; null when only a status or note is recorded.
    #[serde(default, with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub value: Option<Decimal>,
    #[schema(max_length = 40)]
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
    #[schema(max_items = 1000)]
    pub values: Vec<IndicatorValueInput>,
}

impl PutIndicatorValues {
    pub(super) fn writes(&self) -> Result<Vec<ValueWrite>, Vec<FieldError>> {
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
            check_figure(&format!("values[{i}].value"), v.value, &mut errors);
            let (status, note) = (v.status.as_deref(), v.note.as_deref());
            check_at_most(
                format!("values[{i}].status"),
                status,
                STATUS_MAX_CHARS,
                &mut errors,
            );
            check_at_most(format!("values[{i}].note"), note, 2000, &mut errors);
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
    pub(super) fn overrides(
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
