//! Reading import files: text decoding, CSV records, JSON rows as they
//! arrive, and the checks that turn a raw row into a flat row.

use std::{
    borrow::Cow,
    collections::{BTreeSet, HashMap},
    str::FromStr,
};

use rust_decimal::Decimal;
use serde_json::Value;

use super::flat::FlatRowDto;
use crate::{
    api::{
        budget_lines::{check_code, check_name},
        values::{MonthRange, ValueInput},
    },
    domain::{
        BudgetLineKind,
        mapping::{DimensionCodes, MappingRule},
    },
    entity::namnd,
    error::{ApiError, FieldError},
    service::{
        budget_lines::kind_str,
        imports::{FlatRow, FlatRows, RowIssue},
        mapped_imports::{self, sum_same_values},
    },
};

/// A row as read from the file, before checking.
#[derive(Debug, Default)]
pub(super) struct RawRow {
    namnd: String,
    kind: Option<String>,
    line: String,
    name: Option<String>,
    measure: String,
    month: Option<String>,
    period: Option<MonthRange>,
    made_at: Option<String>,
    amount: AmountCell,
    /// Ledger codes for a dimension mapping.
    codes: DimensionCodes,
}

#[derive(Debug, Default)]
enum AmountCell {
    #[default]
    Missing,
    Value(Decimal),
    Bad(String),
}

/// Decodes a file: UTF-8 (with or without BOM), UTF-16 with its BOM (Excel's
/// "Unicode text"), else Windows-1252. A file with NUL bytes and no UTF-16
/// BOM is not text (a workbook, say) and is refused rather than misread.
pub fn decode_text(bytes: &[u8]) -> Result<String, ApiError> {
    decode_borrowed(bytes).map(Cow::into_owned)
}

/// [`decode_text`] without copying a UTF-8 file.
pub(super) fn decode_borrowed(bytes: &[u8]) -> Result<Cow<'_, str>, ApiError> {
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return decode_utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return decode_utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(not_text(
            "the file is an Excel workbook (.xlsx); save it as CSV (semicolon or UTF-8) and send that",
        ));
    }
    if bytes.contains(&0) {
        return Err(not_text(
            "the file holds NUL bytes, so it is not UTF-8 or Windows-1252 text \
             (UTF-16 needs its byte-order mark); save it as CSV and send that",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    })
}

fn not_text(message: &str) -> ApiError {
    ApiError::validation("file", message)
}

/// UTF-16 after its BOM, with the byte order `unit` reads.
fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ApiError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(not_text(
            "the file starts with a UTF-16 byte-order mark but has an odd number of bytes: it is cut short",
        ));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| {
            not_text(&format!(
                "the file is not valid UTF-16: an unpaired surrogate {:#06x}",
                e.unpaired_surrogate()
            ))
        })
}

/// Windows-1252: Latin-1 except 0x80–0x9F.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// CSV records with the line each starts on (1-based). Quoted fields may
/// hold separators, quotes (doubled) and line breaks.
pub fn csv_records(text: &str, separator: char) -> Vec<(usize, Vec<String>)> {
    CsvRecords::new(text, separator).collect()
}

/// [`csv_records`] one record at a time, so a large file is never held as
/// a whole in records.
pub struct CsvRecords<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    separator: char,
    line: usize,
}

impl<'a> CsvRecords<'a> {
    pub fn new(text: &'a str, separator: char) -> Self {
        CsvRecords {
            chars: text.chars().peekable(),
            separator,
            line: 1,
        }
    }
}

impl Iterator for CsvRecords<'_> {
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
    let cleaned: String = text
        .trim()
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
    Decimal::from_str(&normal).map_err(|_| format!("{:?} is not a number", text.trim()))
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

