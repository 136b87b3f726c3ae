//! CSV as spreadsheets and ledgers write it (`;`, `,` or tab between
//! columns, quoted fields, Swedish amounts), read one record at a time.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{
    ReadError,
    rows::{AmountCell, RawRow},
};
use crate::{domain::mapping::DimensionCodes, service::error::FieldError};

/// CSV records with the line each starts on (1-based). Quoted fields may
/// hold separators, quotes (doubled) and line breaks.
pub fn csv_records(text: &str, separator: char) -> Vec<(usize, Vec<String>)> {
    CsvRecords::new(text.chars(), separator).collect()
}

/// [`csv_records`] one record at a time from the characters as they are
/// read, so a large file is never held as a whole, in text or in records.
pub struct CsvRecords<I: Iterator<Item = char>> {
    chars: std::iter::Peekable<I>,
    separator: char,
    line: usize,
}

impl<I: Iterator<Item = char>> CsvRecords<I> {
    pub fn new(chars: I, separator: char) -> Self {
        CsvRecords {
            chars: chars.peekable(),
            separator,
            line: 1,
        }
    }
}

impl<I: Iterator<Item = char>> Iterator for CsvRecords<I> {
    type Item = (usize, Vec<String>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut record = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut start = self.line;
        let mut any = false;
        while let Some(c) = self.chars.next() {
            if quoted {
                match c {
                    '"' if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        self.line += 1;
                        field.push(c);
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() => {
                    quoted = true;
                    any = true;
                }
                c if c == self.separator => {
                    record.push(std::mem::take(&mut field));
                    any = true;
                }
                '\r' if self.chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    self.line += 1;
                    if any || !field.is_empty() {
                        record.push(field);
                        return Some((start, record));
                    }
                    start = self.line;
                }
                _ => {
                    field.push(c);
                    any = true;
                }
            }
        }
        if any || !field.is_empty() {
            record.push(field);
            return Some((start, record));
        }
        None
    }
}

/// An amount as Swedish files write it: decimal comma, spaces between
/// thousands, `−` for minus.
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    // Most ledgers write plain numbers: those need no cleaning.
    if text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
        && let Ok(amount) = Decimal::from_str(text)
    {
        return Ok(amount);
    }
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    if cleaned.is_empty() {
        return Err("is empty; give an amount (0 for zero)".into());
    }
    let normal = match (cleaned.rfind(','), cleaned.rfind('.')) {
        (Some(c), Some(d)) if c > d => cleaned.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => cleaned.replace(',', ""),
        (Some(_), None) => cleaned.replace(',', "."),
        _ => cleaned,
    };
    Decimal::from_str(&normal).map_err(|_| format!("{text:?} is not a number"))
}

const COLUMNS: [(&str, &[&str]); 10] = [
    ("ansvar", &["ansvar"]),
    ("konto", &["konto", "account"]),
    ("namnd", &["namnd", "nämnd"]),
    ("kind", &["kind", "typ"]),
    ("line", &["line", "rad", "verksamhet"]),
    ("name", &["name", "namn"]),
    ("month", &["month", "manad", "månad", "period"]),
    ("made_at", &["made_at"]),
    ("measure", &["measure", "matt", "mått"]),
    ("amount", &["amount", "belopp"]),
];

/// The rows of a CSV file with their line numbers, read one at a time from
/// its characters (the separator is the first line's `;`, tab or `,`).
#[tracing::instrument(skip_all, fields(mapped = mapped))]
pub fn read_csv<I: Iterator<Item = char>>(
    mut chars: I,
    mapped: bool,
) -> Result<impl Iterator<Item = (usize, RawRow)>, ReadError> {
    let mut first = Vec::new();
    for c in chars.by_ref() {
        first.push(c);
        if c == '\n' || c == '\r' {
            break;
        }
    }
    let separator = if first.contains(&';') {
        ';'
    } else if first.contains(&'\t') {
        '\t'
    } else {
        ','
    };
    let mut records = CsvRecords::new(first.into_iter().chain(chars), separator);
    let Some((_, header)) = records.next() else {
        return Err(ReadError::invalid(
            "header",
            "the file is empty; expected the header namnd;line;month;measure;amount",
        ));
    };
    let mut index = Columns::default();
    let mut unknown = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        match COLUMNS
            .iter()
            .position(|(_, aliases)| aliases.contains(&name.as_str()))
        {
            Some(column) => index.0[column] = Some(i),
            None if name.is_empty() => {}
            None => unknown.push(name),
        }
    }
    let required: &[&str] = if mapped {
        &["month", "measure", "amount"]
    } else {
        &["namnd", "line", "month", "measure", "amount"]
    };
    let mut errors: Vec<FieldError> = required
        .iter()
        .filter(|c| !index.has(c))
        .map(|c| FieldError::new("header", format!("the column {c} is missing")))
        .collect();
    errors.extend(
        unknown
            .into_iter()
            .map(|c| FieldError::new("header", format!("unknown column {c:?}"))),
    );
    if mapped && !["ansvar", "line", "konto"].iter().any(|c| index.has(c)) {
        errors.push(FieldError::new(
            "header",
            "with a mapping, give the column ansvar, verksamhet or konto",
        ));
    }
    if !errors.is_empty() {
        return Err(ReadError::Invalid(errors));
    }
    Ok(records
        .filter(|(_, cells)| !cells.iter().all(|c| c.trim().is_empty()))
        .map(move |(line, cells)| (line, raw_row(&index, cells))))
}

