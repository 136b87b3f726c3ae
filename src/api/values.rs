//! Figure values as clients send and read them: one month, a whole period,
//! or (for prognos) the month the forecast was made.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    domain::Measure,
    error::FieldError,
    service::{
        budget_lines::{ValueWrite, month_key},
        line_input::{ValueText, parse_month},
    },
};

/// A span of months within one calendar year.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2024-01", "to": "2024-08"}))]
pub struct MonthRange {
    #[schema(
        pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        example = "2024-01"
    )]
    pub from: String,
    #[schema(
        pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        example = "2024-08"
    )]
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
    #[schema(
        pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        example = "2024-03"
    )]
    pub month: Option<String>,
    pub period: Option<MonthRange>,
    /// For prognos: the month the full-year forecast was made.
    #[schema(
        pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        example = "2024-08"
    )]
    pub made_at: Option<String>,
    /// Kronor, result convention (income +, cost −) unless the request says
    /// `costs_positive`. A number or a numeric string; null removes.
    #[serde(deserialize_with = "crate::api::decimal::option::deserialize")]
    #[schema(value_type = Option<f64>, minimum = -1_000_000_000_000.0, maximum = 1_000_000_000_000.0, example = -26241000)]
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

impl ValueInput {
    /// The write this input asks for; errors are named `{path}.field`.
    pub fn to_write(
        &self,
        path: &str,
        costs_positive: bool,
    ) -> Result<ValueWrite, Vec<FieldError>> {
        ValueText {
            measure: self.measure,
            month: self.month.as_deref(),
            period: self
                .period
                .as_ref()
                .map(|range| (range.from.as_str(), range.to.as_str())),
            made_at: self.made_at.as_deref(),
            amount: self.amount,
        }
        .to_write(path, costs_positive)
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
    // The index in `inputs` of each write, to name the first of two.
    let mut index = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        match input.to_write(&format!("{path}[{i}]"), costs_positive) {
            Ok(w) => {
                // Two values for one measure and month(s) in one request:
                // which one is meant is a guess; refuse rather than keep the last.
                let same = writes
                    .iter()
                    .position(|o: &ValueWrite| o.measure == w.measure && o.period == w.period);
                if let Some(j) = same {
                    errors.push(FieldError::new(
                        format!("{path}[{i}]"),
                        format!(
                            "the same measure and month(s) as {path}[{}]; send each value once",
                            index[j]
                        ),
                    ));
                } else {
                    writes.push(w);
                    index.push(i);
                }
            }
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
