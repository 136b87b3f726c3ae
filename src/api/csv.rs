//! CSV that opens correctly in Excel with Swedish settings: UTF-8 with BOM,
//! semicolon separator, decimal comma.

use actix_web::{HttpRequest, HttpResponse, http::header};
use rust_decimal::Decimal;

use crate::error::ApiError;

/// A decimal written with a decimal comma (`-1234,5`); empty when absent.
pub fn number(value: Option<Decimal>) -> String {
    value
        .map(|v| v.normalize().to_string().replace('.', ","))
        .unwrap_or_default()
}

fn field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The document: BOM, header row, rows, CRLF line ends.
pub fn document(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from('\u{feff}');
    let line = |cells: Vec<String>| cells.join(";") + "\r\n";
    out.push_str(&line(headers.iter().map(|h| field(h)).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(|c| field(c)).collect()));
    }
    out
}

/// The same document as an answer [`super::read_cache`] can keep.
pub fn answer(filename: &str, headers: &[&str], rows: &[Vec<String>]) -> super::read_cache::Answer {
    super::read_cache::Answer {
        body: document(headers, rows).into_bytes(),
        content_type: "text/csv; charset=utf-8",
        headers: vec![(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )],
    }
}

pub fn response(filename: &str, headers: &[&str], rows: &[Vec<String>]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(document(headers, rows))
}

/// Whether an operation that offers JSON and CSV answers CSV: `?format=`
/// decides when given; otherwise `Accept` (RFC 9110 §12.5.1: the highest
/// `q`, a media range named exactly before a wildcard, JSON on a tie). No
/// `Accept`, or `*/*`: JSON. An `Accept` that allows neither is 406.
pub fn wanted(req: &HttpRequest, format: Option<bool>) -> Result<bool, ApiError> {
    if let Some(csv) = format {
        return Ok(csv);
    }
    let values: Vec<&str> = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect();
    let accept = values.join(",");
    if accept.trim().is_empty() {
        return Ok(false);
    }
    // (q, specificity) of each answer: 2 named exactly, 1 by `type/*`, 0 by `*/*`.
    let mut json: Option<(f32, u8)> = None;
    let mut csv: Option<(f32, u8)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let (for_json, for_csv) = match media.as_str() {
            "*/*" => (Some(0), Some(0)),
            "application/*" => (Some(1), None),
            "application/json" => (Some(2), None),
            "text/*" => (None, Some(1)),
            "text/csv" => (None, Some(2)),
            _ => (None, None),
        };
        // The most specific range that names an answer sets its q.
        for (slot, specificity) in [(&mut json, for_json), (&mut csv, for_csv)] {
            if let Some(s) = specificity
                && slot.is_none_or(|(_, held)| s >= held)
            {
                *slot = Some((q, s));
            }
        }
    }
    let json = json.filter(|(q, _)| *q > 0.0);
    let csv = csv.filter(|(q, _)| *q > 0.0);
    match (json, csv) {
        (None, None) => Err(ApiError::NotAcceptable(format!(
            "this operation answers application/json or text/csv; Accept: {accept}"
        ))),
        (Some(_), None) => Ok(false),
        (None, Some(_)) => Ok(true),
        (Some((jq, js)), Some((cq, cs))) => Ok(cq > jq || (cq == jq && cs > js)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn excel_conventions() {
        let doc = document(
            &["Nämnd", "Avvikelse"],
            &[vec![
                "VON; VO".into(),
                number(Decimal::from_str("-449.5").ok()),
            ]],
        );
        assert!(doc.starts_with('\u{feff}'));
        assert_eq!(
            doc.trim_start_matches('\u{feff}'),
            "Nämnd;Avvikelse\r\n\"VON; VO\";-449,5\r\n"
        );
        assert_eq!(number(None), "");
    }
}
