//! What the indicator endpoints answer: indicators with their derived trend
//! and bedömning, values, riktvärden and Kolada's comparisons.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{Bedomning, Gender, Observation, Polarity, Trend, ValueSource},
    error::ApiError,
    service::{
        indicators::{self, Derived, IndicatorData},
        kolada_comparisons,
    },
};

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
    pub(super) fn of(d: &Derived) -> Self {
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
    #[serde(with = "crate::api::decimal::option")]
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
    #[serde(with = "crate::api::decimal::option")]
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
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>, required = true)]
    pub country: Option<Decimal>,
    /// The comparison group's value; null when Kolada has none or no group
    /// is set.
    #[serde(with = "crate::api::decimal::option")]
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
    #[serde(with = "crate::api::decimal::option")]
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
    #[serde(with = "crate::api::decimal::option")]
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
    #[serde(with = "crate::api::decimal")]
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
    #[serde(with = "crate::api::decimal::option")]
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
