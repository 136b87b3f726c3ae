//! CSV that opens correctly in Excel with Swedish settings: UTF-8 with BOM,
//! semicolon separator, decimal comma.

use actix_web::{HttpResponse, http::header};
use rust_decimal::Decimal;

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
