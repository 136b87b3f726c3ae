//! SIE (Standard Import och Export, the Swedish accounting exchange format,
//! types 2–4): the period balances `#PSALDO` (utfall) and `#PBUDGET`
//! (budget) of the current financial year with their object lists, read
//! into monthly postings that a dimension mapping then places on our lines.
//!
//! Pure: bytes in, records out, no I/O. The rules, where SIE leaves room:
//!
//! * **Encoding.** SIE files are IBM PC code page 437 (`#FORMAT PC8`, the
//!   only format the standard knows). Every byte is a CP437 character, so
//!   decoding cannot fail; a `#FORMAT` other than PC8, or a UTF-8 byte
//!   order mark, refuses the file.
//! * **What is a SIE file.** It must have `#SIETYP` 2, 3 or 4 (type 1 has no
//!   period balances) and a `#RAR 0` (the current year), else it is refused.
//! * **Which balances.** Only `rar` 0. Result accounts 3000–8999 are taken;
//!   balance-sheet accounts (1xxx, 2xxx) and other years are skipped and
//!   counted. A `#PSALDO`/`#PBUDGET` is the movement of the month (SIE type 2
//!   "månadsvisa saldoförändringar"), so it is the month's utfall or budget.
//! * **Sign.** SIE saldo is debit-positive (costs +, revenue −); ours is
//!   money in +, money out −: amount = −saldo.
//! * **No double counting.** A ledger may write, for one account and month,
//!   the total (`{}`) and one or more breakdowns by objects (`{1 "110"}`,
//!   `{6 "P12"}`, `{1 "110" 6 "P12"}`), each adding up to the same total.
//!   Of those breakdowns exactly one is taken: the one whose set of
//!   dimensions holds the most of the dimensions the mapping uses (ansvar,
//!   verksamhet), and among equals the one with fewest dimensions. The rows
//!   of the other breakdowns are skipped and counted.
//! * **Ansvar and verksamhet.** The mapping may name the SIE dimension
//!   numbers; otherwise a `#DIM` whose name starts with "ansvar" or
//!   "verksamhet" (any case) is used, and ansvar falls back to dimension 1
//!   (kostnadsställe, which kommuner use for ansvar).
//! * **Errors.** A malformed `#PSALDO`/`#PBUDGET`/`#DIM`/`#OBJEKT`/`#RAR`
//!   record is a row error with its line; unknown `#` labels are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rust_decimal::Decimal;

use super::{Measure, YearMonth, mapping::DimensionCodes};

/// CP437 bytes 0x80–0xFF (0x00–0x7F are ASCII).
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', // 0x80
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', // 0x90
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', // 0xA0
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', // 0xB0
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', // 0xC0
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', // 0xD0
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', // 0xE0
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■',
    '\u{a0}', // 0xF0
];

/// Decodes CP437 (every byte is a character).
pub fn decode_cp437(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0xff => CP437_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// One field of a record: a text (quoted or not) or an object list `{...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Text(String),
    List(Vec<String>),
}

/// Splits one line into fields: whitespace separates, `"..."` quotes (with
/// `\"` for a quote and `\\` for a backslash), `{...}` is an object list.
pub fn tokenize(line: &str) -> Result<Vec<Field>, String> {
    let mut fields = Vec::new();
    let mut list: Option<Vec<String>> = None;
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        match c {
            '{' => {
                chars.next();
                if list.is_some() {
                    return Err("an object list may not contain another {".into());
                }
                list = Some(Vec::new());
            }
            '}' => {
                chars.next();
                match list.take() {
                    Some(items) => fields.push(Field::List(items)),
                    None => return Err("} without an opening {".into()),
                }
            }
            _ => {
                let text = if c == '"' {
                    chars.next();
                    quoted(&mut chars)?
                } else {
                    bare(&mut chars)
                };
                match list.as_mut() {
                    Some(items) => items.push(text),
                    None => fields.push(Field::Text(text)),
                }
            }
        }
    }
    if list.is_some() {
        return Err("an object list { is not closed with }".into());
    }
    Ok(fields)
}

fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(text),
            '\\' if matches!(chars.peek(), Some('"') | Some('\\')) => {
                if let Some(escaped) = chars.next() {
                    text.push(escaped);
                }
            }
            _ => text.push(c),
        }
    }
    Err("a quoted text is not closed with \"".into())
}