/// The rows of a CSV file with their line numbers, read one at a time.
pub(super) fn read_csv(
    text: &str,
    mapped: bool,
) -> Result<impl Iterator<Item = (usize, RawRow)> + '_, ApiError> {
    let first = text.lines().next().unwrap_or_default();
    let separator = if first.contains(';') {
        ';'
    } else if first.contains('\t') {
        '\t'
    } else {
        ','
    };
    let mut records = CsvRecords::new(text, separator);
    let Some((_, header)) = records.next() else {
        return Err(ApiError::validation(
            "header",
            "the file is empty; expected the header namnd;line;month;measure;amount",
        ));
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        match COLUMNS
            .iter()
            .find(|(_, aliases)| aliases.contains(&name.as_str()))
        {
            Some((column, _)) => {
                index.insert(column, i);
            }
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
        .filter(|c| !index.contains_key(*c))
        .map(|c| FieldError::new("header", format!("the column {c} is missing")))
        .collect();
    errors.extend(
        unknown
            .into_iter()
            .map(|c| FieldError::new("header", format!("unknown column {c:?}"))),
    );
    if mapped
        && !["ansvar", "line", "konto"]
            .iter()
            .any(|c| index.contains_key(c))
    {
        errors.push(FieldError::new(
            "header",
            "with a mapping, give the column ansvar, verksamhet or konto",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(records
        .filter(|(_, cells)| !cells.iter().all(|c| c.trim().is_empty()))
        .map(move |(line, cells)| (line, raw_row(&index, &cells))))
}

/// One CSV record as a row, by the header's column positions.
fn raw_row(index: &HashMap<&str, usize>, cells: &[String]) -> RawRow {
    let cell = |column: &str| {
        index
            .get(column)
            .and_then(|&i| cells.get(i))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    };
    let (month, period) = match cell("month") {
        Some(m) => match m.split_once('/') {
            Some((from, to)) => (
                None,
                Some(MonthRange {
                    from: from.trim().into(),
                    to: to.trim().into(),
                }),
            ),
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

/// The rows of a JSON document `{"rows": [...]}`, handed to `each` one at a
/// time as they are parsed (with the error of a row that does not parse), so
/// a large document is never held whole as a tree.
#[cfg(test)]
fn read_json(bytes: &[u8], each: impl FnMut(RawRow, Option<RowIssue>)) -> Result<(), ApiError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    read_json_rows(&mut serde_json::Deserializer::from_slice(bytes), each)
}

/// [`read_json`] from any JSON source (a slice, or a body as it arrives).
pub(super) fn read_json_rows<'de, R: serde_json::de::Read<'de>>(
    reader: &mut serde_json::Deserializer<R>,
    mut each: impl FnMut(RawRow, Option<RowIssue>),
) -> Result<(), ApiError> {
    let mut index = 0;
    let mut on_row = |item: Value| {
        let (raw, issue) = json_row(index, item);
        index += 1;
        each(raw, issue);
    };
    let found = serde::de::DeserializeSeed::deserialize(
        RowsDocument {
            on_row: &mut on_row,
        },
        &mut *reader,
    )
    .and_then(|found| reader.end().map(|()| found));
    let must_be_rows =
        || ApiError::validation("rows", "must be the array of rows ({\"rows\": [...]})");
    match found {
        Ok(true) => Ok(()),
        Ok(false) => Err(must_be_rows()),
        Err(e) if e.is_data() => Err(must_be_rows()),
        Err(e) => Err(crate::api::common::not_json(e)),
    }
}

/// One JSON row as a [`RawRow`], or the error that it does not parse.
fn json_row(i: usize, mut item: Value) -> (RawRow, Option<RowIssue>) {
    // The amount is checked apart so that a text amount names its field.
    let amount = match item.as_object_mut().map(|o| o.remove("amount")) {
        Some(None) | Some(Some(Value::Null)) => AmountCell::Missing,
        Some(Some(v)) => match crate::api::decimal::parse_decimal(&v) {
            Ok(d) => AmountCell::Value(d),
            Err(e) => AmountCell::Bad(e),
        },
        None => {
            return (
                RawRow::default(),
                Some(RowIssue::new(i, "", "must be an object")),
            );
        }
    };
    if let Some(o) = item.as_object_mut() {
        o.insert("amount".into(), Value::from(0));
    }
    match serde_path_to_error::deserialize::<_, FlatRowDto>(item) {
        Ok(r) => (
            RawRow {
                namnd: r.namnd,
                kind: r.kind.map(|k| kind_str(k).to_string()),
                line: r.line,
                name: r.name,
                measure: crate::service::budget_lines::measure_str(r.measure).into(),
                month: r.month,
                period: r.period,
                made_at: r.made_at,
                amount,
                codes: DimensionCodes {
                    ansvar: r.ansvar,
                    verksamhet: r.verksamhet,
                    konto: r.konto,
                },
            },
            None,
        ),
        Err(e) => {
            let message = e.inner().to_string();
            let message = match message.rfind(" at line ") {
                Some(k) => message[..k].to_string(),
                None => message,
            };
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            (RawRow::default(), Some(RowIssue::new(i, field, message)))
        }
    }
}

/// `{"rows": [...], ...}`: visits each row as it is parsed; other keys are
/// skipped. Yields whether `rows` was there.
struct RowsDocument<'f, F> {
    on_row: &'f mut F,
}

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for RowsDocument<'_, F> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for RowsDocument<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with the array \"rows\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "rows" && !found {
                map.next_value_seed(RowList {
                    on_row: &mut *self.on_row,
                })?;
                found = true;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The array of rows, one [`Value`] at a time.
struct RowList<'f, F> {
    on_row: &'f mut F,
}

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for RowList<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for RowList<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the array of rows")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.on_row)(item);
        }
        Ok(())
    }
}

/// With a dimension mapping: the row's ledger codes (the `line` column,
/// alias `verksamhet`, counts as verksamhet) give its nämnd and line. An
/// unmapped row is an issue, and then `false`.
fn map_row(
    index: usize,
    row: &mut RawRow,
    rules: &[MappingRule],
    issues: &mut Vec<RowIssue>,
) -> bool {
    if row.codes.verksamhet.is_none() && !row.line.is_empty() {
        row.codes.verksamhet = Some(std::mem::take(&mut row.line));
    }
    match mapped_imports::map_codes(
        rules,
        &row.codes,
        !row.namnd.is_empty(),
        row.kind.as_deref(),
    ) {
        Ok(target) => {
            row.namnd = target.namnd.clone();
            row.line = target.line.clone();
            true
        }
        Err((field, message)) => {
            issues.push(RowIssue::new(index, field, message));
            false
        }
    }
}

/// Checks a raw row into a flat row, collecting every problem.
fn check_row(
    index: usize,
    raw: RawRow,
    namnder: &HashMap<String, namnd::Model>,
    costs_positive: bool,
    issues: &mut Vec<RowIssue>,
) -> Option<FlatRow> {
    let before = issues.len();
    let mut errors = Vec::new();
    if raw.namnd.is_empty() {
        errors.push(FieldError::new("namnd", "is required"));
    } else if !namnder.contains_key(&raw.namnd) {
        errors.push(FieldError::new(
            "namnd",
            format!("no nämnd {:?} in your kommun", raw.namnd),
        ));
    }
    let kind = match raw.kind.as_deref() {
        None | Some("drift") => Some(BudgetLineKind::Drift),
        Some("investering") => Some(BudgetLineKind::Investering),
        Some(other) => {
            errors.push(FieldError::new(
                "kind",
                format!("{other:?} is not drift or investering"),
            ));
            None
        }
    };
    check_code(&raw.line, "line", &mut errors);
    if let Some(name) = &raw.name {
        check_name(name, "name", &mut errors);
    }
    let measure = crate::service::budget_lines::parse_measure(&raw.measure);
    if measure.is_none() {
        errors.push(FieldError::new(
            "measure",
            format!("{:?} is not utfall, budget or prognos", raw.measure),
        ));
    }
    let amount = match raw.amount {
        AmountCell::Value(v) => Some(v),
        AmountCell::Missing => {
            errors.push(FieldError::new("amount", "is required"));
            None
        }
        AmountCell::Bad(message) => {
            errors.push(FieldError::new("amount", message));
            None
        }
    };
    let mut write = None;
    if let (Some(measure), Some(amount)) = (measure, amount) {
        let input = ValueInput {
            measure,
            month: raw.month,
            period: raw.period,
            made_at: raw.made_at,
            amount: Some(amount),
        };
        match input.to_write("row", costs_positive) {
            Ok(w) => write = Some(w),
            Err(e) => errors.extend(e.into_iter().map(|f| {
                FieldError::new(
                    f.field.strip_prefix("row.").unwrap_or(&f.field).to_string(),
                    f.message,
                )
            })),
        }
    }
    issues.extend(
        errors
            .into_iter()
            .map(|e| RowIssue::new(index, e.field, e.message)),
    );
    if issues.len() > before {
        return None;
    }
    Some(FlatRow {
        index,
        namnd: raw.namnd,
        kind: kind?,
        line: raw.line,
        name: raw.name.map(|n| n.trim().to_string()),
        write: write?,
    })
}

/// Checks the rows of a file as they are read, keeping only the checked
/// rows (compactly), the row errors and the nämnder named.
pub(super) struct RowChecker<'a> {
    namnder: &'a HashMap<String, namnd::Model>,
    /// The rules of the dimension mapping, when the import has one.
    rules: Option<&'a [MappingRule]>,
    costs_positive: bool,
    pub(super) issues: Vec<RowIssue>,
    /// Codes of the kommun's nämnder that rows name, valid or not.
    codes: BTreeSet<String>,
    rows: FlatRows,
    /// With a mapping: the checked rows, summed once all are read (many
    /// ledger rows reach one value).
    mapped: Vec<FlatRow>,
    /// Rows read.
    total: usize,
}

