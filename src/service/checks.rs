//! Field checks every kind of input shares: names and titles, markdown
//! texts and exact numbers. Each pushes a [`FieldError`] naming the field,
//! so one request's errors are all reported together.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::error::FieldError;
use crate::domain::{MAX_YEAR, MIN_YEAR};

/// Markdown texts (comments, section bodies) are at most this many bytes.
pub const MARKDOWN_MAX_BYTES: usize = 1_000_000;

/// A text of 1–`max` characters that is not only white space.
pub fn check_text(field: &str, text: &str, max: usize, errors: &mut Vec<FieldError>) {
    if text.trim().is_empty() || text.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1–{max} characters"),
        ));
    }
}

/// An optional text of at most `max` characters (empty allowed).
pub fn check_at_most(
    field: impl Into<String>,
    text: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) {
    if text.is_some_and(|t| t.chars().count() > max) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// A date of a year 1900–2200, as every year the service keeps: a date
/// outside four-digit years would be answered in a form that is no
/// `YYYY-MM-DD` (`+10000-01-01`).
pub fn check_date(field: &str, date: Option<NaiveDate>, errors: &mut Vec<FieldError>) {
    if date.is_some_and(|d| !(MIN_YEAR..=MAX_YEAR).contains(&d.year())) {
        let message = format!("must be a date in the years {MIN_YEAR}–{MAX_YEAR}");
        errors.push(FieldError::new(field, message));
    }
}

/// A markdown text of at most 1 MB.
pub fn check_markdown(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    if text.len() > MARKDOWN_MAX_BYTES {
        errors.push(FieldError::new(field, "must be at most 1 MB"));
    }
}

/// Figures (volumes, key figures, indicator values) must be smaller than
/// this in magnitude (10^18), so sums over any window never overflow.
pub fn max_abs() -> Decimal {
    Decimal::new(1_000_000_000_000_000_000, 0)
}

/// What a field or parameter holding U+0000 is told.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// Every string (and member name) holding U+0000, which no text column of
/// either database stores (PostgreSQL refuses it), named by its path.
pub fn nul_fields(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    match value {
        serde_json::Value::String(text) if text.contains('\0') => {
            out.push(FieldError::new(path, NUL_MESSAGE));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_fields(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, member) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if key.contains('\0') {
                    out.push(FieldError::new(child.clone(), NUL_MESSAGE));
                }
                nul_fields(member, &child, out);
            }
        }
        _ => {}
    }
}

/// What a figure beyond [`max_abs`] is told.
pub const FIGURE_TOO_LARGE: &str = "is too large";

/// Whether `value` is a figure the service keeps: within [`max_abs`].
pub fn is_figure(value: Decimal) -> bool {
    value.abs() < max_abs()
}

/// A figure within [`max_abs`].
pub fn check_figure(field: &str, value: Option<Decimal>, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| !is_figure(v)) {
        errors.push(FieldError::new(field, FIGURE_TOO_LARGE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(check: impl FnOnce(&mut Vec<FieldError>)) -> Vec<String> {
        let mut errors = Vec::new();
        check(&mut errors);
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn a_text_counts_characters_not_bytes_and_refuses_blank() {
        assert!(errors_of(|e| check_text("name", &"å".repeat(200), 200, e)).is_empty());
        assert_eq!(
            errors_of(|e| check_text("name", &"å".repeat(201), 200, e)),
            ["name: must be 1–200 characters"]
        );
        assert_eq!(errors_of(|e| check_text("title", " \t", 10, e)).len(), 1);
    }

    #[test]
    fn an_optional_text_may_be_absent_or_empty_but_not_long() {
        assert!(errors_of(|e| check_at_most("note", None, 3, e)).is_empty());
        assert!(errors_of(|e| check_at_most("note", Some(""), 3, e)).is_empty());
        assert!(errors_of(|e| check_at_most("note", Some("åäö"), 3, e)).is_empty());
        assert_eq!(
            errors_of(|e| check_at_most("values[2].note", Some("åäöx"), 3, e)),
            ["values[2].note: must be at most 3 characters"]
        );
    }

    #[test]
    fn markdown_is_limited_in_bytes() {
        assert!(
            errors_of(|e| check_markdown("body", &"a".repeat(MARKDOWN_MAX_BYTES), e)).is_empty()
        );
        assert_eq!(
            errors_of(|e| check_markdown("body", &"ä".repeat(MARKDOWN_MAX_BYTES / 2 + 1), e)),
            ["body: must be at most 1 MB"]
        );
    }

    #[test]
    fn a_figure_stays_below_ten_to_the_eighteenth() {
        let just_below = max_abs() - Decimal::new(1, 4);
        assert!(errors_of(|e| check_figure("t", Some(-just_below), e)).is_empty());
        assert!(errors_of(|e| check_figure("t", None, e)).is_empty());
        assert_eq!(
            errors_of(|e| check_figure("t", Some(-max_abs()), e)),
            ["t: is too large"]
        );
    }
}
