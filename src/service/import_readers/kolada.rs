//! Kolada JSON (`{"values": [...]}`, as `/v3/data/...` and `/v2/data/...`
//! answer): the entries of the caller's kommun, checked value by value.
//! Both shapes read the same; v3 adds `isdeleted` to a value (Kolada removed
//! it) and `next_url` to the document (ignored here).

use std::collections::HashMap;

use serde_json::Value;

use super::ReadError;
use crate::service::checks::{FIGURE_TOO_LARGE, is_figure, nul_fields};
use crate::{
    domain::{Gender, MAX_YEAR, MIN_YEAR, STATUS_MAX_CHARS, money::parse_decimal},
    service::imports::{KoladaEntry, KoladaValue, RowIssue},
};

/// The parts of a Kolada document: entries for the caller's kommun,
/// skipped entries, row errors and the number of entries.
pub struct ParsedKolada {
    pub entries: Vec<KoladaEntry>,
    /// (index, reason) of the entries of another kommun.
    pub skipped: Vec<(usize, String)>,
    pub errors: Vec<RowIssue>,
    pub rows: usize,
}

fn kolada_error(index: usize, field: String, message: impl Into<String>) -> RowIssue {
    RowIssue::new(index, field, message)
}

#[tracing::instrument(skip_all, fields(kommun_code = kommun_code, rows = tracing::field::Empty))]
pub fn parse_kolada(doc: &Value, kommun_code: &str) -> Result<ParsedKolada, ReadError> {
    let Some(list) = doc.get("values").and_then(Value::as_array) else {
        return Err(ReadError::invalid(
            "values",
            "must be the array of Kolada entries ({\"values\": [...], \"count\": n})",
        ));
    };
    // Kolada's own count of the entries: not used, but a document whose
    // count is not a count is not a Kolada document.
    if doc.get("count").is_some_and(|count| !count.is_u64()) {
        return Err(ReadError::invalid(
            "count",
            "must be the number of entries (a whole number from 0), or left out",
        ));
    }
    let mut parsed = ParsedKolada {
        entries: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
        rows: list.len(),
    };
    tracing::Span::current().record("rows", parsed.rows);
    let mut seen: HashMap<(String, i32, Gender), usize> = HashMap::new();
    for (i, item) in list.iter().enumerate() {
        let at = |f: &str| format!("values[{i}].{f}");
        let before = parsed.errors.len();
        // No text column stores U+0000, and a skipped entry's reason
        // would quote it back.
        let mut nul = Vec::new();
        nul_fields(item, &format!("values[{i}]"), &mut nul);
        if !nul.is_empty() {
            let issues = nul.into_iter().map(|e| kolada_error(i, e.field, e.message));
            parsed.errors.extend(issues);
            continue;
        }
        let text = |key: &str, errors: &mut Vec<RowIssue>| match item.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => {
                errors.push(kolada_error(i, at(key), "must be a non-empty string"));
                None
            }
        };
        let kpi = text("kpi", &mut parsed.errors);
        let municipality = text("municipality", &mut parsed.errors);
        let year = match item.get("period") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let year = match year {
            Some(y) if (i64::from(MIN_YEAR)..=i64::from(MAX_YEAR)).contains(&y) => Some(y as i32),
            _ => {
                parsed.errors.push(kolada_error(
                    i,
                    at("period"),
                    format!("must be a year between {MIN_YEAR} and {MAX_YEAR}, e.g. 2024"),
                ));
                None
            }
        };
        let Some(values) = item.get("values").and_then(Value::as_array) else {
            parsed
                .errors
                .push(kolada_error(i, at("values"), "must be an array of values"));
            continue;
        };
        let mut out = Vec::with_capacity(values.len());
        for (j, v) in values.iter().enumerate() {
            let at = |f: &str| format!("values[{i}].values[{j}].{f}");
            // Not used either (one value is one observation here), but
            // Kolada's count is a count.
            if v.get("count").is_some_and(|count| !count.is_u64()) {
                let message = "must be the number of observations (a whole number from 0)";
                parsed.errors.push(kolada_error(i, at("count"), message));
            }
            let gender = match v.get("gender").and_then(Value::as_str) {
                Some("T") => Some(Gender::T),
                Some("K") => Some(Gender::K),
                Some("M") => Some(Gender::M),
                other => {
                    parsed.errors.push(kolada_error(
                        i,
                        at("gender"),
                        format!(
                            "{} is not a Kolada gender: T, K or M",
                            other.map_or_else(|| "missing".into(), |g| format!("{g:?}"))
                        ),
                    ));
                    None
                }
            };
            let value = match v.get("value") {
                None | Some(Value::Null) => Ok(None),
                Some(raw) => parse_decimal(raw).and_then(|d| {
                    if is_figure(d) {
                        Ok(Some(d))
                    } else {
                        Err(FIGURE_TOO_LARGE.to_string())
                    }
                }),
            };
            let value = match value {
                Ok(v) => v,
                Err(message) => {
                    parsed.errors.push(kolada_error(i, at("value"), message));
                    None
                }
            };
            let status = match v.get("status") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) if s.trim().chars().count() > STATUS_MAX_CHARS => {
                    let message = format!("must be at most {STATUS_MAX_CHARS} characters");
                    parsed.errors.push(kolada_error(i, at("status"), message));
                    None
                }
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(_) => {
                    parsed
                        .errors
                        .push(kolada_error(i, at("status"), "must be a string"));
                    None
                }
            };
            // v3 marks values Kolada removed; v2 files have no such member.
            let deleted = match v.get("isdeleted") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(Value::Number(n)) if n.as_u64() == Some(0) => false,
                Some(Value::Number(n)) if n.as_u64() == Some(1) => true,
                Some(_) => {
                    parsed
                        .errors
                        .push(kolada_error(i, at("isdeleted"), "must be true or false"));
                    false
                }
            };
            if let Some(gender) = gender {
                out.push((
                    j,
                    KoladaValue {
                        gender,
                        value,
                        status,
                        deleted,
                    },
                ));
            }
        }
        if parsed.errors.len() > before {
            continue;
        }
        let (Some(kpi), Some(municipality), Some(year)) = (kpi, municipality, year) else {
            continue;
        };
        if municipality != kommun_code {
            parsed.skipped.push((
                i,
                format!("municipality {municipality} is not your kommun ({kommun_code})"),
            ));
            continue;
        }
        for (j, v) in &out {
            if let Some(first) = seen.insert((kpi.clone(), year, v.gender), i) {
                parsed.errors.push(kolada_error(
                    i,
                    format!("values[{i}].values[{j}].gender"),
                    format!(
                        "{kpi} {year} {} is already given in values[{first}]",
                        v.gender.as_str()
                    ),
                ));
            }
        }
        parsed.entries.push(KoladaEntry {
            index: i,
            kpi,
            year,
            values: out.into_iter().map(|(_, v)| v).collect(),
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn with_value(value: serde_json::Value) -> ParsedKolada {
        let doc = json!({"values": [{"kpi": "U21468", "municipality": "0483", "period": 2024,
            "values": [value]}]});
        parse_kolada(&doc, "0483").unwrap()
    }

    fn with_status(status: &str) -> ParsedKolada {
        with_value(json!({"gender": "T", "value": 71.5, "status": status}))
    }

    fn fields(parsed: &ParsedKolada) -> Vec<&str> {
        parsed.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_value_is_a_figure_and_its_count_a_count() {
        let largest = "999999999999999999.9999999999";
        let fits = with_value(json!({"gender": "T", "value": largest, "count": 3}));
        assert_eq!((fields(&fits), fits.entries.len()), (vec![], 1));
        for value in [json!("1e18"), json!(-1_000_000_000_000_000_000_i64)] {
            let beyond = with_value(json!({"gender": "T", "value": value}));
            assert_eq!(fields(&beyond), ["values[0].values[0].value"]);
        }
        for count in [json!(-1), json!(1.5), json!("1")] {
            let odd = with_value(json!({"gender": "T", "value": 1, "count": count}));
            assert_eq!(fields(&odd), ["values[0].values[0].count"]);
        }
    }

    #[test]
    fn a_status_is_at_most_forty_characters() {
        let fits = with_status(&"Å".repeat(STATUS_MAX_CHARS));
        assert!(fits.errors.is_empty());
        assert_eq!(fits.entries.len(), 1);
        let long = with_status(&"Å".repeat(STATUS_MAX_CHARS + 1));
        assert_eq!(fields(&long), ["values[0].values[0].status"]);
        assert!(long.entries.is_empty());
    }
}
