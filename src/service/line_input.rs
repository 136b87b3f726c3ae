//! Budget lines and their values as clients and files write them, checked:
//! line codes and names, months, and a value given as one month, a whole
//! period or (for prognos) the month it was made. Shared by the budget-line
//! endpoints and the flat import.

use rust_decimal::Decimal;

use crate::{
    domain::{EntryPeriod, Measure, YearMonth},
    service::{
        budget_lines::{ValueWrite, amount_to_ore},
        error::FieldError,
    },
};

/// A line code: 1–40 characters without surrounding spaces.
pub fn check_code(code: &str, field: &str, errors: &mut Vec<FieldError>) {
    let ok = !code.trim().is_empty() && code.chars().count() <= 40 && code.trim() == code;
    if !ok {
        errors.push(FieldError::new(
            field,
            "must be 1–40 characters without surrounding spaces",
        ));
    }
}

/// A line name: 1–200 characters.
pub fn check_name(name: &str, field: &str, errors: &mut Vec<FieldError>) {
    super::checks::check_text(field, name, 200, errors);
}

/// A month `YYYY-MM`, or a field error on `field`.
pub fn parse_month(text: &str, field: &str) -> Result<YearMonth, FieldError> {
    text.parse::<YearMonth>()
        .map_err(|e| FieldError::new(field, format!("{e}; expected YYYY-MM, e.g. 2024-08")))
}

/// One value as text, before checking. Give `month` for a monthly figure or
/// `period` (from, to) for a whole-period figure; a prognos gives the month
/// it was made as `month` (or `made_at`).
#[derive(Debug, Clone, Copy)]
pub struct ValueText<'a> {
    pub measure: Measure,
    pub month: Option<&'a str>,
    pub period: Option<(&'a str, &'a str)>,
    pub made_at: Option<&'a str>,
    /// Kronor; `None` removes the value.
    pub amount: Option<Decimal>,
}

impl ValueText<'_> {
    /// The write this input asks for; errors are named `{path}.field`.
    pub fn to_write(
        &self,
        path: &str,
        costs_positive: bool,
    ) -> Result<ValueWrite, Vec<FieldError>> {
        let month = match (self.month, self.made_at) {
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
        let period = match (month, self.period) {
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
            (None, Some((from, to))) => {
                let from =
                    parse_month(from, &format!("{path}.period.from")).map_err(|e| vec![e])?;
                let to = parse_month(to, &format!("{path}.period.to")).map_err(|e| vec![e])?;
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
