//! Figure values as clients send and read them: one month, a whole period,
//! or (for prognos) the month the forecast was made.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    domain::{EntryPeriod, Measure, YearMonth},
    error::FieldError,
    service::budget_lines::{ValueWrite, amount_to_ore, month_key},
};

/// A span of months within one calendar year.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2024-01", "to": "2024-08"}))]
pub struct MonthRange {
    #[schema(example = "2024-01")]
    pub from: String,
    #[schema(example = "2024-08")]
    pub to: String,
}

/// One value of a budget line. Give `month` for a monthly figure or `period`
/// for a whole-period figure; a prognos gives the month it was made as
/// `month` (or `made_at`). `amount: null` removes the value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"measure": "utfall", "month": "2024-03", "amount": -26241000}))]
pub struct ValueInput {
    pub measure: Measure,
    #[schema(example = "2024-03")]
    pub month: Option<String>,
    pub period: Option<MonthRange>,
    /// For prognos: the month the full-year forecast was made.
    #[schema(example = "2024-08")]
    pub made_at: Option<String>,
    /// Kronor, result convention (income +, cost −) unless the request says
    /// `costs_positive`. A number or a numeric string; null removes.
    #[serde(deserialize_with = "crate::api::decimal::option::deserialize")]
    #[schema(value_type = Option<f64>, example = -26241000)]
    pub amount: Option<Decimal>,
}

/// A stored value.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"measure": "budget", "month": null, "period": {"from": "2024-01", "to": "2024-12"}, "amount": -29814000}))]
pub struct ValueOutput {
    pub measure: Measure,
    /// Set for a single month (for prognos: the month it was made).
    pub month: Option<String>,
    /// Set for a whole-period value.
    pub period: Option<MonthRange>,
    #[serde(with = "crate::api::decimal")]
    #[schema(value_type = f64)]
    pub amount: Decimal,
}

fn parse_month(text: &str, field: &str) -> Result<YearMonth, FieldError> {
    text.parse::<YearMonth>()
        .map_err(|e| FieldError::new(field, format!("{e}; expected YYYY-MM, e.g. 2024-08")))
}

impl ValueInput {
    /// The write this input asks for; errors are named `{path}.field`.
    pub fn to_write(
        &self,
        path: &str,
        costs_positive: bool,
    ) -> Result<ValueWrite, Vec<FieldError>> {
        let month = match (&self.month, &self.made_at) {
            (Some(_), Some(_)) => {
                return Err(vec![FieldError::new(
                    format!("{path}.made_at"),
                    "give month or made_at, not both",
                )]);
            }
            (Some(m), None) => Some(parse_month(m, &format!("{path}.month")).map_err(|e| vec![e])?),
            (None, Some(m)) => {
                if self.measure != Measure::Prognos {
                    return Err(vec![FieldError::new(
                        format!("{path}.made_at"),
                        "is only for prognos; use month",
                    )]);
                }
                Some(parse_month(m, &format!("{path}.made_at")).map_err(|e| vec![e])?)
            }
            (None, None) => None,
        };
        let period = match (month, &self.period) {
            (Some(_), Some(_)) => {
                return Err(vec![FieldError::new(
                    format!("{path}.period"),
                    "give month or period, not both",
                )]);
            }
            (Some(m), None) => EntryPeriod::month(m),
            (None, Some(_)) if self.measure == Measure::Prognos => {
                return Err(vec![FieldError::new(
                    format!("{path}.period"),
                    "a prognos is made in one month: give month (or made_at)",
                )]);
            }
            (None, Some(range)) => {
                let from = parse_month(&range.from, &format!("{path}.period.from"))
                    .map_err(|e| vec![e])?;
                let to =
                    parse_month(&range.to, &format!("{path}.period.to")).map_err(|e| vec![e])?;
                EntryPeriod::range(from, to)
                    .map_err(|e| vec![FieldError::new(format!("{path}.period"), e.to_string())])?
            }
            (None, None) => {
                return Err(vec![FieldError::new(
                    format!("{path}.month"),
                    "give month (YYYY-MM) or period {from, to}",
                )]);
            }
        };
        let amount_ore = self
            .amount
            .map(|a| amount_to_ore(a, costs_positive, self.measure, &format!("{path}.amount")))
            .transpose()
            .map_err(|e| vec![e])?;
        Ok(ValueWrite {
            measure: self.measure,
            period,
            amount_ore,
        })
    }
}

/// Converts every input, collecting all field errors.
pub fn to_writes(
    inputs: &[ValueInput],
    path: &str,
    costs_positive: bool,
) -> Result<Vec<ValueWrite>, Vec<FieldError>> {
    let mut writes = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        match input.to_write(&format!("{path}[{i}]"), costs_positive) {
            Ok(w) => writes.push(w),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(writes)
    } else {
        Err(errors)
    }
}

pub fn output_of(v: &crate::entity::budget_value::Model) -> ValueOutput {
    let fmt = |k: i32| format!("{:04}-{:02}", k / 100, k % 100);
    let single = v.from_month == v.to_month;
    ValueOutput {
        measure: v.measure,
        month: single.then(|| fmt(v.from_month)),
        period: (!single).then(|| MonthRange {
            from: fmt(v.from_month),
            to: fmt(v.to_month),
        }),
        amount: crate::api::decimal::from_ore(v.amount_ore),
    }
}

/// `yyyymm` of a month text, for filters.
pub fn month_filter(text: &str, field: &str) -> Result<i32, FieldError> {
    parse_month(text, field).map(month_key)
}