fn bare(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut text = String::new();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == '{' || c == '}' || c == '"' {
            break;
        }
        text.push(c);
        chars.next();
    }
    text
}

/// A problem with one record: `index` is the record's position among the
/// file's `#` records (from 0), `line` its line in the file (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub index: usize,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// Why a file is not read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SieRefusal {
    #[error("the file is not a SIE file: it has no #SIETYP record")]
    NoSieType,
    #[error("#SIETYP {0} has no period balances; send SIE type 2, 3 or 4")]
    UnsupportedType(String),
    #[error("#FORMAT {0} is not PC8; SIE files are written in CP437 (#FORMAT PC8)")]
    Format(String),
    #[error(
        "the file starts with a UTF-8 byte order mark; SIE files are written in CP437 (#FORMAT PC8)"
    )]
    Utf8Bom,
    #[error("the file has no #RAR 0 record (the current financial year)")]
    NoCurrentYear,
}

/// A `#PSALDO` (utfall) or `#PBUDGET` (budget) record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub index: usize,
    pub line: usize,
    pub measure: Measure,
    pub rar: i32,
    pub period: YearMonth,
    pub konto: String,
    /// (dimension number, object code) in file order.
    pub objects: Vec<(u32, String)>,
    pub saldo: Decimal,
}

/// What a SIE file holds that the import uses.
#[derive(Debug, Clone, Default)]
pub struct SieFile {
    /// The months of `#RAR 0`, first and last.
    pub current_year: Option<(YearMonth, YearMonth)>,
    /// `#DIM`: number → name.
    pub dimensions: BTreeMap<u32, String>,
    /// `#OBJEKT`: (dimension, code) → name.
    pub objects: BTreeMap<(u32, String), String>,
    /// `#KONTO`: account → name.
    pub accounts: BTreeMap<String, String>,
    pub balances: Vec<Balance>,
    /// `#PSALDO` and `#PBUDGET` records, malformed ones included.
    pub balance_records: usize,
    pub errors: Vec<LineError>,
    /// The line of each record, by index.
    pub record_lines: Vec<usize>,
}

/// Reads a SIE file: the records the import needs, and an error for each
/// malformed one.
pub fn parse(bytes: &[u8]) -> Result<SieFile, SieRefusal> {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        return Err(SieRefusal::Utf8Bom);
    }
    let text = decode_cp437(bytes);
    let mut file = SieFile::default();
    let mut sietyp = None;
    for (n, raw) in text.split('\n').enumerate() {
        let line = n + 1;
        let trimmed = raw.trim();
        if !trimmed.starts_with('#') {
            continue; // blank lines and the braces around #VER's transactions
        }
        let index = file.record_lines.len();
        file.record_lines.push(line);
        let error = |field: &str, message: String| LineError {
            index,
            line,
            field: field.to_string(),
            message,
        };
        let fields = match tokenize(trimmed) {
            Ok(f) => f,
            Err(message) => {
                file.errors.push(error("", message));
                continue;
            }
        };
        let Some(Field::Text(label)) = fields.first() else {
            continue;
        };
        let label = label.to_ascii_uppercase();
        let args = &fields[1..];
        match label.as_str() {
            "#FORMAT" => {
                let format = text_at(args, 0).unwrap_or_default();
                if !format.eq_ignore_ascii_case("PC8") {
                    return Err(SieRefusal::Format(format.to_string()));
                }
            }
            "#SIETYP" => sietyp = Some(text_at(args, 0).unwrap_or_default().to_string()),
            "#RAR" => match read_rar(args) {
                Ok(Some(year)) => file.current_year = Some(year),
                Ok(None) => {}
                Err((field, message)) => file.errors.push(error(field, message)),
            },
            "#DIM" => match read_named(args, "dimension") {
                Ok((number, name)) => {
                    file.dimensions.insert(number, name);
                }
                Err((field, message)) => file.errors.push(error(field, message)),
            },
            "#OBJEKT" => match read_object(args) {
                Ok((key, name)) => {
                    file.objects.insert(key, name);
                }
                Err((field, message)) => file.errors.push(error(field, message)),
            },
            "#KONTO" => {
                if let (Some(konto), Some(name)) = (text_at(args, 0), text_at(args, 1)) {
                    file.accounts.insert(konto.to_string(), name.to_string());
                }
            }
            "#PSALDO" | "#PBUDGET" => {
                file.balance_records += 1;
                let measure = if label == "#PSALDO" {
                    Measure::Utfall
                } else {
                    Measure::Budget
                };
                match read_balance(&label, args) {
                    Ok(b) => file.balances.push(Balance {
                        index,
                        line,
                        measure,
                        ..b
                    }),
                    Err((field, message)) => file.errors.push(error(field, message)),
                }
            }
            _ => {} // #FLAGGA, #PROGRAM, #GEN, #VER, #TRANS …: not needed
        }
    }
    match sietyp.as_deref() {
        None => return Err(SieRefusal::NoSieType),
        Some("2" | "3" | "4") => {}
        Some(other) => return Err(SieRefusal::UnsupportedType(other.to_string())),
    }
    if file.current_year.is_none() && !file.errors.iter().any(|e| e.field == "rar") {
        return Err(SieRefusal::NoCurrentYear);
    }
    Ok(file)
}

