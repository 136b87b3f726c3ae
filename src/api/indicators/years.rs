//! Years as the API takes them: a JSON number or a four-digit string, within
//! the service's years.

use serde::{Deserialize, Deserializer, de::Error as _};

use crate::{
    domain::{MAX_YEAR, MIN_YEAR},
    error::ApiError,
};

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