/// Where each of [`COLUMNS`] stands in the file, by the header.
#[derive(Default)]
struct Columns([Option<usize>; COLUMNS.len()]);

impl Columns {
    fn has(&self, column: &str) -> bool {
        self.position(column).is_some()
    }

    fn position(&self, column: &str) -> Option<usize> {
        let at = match column {
            "ansvar" => 0,
            "konto" => 1,
            "namnd" => 2,
            "kind" => 3,
            "line" => 4,
            "name" => 5,
            "month" => 6,
            "made_at" => 7,
            "measure" => 8,
            "amount" => 9,
            _ => return None,
        };
        self.0[at]
    }
}

/// A cell without its surrounding white space, moved out of the record
/// (a million-row file makes a million records: no copy where none is
/// needed).
fn take_trimmed(cells: &mut [String], at: usize) -> Option<String> {
    let cell = std::mem::take(cells.get_mut(at)?);
    let trimmed = cell.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == cell.len() {
        Some(cell)
    } else {
        Some(trimmed.to_string())
    }
}

/// One CSV record as a row, by the header's column positions.
fn raw_row(index: &Columns, mut cells: Vec<String>) -> RawRow {
    let mut cell = |column: &str| {
        index
            .position(column)
            .and_then(|at| take_trimmed(&mut cells, at))
    };
    let (month, period) = match cell("month") {
        Some(m) => match m.split_once('/') {
            Some((from, to)) => (None, Some((from.trim().into(), to.trim().into()))),
            None => (Some(m), None),
        },
        None => (None, None),
    };
    let amount = match cell("amount") {
        None => AmountCell::Missing,
        Some(text) => match parse_amount(&text) {
            Ok(v) => AmountCell::Value(v),
            Err(e) => AmountCell::Bad(e),
        },
    };
    RawRow {
        namnd: cell("namnd").unwrap_or_default(),
        kind: cell("kind"),
        line: cell("line").unwrap_or_default(),
        name: cell("name"),
        measure: cell("measure").unwrap_or_default(),
        month,
        period,
        made_at: cell("made_at"),
        amount,
        codes: DimensionCodes {
            ansvar: cell("ansvar"),
            verksamhet: None,
            konto: cell("konto"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_amounts() {
        let d = |s: &str| parse_amount(s).map(|d| d.to_string());
        assert_eq!(d("-26241000,50").as_deref(), Ok("-26241000.50"));
        assert_eq!(d("-26 241 000").as_deref(), Ok("-26241000"));
        assert_eq!(d("1.234,5").as_deref(), Ok("1234.5"));
        assert_eq!(d("1,234.5").as_deref(), Ok("1234.5"));
        assert_eq!(d("−12").as_deref(), Ok("-12"));
        assert!(parse_amount("tjugo").is_err());
        assert!(parse_amount("").is_err());
    }

    #[test]
    fn csv_quotes_and_line_numbers() {
        let records = csv_records(
            "a;b\r\n\"x;1\";\"he said \"\"hi\"\"\"\r\n\r\n\"multi\nline\";2\n",
            ';',
        );
        assert_eq!(
            records,
            vec![
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["x;1".to_string(), "he said \"hi\"".to_string()]),
                (4, vec!["multi\nline".to_string(), "2".to_string()]),
            ]
        );
    }

    #[test]
    fn every_column_has_its_place() {
        for (at, (name, _)) in COLUMNS.iter().enumerate() {
            let mut columns = Columns::default();
            columns.0[at] = Some(at);
            assert_eq!(columns.position(name), Some(at), "{name}");
        }
    }

    #[test]
    fn cells_are_read_by_header_and_trimmed() {
        let text = "Belopp;Nämnd;rad;månad;mått;namn\n 1 234,50 ;VON; aldreomsorg ;2024-03;utfall;\n-5;KS;ks1;2024-01/2024-12;budget; Kansli \n";
        let rows: Vec<_> = read_csv(text.chars(), false)
            .map_err(|_| "refused")
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 2);
        let (line, first) = &rows[0];
        assert_eq!(*line, 2);
        assert_eq!(first.namnd, "VON");
        assert_eq!(first.line, "aldreomsorg");
        assert_eq!(first.month.as_deref(), Some("2024-03"));
        assert_eq!(first.name, None);
        assert!(matches!(&first.amount, AmountCell::Value(v) if v.to_string() == "1234.50"));
        let (_, second) = &rows[1];
        assert_eq!(second.period, Some(("2024-01".into(), "2024-12".into())));
        assert_eq!(second.name.as_deref(), Some("Kansli"));
        assert!(matches!(&second.amount, AmountCell::Value(v) if v.to_string() == "-5"));
    }
}