type FieldResult<T> = Result<T, (&'static str, String)>;

fn text_at(args: &[Field], i: usize) -> Option<&str> {
    match args.get(i) {
        Some(Field::Text(t)) => Some(t.as_str()),
        _ => None,
    }
}

fn dimension_number(text: &str) -> FieldResult<u32> {
    text.parse::<u32>()
        .map_err(|_| ("dimension", format!("{text:?} is not a dimension number")))
}

/// `#DIM dimno "name"`.
fn read_named(args: &[Field], what: &'static str) -> FieldResult<(u32, String)> {
    let (Some(number), Some(name)) = (text_at(args, 0), text_at(args, 1)) else {
        return Err((
            what,
            "#DIM is cut short; expected #DIM number \"name\"".into(),
        ));
    };
    Ok((dimension_number(number)?, name.to_string()))
}

/// `#OBJEKT dimno "code" "name"`.
fn read_object(args: &[Field]) -> FieldResult<((u32, String), String)> {
    let (Some(number), Some(code), Some(name)) =
        (text_at(args, 0), text_at(args, 1), text_at(args, 2))
    else {
        return Err((
            "objects",
            "#OBJEKT is cut short; expected #OBJEKT dimension \"code\" \"name\"".into(),
        ));
    };
    Ok((
        (dimension_number(number)?, code.to_string()),
        name.to_string(),
    ))
}

/// `#RAR 0 20240101 20241231`: the months of year 0 (None for other years).
fn read_rar(args: &[Field]) -> FieldResult<Option<(YearMonth, YearMonth)>> {
    let (Some(rar), Some(start), Some(end)) =
        (text_at(args, 0), text_at(args, 1), text_at(args, 2))
    else {
        return Err((
            "rar",
            "#RAR is cut short; expected #RAR 0 20240101 20241231".into(),
        ));
    };
    if rar != "0" {
        return Ok(None);
    }
    let month = |date: &str| {
        let ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| yyyymm(&date[..6]))
            .flatten()
            .ok_or(("rar", format!("{date:?} is not a date written YYYYMMDD")))
    };
    let (first, last) = (month(start)?, month(end)?);
    if first > last {
        return Err((
            "rar",
            format!("the year ends ({end}) before it starts ({start})"),
        ));
    }
    Ok(Some((first, last)))
}

fn yyyymm(text: &str) -> Option<YearMonth> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text[..4].parse::<i32>().ok()?;
    let month = text[4..].parse::<u32>().ok()?;
    YearMonth::new(year, month).ok()
}

const BALANCE_FIELDS: [&str; 5] = ["rar", "period", "konto", "objects", "saldo"];