impl<'a> RowChecker<'a> {
    pub(super) fn new(
        namnder: &'a HashMap<String, namnd::Model>,
        rules: Option<&'a [MappingRule]>,
        costs_positive: bool,
    ) -> Self {
        RowChecker {
            namnder,
            rules,
            costs_positive,
            issues: Vec::new(),
            codes: BTreeSet::new(),
            rows: FlatRows::default(),
            mapped: Vec::new(),
            total: 0,
        }
    }

    /// The next row of the file; `failed` when it could not be read.
    pub(super) fn check(&mut self, mut raw: RawRow, failed: bool) {
        let index = self.total;
        self.total += 1;
        if failed {
            return;
        }
        if let Some(rules) = self.rules
            && !map_row(index, &mut raw, rules, &mut self.issues)
        {
            return;
        }
        if self.namnder.contains_key(&raw.namnd) && !self.codes.contains(&raw.namnd) {
            self.codes.insert(raw.namnd.clone());
        }
        let Some(row) = check_row(
            index,
            raw,
            self.namnder,
            self.costs_positive,
            &mut self.issues,
        ) else {
            return;
        };
        if self.rules.is_some() {
            self.mapped.push(row);
        } else {
            self.rows.push(row);
        }
    }

    /// The checked rows (mapped ones summed), the row errors, the nämnder
    /// named and the number of rows read.
    pub(super) fn finish(mut self) -> (FlatRows, Vec<RowIssue>, BTreeSet<String>, usize) {
        if self.rules.is_some() {
            self.rows = sum_same_values(self.mapped, &mut self.issues)
                .into_iter()
                .collect();
        }
        (self.rows, self.issues, self.codes, self.total)
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
    fn windows_1252_and_bom() {
        assert_eq!(
            decode_text(b"\xef\xbb\xbf\xc3\x84ldre").ok().as_deref(),
            Some("Äldre")
        );
        assert_eq!(
            decode_text(b"\xc4ldreomsorg \x80").ok().as_deref(),
            Some("Äldreomsorg €")
        );
    }

    /// The rows `read_json` hands on, as (namnd, issue field) pairs.
    fn json_rows(text: &str) -> Result<Vec<(String, Option<String>)>, ApiError> {
        let mut seen = Vec::new();
        read_json(text.as_bytes(), |raw, issue| {
            seen.push((raw.namnd, issue.map(|i| i.field)))
        })?;
        Ok(seen)
    }

    #[test]
    fn json_rows_are_read_one_at_a_time() {
        let rows = json_rows(
            "\u{feff}{\"source\": {\"x\": [1, 2]}, \"rows\": [\
             {\"namnd\": \"VON\", \"line\": \"a\", \"measure\": \"utfall\", \"month\": \"2024-01\", \"amount\": \"-1,5\"},\
             {\"namnd\": \"VON\", \"line\": \"a\", \"measure\": \"utfall\", \"month\": \"2024-02\", \"amount\": 1, \"extra\": 1},\
             7], \"note\": null}",
        );
        let rows = rows.ok().unwrap_or_default();
        assert_eq!(
            rows,
            [
                ("VON".to_string(), None),
                (String::new(), Some("extra".to_string())),
                (String::new(), Some(String::new())),
            ]
        );
        let status = |text: &str| match json_rows(text) {
            Ok(_) => "ok".to_string(),
            Err(ApiError::Validation(errors)) => format!("422 {}", errors[0].field),
            Err(ApiError::BadRequest(_)) => "400".to_string(),
            Err(other) => format!("{other:?}"),
        };
        assert_eq!(status("{\"rows\": []}"), "ok");
        assert_eq!(status("{\"rows\": 5}"), "422 rows");
        assert_eq!(status("{\"other\": []}"), "422 rows");
        assert_eq!(status("[{\"namnd\": \"VON\"}]"), "422 rows");
        assert_eq!(
            status("{\"rows\": [{\"namnd\": \"VON\"}"),
            "400",
            "cut short"
        );
        assert_eq!(status("{\"rows\": []} trailing"), "400");
        assert_eq!(status(""), "400");
    }

    #[test]
    fn utf16_with_its_bom_and_no_binary() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Äldre\tö".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&le).ok().as_deref(), Some("Äldre\tö"));
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("Äldre".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be).ok().as_deref(), Some("Äldre"));
        let field = |bytes: &[u8]| match decode_text(bytes) {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(field(&le[..le.len() - 1]), "file", "cut short");
        assert_eq!(field(b"\xff\xfe\x00\xd8a\x00"), "file", "lone surrogate");
        assert_eq!(field(b"PK\x03\x04\x14\x00"), "file", "a workbook");
        assert_eq!(field(b"n\x00a\x00"), "file", "UTF-16 without BOM");
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
}