/// `#PSALDO rar period konto {dimno "obj" ...} saldo [kvantitet]` (the
/// object list may be left out entirely, as some type-2 exporters do).
fn read_balance(label: &str, args: &[Field]) -> FieldResult<Balance> {
    let shape = format!("{label} rar period konto {{objects}} saldo");
    let mut args: Vec<&Field> = args.iter().collect();
    let empty = Field::List(Vec::new());
    if matches!(args.get(3), Some(Field::Text(_))) {
        args.insert(3, &empty);
    }
    if args.len() < BALANCE_FIELDS.len() {
        let missing = BALANCE_FIELDS[args.len()];
        return Err((
            missing,
            format!("the record is cut short: {missing} is missing (expected {shape})"),
        ));
    }
    let text = |i: usize| match args[i] {
        Field::Text(t) => Ok(t.as_str()),
        Field::List(_) => Err((
            BALANCE_FIELDS[i],
            format!("must be a value, not a list ({shape})"),
        )),
    };
    let rar = text(0)?;
    let rar = rar.parse::<i32>().map_err(|_| {
        (
            "rar",
            format!("{rar:?} is not a year number (0 is the current year)"),
        )
    })?;
    let period = text(1)?;
    let period = yyyymm(period).ok_or((
        "period",
        format!("{period:?} is not a month written YYYYMM"),
    ))?;
    let konto = text(2)?;
    if konto.is_empty() || !konto.bytes().all(|b| b.is_ascii_digit()) {
        return Err(("konto", format!("{konto:?} is not an account number")));
    }
    let Field::List(items) = args[3] else {
        return Err((
            "objects",
            format!("must be an object list {{...}} ({shape})"),
        ));
    };
    let objects = read_objects(items)?;
    let saldo = text(4)?;
    let saldo =
        Decimal::from_str(saldo).map_err(|_| ("saldo", format!("{saldo:?} is not an amount")))?;
    Ok(Balance {
        index: 0,
        line: 0,
        measure: Measure::Utfall,
        rar,
        period,
        konto: konto.to_string(),
        objects,
        saldo,
    })
}

fn read_objects(items: &[String]) -> FieldResult<Vec<(u32, String)>> {
    if !items.len().is_multiple_of(2) {
        return Err((
            "objects",
            "the object list must hold pairs: dimension \"object\"".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut objects = Vec::with_capacity(items.len() / 2);
    for pair in items.chunks(2) {
        let number = pair[0].parse::<u32>().map_err(|_| {
            (
                "objects",
                format!("{:?} is not a dimension number", pair[0]),
            )
        })?;
        if !seen.insert(number) {
            return Err(("objects", format!("dimension {number} is given twice")));
        }
        objects.push((number, pair[1].clone()));
    }
    Ok(objects)
}

/// Which SIE dimensions hold ansvar and verksamhet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DimensionChoice {
    pub ansvar: Option<u32>,
    pub verksamhet: Option<u32>,
}

/// The dimension standing for ansvar and for verksamhet: what the mapping
/// names, else the `#DIM` named so, else (ansvar only) dimension 1.
pub fn choose_dimensions(
    named: DimensionChoice,
    declared: &BTreeMap<u32, String>,
) -> DimensionChoice {
    let by_name = |word: &str| {
        declared
            .iter()
            .find(|(_, name)| name.trim().to_lowercase().starts_with(word))
            .map(|(n, _)| *n)
    };
    let verksamhet = named.verksamhet.or_else(|| by_name("verksamhet"));
    let ansvar = named
        .ansvar
        .or_else(|| by_name("ansvar"))
        .or_else(|| (verksamhet != Some(1)).then_some(1));
    DimensionChoice { ansvar, verksamhet }
}

/// A balance turned into a posting of one month: its codes and amount in our
/// sign convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub index: usize,
    pub line: usize,
    pub measure: Measure,
    pub month: YearMonth,
    pub codes: DimensionCodes,
    pub amount: Decimal,
}

/// Balances left out of the import, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Balance-sheet accounts (below 3000 or above 8999).
    pub balance_accounts: usize,
    /// `rar` other than 0.
    pub other_years: usize,
    /// Totals or breakdowns by other dimensions than the one taken.
    pub other_breakdowns: usize,
}

/// Result accounts (3000–8999) are imported; the rest is the balance sheet.
pub fn is_result_account(konto: &str) -> bool {
    konto
        .parse::<u64>()
        .is_ok_and(|k| (3000..=8999).contains(&k))
}

/// The postings of `file`'s current year, the errors of balances that
/// cannot be posted (a month outside `#RAR 0`) and what was skipped.
pub fn postings(
    file: &SieFile,
    choice: DimensionChoice,
) -> (Vec<Posting>, Vec<LineError>, Skipped) {
    let mut skipped = Skipped::default();
    let mut errors = Vec::new();
    let mut candidates: Vec<&Balance> = Vec::new();
    for b in &file.balances {
        if b.rar != 0 {
            skipped.other_years += 1;
        } else if !is_result_account(&b.konto) {
            skipped.balance_accounts += 1;
        } else if let Some((first, last)) = file.current_year
            && !(first..=last).contains(&b.period)
        {
            errors.push(LineError {
                index: b.index,
                line: b.line,
                field: "period".into(),
                message: format!(
                    "{} is outside the financial year of #RAR 0 ({first} to {last})",
                    b.period
                ),
            });
        } else {
            candidates.push(b);
        }
    }
    let taken = one_breakdown(&candidates, choice);
    skipped.other_breakdowns = candidates.len() - taken.len();
    let object = |b: &Balance, dim: Option<u32>| {
        dim.and_then(|d| b.objects.iter().find(|(n, _)| *n == d))
            .map(|(_, code)| code.clone())
    };
    let postings = taken
        .into_iter()
        .map(|b| Posting {
            index: b.index,
            line: b.line,
            measure: b.measure,
            month: b.period,
            codes: DimensionCodes {
                ansvar: object(b, choice.ansvar),
                verksamhet: object(b, choice.verksamhet),
                konto: Some(b.konto.clone()),
            },
            amount: -b.saldo,
        })
        .collect();
    (postings, errors, skipped)
}

/// Per measure, account and month, the rows of one breakdown (see the
/// module documentation), in file order.
fn one_breakdown<'b>(balances: &[&'b Balance], choice: DimensionChoice) -> Vec<&'b Balance> {
    type Key<'k> = (Measure, &'k str, YearMonth);
    let dims_of = |b: &Balance| -> Vec<u32> {
        let mut d: Vec<u32> = b.objects.iter().map(|(n, _)| *n).collect();
        d.sort_unstable();
        d
    };
    let relevant = |dims: &[u32]| {
        [choice.ansvar, choice.verksamhet]
            .iter()
            .flatten()
            .filter(|d| dims.contains(d))
            .count()
    };
    let mut best: BTreeMap<Key<'_>, Vec<u32>> = BTreeMap::new();
    for b in balances {
        let dims = dims_of(b);
        let key = (b.measure, b.konto.as_str(), b.period);
        let better = match best.get(&key) {
            None => true,
            Some(current) => {
                let (new, old) = (relevant(&dims), relevant(current));
                new > old || (new == old && dims.len() < current.len())
            }
        };
        if better {
            best.insert(key, dims);
        }
    }
    balances
        .iter()
        .filter(|b| best.get(&(b.measure, b.konto.as_str(), b.period)) == Some(&dims_of(b)))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as CP437 bytes (the text must only use characters CP437 has).
    fn cp437(text: &str) -> Vec<u8> {
        text.chars()
            .map(|c| match CP437_HIGH.iter().position(|h| *h == c) {
                Some(i) => 0x80 + i as u8,
                None => c as u8,
            })
            .collect()
    }

    const HEAD: &str = "#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20240101 20241231\r\n#RAR -1 20230101 20231231\r\n";

    fn month(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    #[test]
    fn cp437_swedish_letters() {
        assert_eq!(
            decode_cp437(&[0x86, 0x84, 0x94, 0x8f, 0x8e, 0x99]),
            "åäöÅÄÖ"
        );
        assert_eq!(decode_cp437(b"Vard \x82 \xe1"), "Vard é ß");
        assert_eq!(decode_cp437(&[0xff]), "\u{a0}");
        // Every byte decodes to exactly one character.
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_cp437(&all).chars().count(), 256);
    }

    #[test]
    fn tokens_quotes_escapes_and_lists() {
        use Field::{List, Text};
        let t = |s: &str| Text(s.to_string());
        assert_eq!(
            tokenize(r#"#OBJEKT 1 "110" "Vård \"och\" omsorg\\""#),
            Ok(vec![
                t("#OBJEKT"),
                t("1"),
                t("110"),
                t("Vård \"och\" omsorg\\")
            ])
        );
        assert_eq!(
            tokenize("#PSALDO 0 202401 4010 {1 \"110\"  6 P1} -12.50 3"),
            Ok(vec![
                t("#PSALDO"),
                t("0"),
                t("202401"),
                t("4010"),
                List(vec!["1".into(), "110".into(), "6".into(), "P1".into()]),
                t("-12.50"),
                t("3"),
            ])
        );
        assert_eq!(
            tokenize("#PSALDO 0 202401 4010 {} 5"),
            Ok(vec![
                t("#PSALDO"),
                t("0"),
                t("202401"),
                t("4010"),
                List(vec![]),
                t("5")
            ])
        );
        assert!(tokenize("#DIM 1 \"open").is_err());
        assert!(tokenize("#PSALDO 0 202401 4010 {1 \"110\" 5").is_err());
        assert!(tokenize("#X }").is_err());
        assert!(tokenize("#X {{}}").is_err());
    }

    #[test]
    fn reads_dimensions_objects_and_balances() {
        let text = format!(
            "{HEAD}#DIM 1 \"Ansvar\"\r\n#DIM 20 \"Verksamhet\"\r\n#OBJEKT 1 \"110\" \"Äldreomsorg Öst\"\r\n\
             #KONTO 4010 \"Inköp varor\"\r\n#PSALDO 0 202401 4010 {{1 \"110\" 20 \"510\"}} 1000.50 0\r\n\
             #PBUDGET 0 202402 3010 {{}} -200\r\n#VER A 1 20240105\r\n{{\r\n#TRANS 4010 {{}} 5\r\n}}\r\n#UNKNOWN x\r\n"
        );
        let file = parse(&cp437(&text)).unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.current_year, Some((month(2024, 1), month(2024, 12))));
        assert_eq!(
            file.dimensions.get(&20).map(String::as_str),
            Some("Verksamhet")
        );
        assert_eq!(
            file.objects
                .get(&(1, "110".to_string()))
                .map(String::as_str),
            Some("Äldreomsorg Öst")
        );
        assert_eq!(file.balances.len(), 2);
        let b = &file.balances[0];
        assert_eq!(
            (b.measure, b.rar, b.period),
            (Measure::Utfall, 0, month(2024, 1))
        );
        assert_eq!(b.objects, vec![(1, "110".into()), (20, "510".into())]);
        assert_eq!(b.saldo, Decimal::new(100050, 2));
        assert_eq!(b.line, 10);
        assert_eq!(file.balances[1].measure, Measure::Budget);

        let choice = choose_dimensions(DimensionChoice::default(), &file.dimensions);
        assert_eq!(
            choice,
            DimensionChoice {
                ansvar: Some(1),
                verksamhet: Some(20)
            }
        );
        let (postings, errors, _) = postings(&file, choice);
        assert!(errors.is_empty());
        assert_eq!(postings[0].codes.ansvar.as_deref(), Some("110"));
        assert_eq!(postings[0].codes.verksamhet.as_deref(), Some("510"));
        // Debit-positive cost → negative; credit revenue budget → positive.
        assert_eq!(postings[0].amount, Decimal::new(-100050, 2));
        assert_eq!(postings[1].amount, Decimal::new(200, 0));
    }

    #[test]
    fn truncated_and_malformed_records_are_line_errors() {
        let text = format!(
            "{HEAD}#PSALDO 0 202401\r\n#PSALDO 0 2024-01 4010 {{}} 5\r\n#PSALDO 0 202401 4010 {{1}} 5\r\n\
             #PSALDO 0 202401 4010 {{}} tio\r\n#DIM x \"A\"\r\n#OBJEKT 1 \"unclosed\r\n"
        );
        let file = parse(text.as_bytes()).unwrap();
        let got: Vec<(usize, &str)> = file
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (6, "konto"),
                (7, "period"),
                (8, "objects"),
                (9, "saldo"),
                (10, "dimension"),
                (11, ""),
            ]
        );
        assert!(file.errors[0].message.contains("cut short"));
        assert!(file.balances.is_empty());
        assert_eq!(file.balance_records, 4);
    }

    #[test]
    fn files_that_are_not_sie_are_refused() {
        assert_eq!(
            parse(b"namnd;line\r\nVON;x\r\n").unwrap_err(),
            SieRefusal::NoSieType
        );
        assert_eq!(
            parse(b"#FORMAT UTF8\r\n#SIETYP 4\r\n").unwrap_err(),
            SieRefusal::Format("UTF8".into())
        );
        assert_eq!(
            parse(b"\xef\xbb\xbf#SIETYP 4\r\n").unwrap_err(),
            SieRefusal::Utf8Bom
        );
        assert_eq!(
            parse(b"#SIETYP 1\r\n#RAR 0 20240101 20241231\r\n").unwrap_err(),
            SieRefusal::UnsupportedType("1".into())
        );
        assert_eq!(
            parse(b"#SIETYP 4\r\n").unwrap_err(),
            SieRefusal::NoCurrentYear
        );
    }

    #[test]
    fn only_current_year_result_accounts_inside_rar_are_posted() {
        let text = format!(
            "{HEAD}#PSALDO 0 202401 1910 {{}} 5\r\n#PSALDO -1 202301 4010 {{}} 5\r\n\
             #PSALDO 0 202501 4010 {{}} 5\r\n#PSALDO 0 202403 4010 {{}} 5\r\n"
        );
        let file = parse(text.as_bytes()).unwrap();
        let (postings, errors, skipped) = postings(&file, DimensionChoice::default());
        assert_eq!(skipped.balance_accounts, 1);
        assert_eq!(skipped.other_years, 1);
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field.as_str()), (8, "period"));
        assert_eq!(postings.len(), 1);
        assert_eq!(postings[0].month, month(2024, 3));
    }

    #[test]
    fn one_breakdown_per_account_and_month() {
        // Total, by ansvar, by project and by ansvar and verksamhet: only
        // the last (both mapped dimensions) is taken.
        let text = format!(
            "{HEAD}#PSALDO 0 202401 4010 {{}} 30\r\n#PSALDO 0 202401 4010 {{1 \"110\"}} 10\r\n\
             #PSALDO 0 202401 4010 {{1 \"120\"}} 20\r\n#PSALDO 0 202401 4010 {{6 \"P1\"}} 30\r\n\
             #PSALDO 0 202401 4010 {{1 \"110\" 20 \"510\"}} 10\r\n#PSALDO 0 202401 4010 {{1 \"120\" 20 \"510\"}} 20\r\n\
             #PSALDO 0 202402 4010 {{}} 7\r\n"
        );
        let file = parse(text.as_bytes()).unwrap();
        let choice = DimensionChoice {
            ansvar: Some(1),
            verksamhet: Some(20),
        };
        let (postings, _, skipped) = postings(&file, choice);
        let lines: Vec<usize> = postings.iter().map(|p| p.line).collect();
        // February has only the total, which is then taken.
        assert_eq!(lines, vec![10, 11, 12]);
        assert_eq!(skipped.other_breakdowns, 4);
        // Without a verksamhet dimension the ansvar breakdown wins.
        let (postings, _, _) = super::postings(
            &file,
            DimensionChoice {
                ansvar: Some(1),
                verksamhet: None,
            },
        );
        let lines: Vec<usize> = postings.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![7, 8, 12]);
    }

    #[test]
    fn dimension_choice_rules() {
        let declared = |pairs: &[(u32, &str)]| -> BTreeMap<u32, String> {
            pairs.iter().map(|(n, s)| (*n, s.to_string())).collect()
        };
        let none = DimensionChoice::default();
        assert_eq!(
            choose_dimensions(none, &declared(&[(1, "Kostnadsställe"), (6, "Projekt")])),
            DimensionChoice {
                ansvar: Some(1),
                verksamhet: None
            }
        );
        assert_eq!(
            choose_dimensions(
                none,
                &declared(&[(1, "Kostnadsställe"), (21, "ANSVAR"), (22, "verksamhet")])
            ),
            DimensionChoice {
                ansvar: Some(21),
                verksamhet: Some(22)
            }
        );
        let named = DimensionChoice {
            ansvar: Some(7),
            verksamhet: Some(8),
        };
        assert_eq!(
            choose_dimensions(named, &declared(&[(21, "Ansvar")])),
            named
        );
    }
}
