//! `POST /imports/flat` and `GET /exports/flat`: budget values as flat rows,
//! CSV or JSON, as planning systems and ledgers export them.

use crate::api::common::ApiQuery;
use crate::api::resource::namnd_figures;
use crate::error::ServiceError;
use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    ImportProblem, RowError, authorize_namnder, check_year, decimal_json, is_json_mime, mime,
    namnder_by_code, refused,
};
use crate::api::resource::Ctx;
use crate::{
    api::{
        budget_lines::format_month, common::actor, csv, decimal::from_ore, kommun_views::Format,
        values::MonthRange,
    },
    auth::{Action, authorize},
    domain::{BudgetLineKind, Measure, mapping::DimensionCodes},
    entity::namnd,
    error::ApiError,
    service::{
        dimension_mappings,
        import_readers::{
            AmountCell, DecodedChars, RawRow, RowChecker, pipelined, read_csv, read_json_rows,
        },
        imports::{self, FlatRows, ImportError, RowIssue},
        namnder,
    },
    state::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlatImportQuery {
    /// Report what would change without writing anything (default false).
    #[param(example = true)]
    pub dry_run: Option<bool>,
    /// The file writes costs as positive numbers (income negative); they
    /// are stored in the result convention (costs negative). Default false.
    #[param(example = false)]
    pub costs_positive: Option<bool>,
    /// A dimension mapping (`/dimension-mappings`): rows then give `ansvar`,
    /// `verksamhet` and/or `konto` instead of `namnd` and `line`, and rows
    /// that reach the same line, month and measure are summed.
    #[param(example = "019ad9a0-6c1e-7f3a-8b2d-4e5f60718293")]
    pub mapping_id: Option<Uuid>,
}

/// One flat row: a value of a budget line of a nämnd.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"namnd": "VON", "kind": "drift", "line": "aldreomsorg", "name": "Äldreomsorg",
    "measure": "utfall", "month": "2024-03", "amount": -26241000}))]
pub struct FlatRowDto {
    /// Nämnd code (required unless the import names a `mapping`).
    #[serde(default)]
    #[schema(max_length = 20, example = "VON")]
    pub namnd: String,
    /// Default drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<BudgetLineKind>,
    /// Line code (verksamhet or project number), unique per nämnd and kind
    /// (required unless the import names a `mapping`).
    #[serde(default)]
    #[schema(max_length = 40, example = "aldreomsorg")]
    pub line: String,
    /// With a `mapping`: the ledger's ansvar code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ansvar: Option<String>,
    /// With a `mapping`: the ledger's verksamhet code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verksamhet: Option<String>,
    /// With a `mapping`: the account (konto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub konto: Option<String>,
    /// Name of the line: used when the line is created (default: the code)
    /// and renames an existing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub measure: Measure,
    /// `YYYY-MM`: the month of the value (for prognos: the month it was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        example = "2024-03"
    )]
    pub month: Option<String>,
    /// A whole-period value (budget or utfall) instead of `month`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<MonthRange>,
    /// For prognos: the month it was made (instead of `month`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$")]
    pub made_at: Option<String>,
    /// Kronor; a number or a numeric string.
    #[serde(with = "crate::api::decimal")]
    #[schema(value_type = f64, minimum = -1_000_000_000_000.0, maximum = 1_000_000_000_000.0, example = -26241000)]
    pub amount: Decimal,
}

/// A JSON row as the reader checks it. The amount is not taken from here:
/// the reader reads it apart, so that a text amount names its field.
impl From<FlatRowDto> for RawRow {
    fn from(r: FlatRowDto) -> Self {
        RawRow {
            namnd: r.namnd,
            kind: r.kind.map(|k| k.as_str().to_string()),
            line: r.line,
            name: r.name,
            measure: r.measure.as_str().into(),
            month: r.month,
            period: r.period.map(|p| (p.from, p.to)),
            made_at: r.made_at,
            amount: AmountCell::Missing,
            codes: DimensionCodes {
                ansvar: r.ansvar,
                verksamhet: r.verksamhet,
                konto: r.konto,
            },
        }
    }
}

/// Flat rows as JSON (the CSV form has the same columns).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"rows": [
    {"namnd": "VON", "line": "aldreomsorg", "kind": "drift", "month": "2024-03", "measure": "utfall", "amount": -26241000},
    {"namnd": "VON", "line": "aldreomsorg", "measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -320000000},
    {"namnd": "VON", "line": "aldreomsorg", "measure": "prognos", "made_at": "2024-08", "amount": -318500000}
]}))]
pub struct FlatDocument {
    pub rows: Vec<FlatRowDto>,
}

/// A line the import creates.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd": "VON", "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"}))]
pub struct CreatedLineDto {
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub code: String,
    pub name: String,
}

/// A value that changes (or would change).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"index": 0, "line_number": 2, "namnd": "VON", "kind": "drift", "line": "aldreomsorg",
    "measure": "utfall", "month": "2024-03", "period": null, "before": null, "after": -26241000}))]
pub struct FlatChangeDto {
    pub index: usize,
    pub line_number: Option<usize>,
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub line: String,
    pub measure: Measure,
    pub month: Option<String>,
    pub period: Option<MonthRange>,
    #[schema(value_type = Option<f64>)]
    pub before: Value,
    #[schema(value_type = Option<f64>)]
    pub after: Value,
}

/// What a flat import did (or, in a dry run, would do).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "dry_run": true, "applied": false, "format": "csv", "rows": 1,
    "lines_created": [{"namnd": "VON", "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"}],
    "values_changed": 1,
    "changes": [{"index": 0, "line_number": 2, "namnd": "VON", "kind": "drift", "line": "aldreomsorg",
        "measure": "utfall", "month": "2024-03", "period": null, "before": null, "after": -26241000}],
    "unchanged": 0, "errors": []
}))]
pub struct FlatImportReport {
    pub dry_run: bool,
    /// True when something was written.
    pub applied: bool,
    /// `csv` or `json`: how the file was read.
    pub format: String,
    /// Data rows in the file.
    pub rows: usize,
    pub lines_created: Vec<CreatedLineDto>,
    /// Values inserted or changed.
    pub values_changed: usize,
    /// The changed values (the first 1000).
    pub changes: Vec<FlatChangeDto>,
    /// Rows whose value is already stored.
    pub unchanged: usize,
    /// Only in a dry run (an import with errors is refused with 422).
    pub errors: Vec<RowError>,
}

fn month_or_period(from: i32, to: i32) -> (Option<String>, Option<MonthRange>) {
    if from == to {
        (Some(format_month(from)), None)
    } else {
        (
            None,
            Some(MonthRange {
                from: format_month(from),
                to: format_month(to),
            }),
        )
    }
}

fn ore_json(ore: Option<i64>) -> Value {
    decimal_json(ore.map(from_ore))
}

/// Import budget values as flat rows, as planning systems (Hypergene-style)
/// and ledgers export them (admin, kommunledning, integration, and a
/// redaktör for their own nämnder).
///
/// Send `application/json` (`{"rows": [...]}`, see the schema) or
/// `text/csv` with a header row and the columns:
///
/// | column | required | content |
/// |---|---|---|
/// | `namnd` | yes | nämnd code, e.g. `VON` |
/// | `line` | yes | line code, e.g. `aldreomsorg` (created if missing) |
/// | `month` | yes | `YYYY-MM`; for prognos the month it was made; a whole-period value as `2024-01/2024-12` |
/// | `measure` | yes | `utfall`, `budget` or `prognos` |
/// | `amount` | yes | kronor, decimal comma or point: `-26241000,50` |
/// | `kind` | no | `drift` (default) or `investering` |
/// | `name` | no | name of the line (default for a new line: its code) |
///
/// Swedish habits are accepted: `;` (or `,` or tab) between columns, decimal
/// comma, quoted fields, UTF-8 with or without BOM, UTF-16 with its BOM
/// (Excel's "Unicode text", tab-separated), and Windows-1252 (the file's
/// first letters outside ASCII tell: valid UTF-8 or else Windows-1252; a
/// file that mixes the two, or has NUL bytes, such as an .xlsx workbook, is
/// refused with a `file` error). The file is read as it arrives, never held
/// whole. Column names may also be
/// `nämnd`, `rad`, `månad`, `mått`, `belopp`, `typ`, `namn`.
///
/// Rows are grouped per nämnd and kind and written as whole tables, all in one
/// transaction: any invalid row refuses the whole file with 422 naming every
/// row (`index`, CSV `line_number` counting the header as line 1, `field`).
/// `dry_run=true` reports the lines that would be created and the values that
/// would change, and any errors, without writing. Importing the same file
/// again changes nothing; `GET /exports/flat` writes the same format. A
/// nämnd has at most 40,000 lines of one kind: a file that would pass that
/// is refused whole (409).
///
/// Files up to `MAX_IMPORT_BYTES` (default 512 MiB) are accepted; larger
/// ones get 413. A JSON file is checked row by row while it arrives, so it
/// is never held whole; a CSV file is read whole first (its encoding is
/// known only then) and its rows checked one at a time.
#[utoipa::path(tag = "imports", params(FlatImportQuery),
    request_body(description = "Flat rows as JSON or CSV (columns in the description)",
        content(
            (FlatDocument = "application/json"),
            (String = "text/csv", example = json!("namnd;line;month;measure;amount\r\nVON;aldreomsorg;2024-03;utfall;-26241000,50\r\nVON;aldreomsorg;2024-01/2024-12;budget;-320000000\r\n")),
        )),
    responses(
        (status = 200, description = "What changed (or would change)", body = FlatImportReport),
        crate::api::responses::FileTooLarge,
        (status = 415, description = "Neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rows (or a CSV header without the required columns); nothing was imported", body = ImportProblem, content_type = "application/problem+json"),
    ))]
#[post("/imports/flat")]
pub async fn import_flat(
    cx: Ctx,
    query: ApiQuery<FlatImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let started = std::time::Instant::now();
    let kommun_id = principal.require_kommun()?;
    let mime = mime(&req);
    let is_csv = matches!(
        mime.as_str(),
        "text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel"
    );
    if !is_json_mime(&mime) && !is_csv {
        return Err(ApiError::UnsupportedMediaType(
            "send the rows as application/json or text/csv".into(),
        ));
    }
    let mapping = match query.mapping_id {
        Some(id) => Some(dimension_mappings::load_for_import(&state.db, kommun_id, id).await?),
        None => None,
    };
    let namnder = namnder_by_code(&state, kommun_id).await?;
    let rules = mapping.map(|m| m.rules);
    let costs_positive = query.costs_positive.unwrap_or(false);
    let limit = state.settings.max_import_bytes;
    // CSV line numbers by row index.
    let mut lines: Vec<u32> = Vec::new();
    let (namnder, format, checked) = if is_csv {
        // CSV too is decoded and checked as it arrives, never held whole.
        let (namnder, csv_lines, checked) =
            crate::api::streamed_body::parse_streamed(&req, payload, limit, move |body| {
                let mut checker = RowChecker::new(&namnder, rules.as_deref(), costs_positive);
                let mut lines = Vec::new();
                let mapped = rules.is_some();
                // Read on one thread, checked on this one.
                let read = pipelined(
                    move |emit| {
                        let chars = DecodedChars::new(body);
                        let refused = chars.error();
                        let read = read_csv(chars, mapped).map(|rows| rows.for_each(emit));
                        // A file refused while it was read says why, not its rows.
                        match refused.take() {
                            Some(e) => Err(e),
                            None => read,
                        }
                    },
                    |(line, raw)| {
                        lines.push(file_line(line));
                        checker.check(raw, false);
                    },
                );
                let checked = match read {
                    Ok(read) => read.map(|()| checker.finish()).map_err(ApiError::from),
                    Err(e) => Err(ServiceError::Unexpected(e).into()),
                };
                (namnder, lines, checked)
            })
            .await?;
        lines = csv_lines;
        (namnder, "csv", checked?)
    } else {
        // JSON is checked row by row as it arrives, never held whole.
        let (namnder, checked) =
            crate::api::streamed_body::parse_streamed(&req, payload, limit, move |body| {
                let mut checker = RowChecker::new(&namnder, rules.as_deref(), costs_positive);
                let read = pipelined(
                    move |emit| {
                        let body = std::io::BufReader::with_capacity(64 * 1024, body);
                        read_json_rows::<FlatRowDto, _>(
                            &mut serde_json::Deserializer::from_reader(body),
                            |raw, issue| emit((raw, issue)),
                        )
                    },
                    |(raw, issue)| {
                        let failed = issue.is_some();
                        checker.issues.extend(issue);
                        checker.check(raw, failed);
                    },
                );
                let checked = match read {
                    Ok(read) => read.map(|()| checker.finish()).map_err(ApiError::from),
                    Err(e) => Err(ServiceError::Unexpected(e).into()),
                };
                (namnder, checked)
            })
            .await?;
        (namnder, "json", checked?)
    };
    let (rows, issues, codes, total) = checked;
    tracing::debug!(
        rows = total,
        ms = started.elapsed().as_millis() as u64,
        "flat file read and checked"
    );
    authorize_namnder(&principal, codes.iter().map(String::as_str))?;
    let outcome = write_rows(FlatImport {
        state: &state,
        actor: actor(&req, &principal, kommun_id),
        namnder: &namnder,
        rows,
        issues,
        lines: &lines,
        format,
        total,
        dry_run: query.dry_run.unwrap_or(false),
    })
    .await?;
    drop(lines);
    // A large file's rows, now freed, would stay resident otherwise.
    if total >= LARGE_IMPORT_ROWS {
        crate::memory::release_freed();
    }
    Ok(match outcome {
        Ok(report) => HttpResponse::Ok().json(report),
        Err(errors) => refused(errors),
    })
}

/// A file line number as [`FlatImport::lines`] holds it.
pub(super) fn file_line(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// From this many rows, the memory an import freed is given back at once.
const LARGE_IMPORT_ROWS: usize = 100_000;

/// Checked rows on their way in, with what the report needs about the file.
pub(super) struct FlatImport<'a> {
    pub state: &'a AppState,
    pub actor: crate::service::audit::Actor,
    pub namnder: &'a HashMap<String, namnd::Model>,
    pub rows: FlatRows,
    /// Problems found so far (the import is then refused or, dry, reported).
    pub issues: Vec<RowIssue>,
    /// The file line of each row, by index (empty when the file has none).
    pub lines: &'a [u32],
    pub format: &'static str,
    /// Rows in the file.
    pub total: usize,
    pub dry_run: bool,
}

/// Writes (or, dry, tries) the rows: the report, or the row errors that
/// refuse the file.
pub(super) async fn write_rows(
    import: FlatImport<'_>,
) -> Result<Result<FlatImportReport, Vec<RowError>>, ApiError> {
    let FlatImport {
        state,
        actor,
        namnder,
        rows,
        issues,
        lines,
        format,
        total,
        dry_run,
    } = import;
    let line_of = |index: usize| lines.get(index).map(|&line| line as usize);
    let to_errors = |issues: Vec<RowIssue>| -> Vec<RowError> {
        let mut errors: Vec<RowError> = issues
            .into_iter()
            .map(|i| {
                let line = line_of(i.index);
                RowError::new(i, line)
            })
            .collect();
        errors.sort_by_key(|e| e.index);
        errors
    };
    let mut report = FlatImportReport {
        dry_run,
        applied: false,
        format: format.to_string(),
        rows: total,
        lines_created: Vec::new(),
        values_changed: 0,
        changes: Vec::new(),
        unchanged: 0,
        errors: Vec::new(),
    };
    if !issues.is_empty() {
        if dry_run {
            report.errors = to_errors(issues);
            return Ok(Ok(report));
        }
        return Ok(Err(to_errors(issues)));
    }
    let copy_from = state.settings.import_copy_from_rows;
    let outcome =
        match imports::import_flat(&state.db, &actor, namnder, &rows, !dry_run, copy_from).await {
            Ok(o) => o,
            Err(ImportError::Rows(issues)) if dry_run => {
                report.errors = to_errors(issues);
                return Ok(Ok(report));
            }
            Err(ImportError::Rows(issues)) => return Ok(Err(to_errors(issues))),
            Err(ImportError::Other(e)) => return Err(e.into()),
        };
    report.applied = !dry_run && (outcome.values_changed > 0 || !outcome.lines_created.is_empty());
    report.values_changed = outcome.values_changed;
    report.unchanged = outcome.unchanged;
    report.lines_created = outcome
        .lines_created
        .into_iter()
        .map(|l| CreatedLineDto {
            namnd: l.namnd,
            kind: l.kind,
            code: l.code,
            name: l.name,
        })
        .collect();
    report.changes = outcome
        .changes
        .into_iter()
        .map(|c| {
            let (month, period) = month_or_period(c.from, c.to);
            FlatChangeDto {
                index: c.index,
                line_number: line_of(c.index),
                namnd: c.namnd,
                kind: c.kind,
                line: c.line,
                measure: c.measure,
                month,
                period,
                before: ore_json(c.before_ore),
                after: ore_json(c.after_ore),
            }
        })
        .collect();
    Ok(Ok(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlatExportQuery {
    /// Only values of this year (default: every year).
    #[param(example = 2024, minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
    /// `json` or `csv`; decides over `Accept` (which may ask for `text/csv`). Without either, JSON.
    pub format: Option<Format>,
    /// Only this nämnd (code).
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Only drift or investering lines (default both).
    pub kind: Option<BudgetLineKind>,
}

const CSV_COLUMNS: [&str; 7] = [
    "namnd", "kind", "line", "name", "month", "measure", "amount",
];

/// Export budget values as flat rows in the format `POST /imports/flat`
/// reads: JSON, or with `format=csv` a CSV for Excel (UTF-8 with BOM, `;`,
/// decimal comma) with the columns `namnd;kind;line;name;month;measure;amount`
/// (a whole-period value's month is `2024-01/2024-12`). Amounts in kronor,
/// costs negative. Only the nämnder whose figures you may read.
#[utoipa::path(tag = "imports", params(FlatExportQuery),
    responses(
        crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "Flat rows; CSV with `format=csv` or `Accept: text/csv`", body = FlatDocument,
            content((FlatDocument = "application/json"), (String = "text/csv", example = json!("\u{feff}namnd;kind;line;name;month;measure;amount\r\nVON;drift;aldreomsorg;Äldreomsorg;2024-01/2024-12;budget;-320000000\r\n")))),
        (status = 422, description = "Invalid year or unknown nämnd", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/exports/flat")]
pub async fn export_flat(
    cx: Ctx,
    query: ApiQuery<FlatExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = principal.require_kommun()?;
    check_year(query.year)?;
    let mut namnder: Vec<namnd::Model> = namnder::by_id(&state.db, kommun_id)
        .await?
        .into_values()
        .collect();
    let readable =
        |code: &str| authorize(&principal, Action::Read, namnd_figures(&principal, code));
    match &query.namnd {
        Some(code) => {
            namnder.retain(|n| &n.code == code);
            if namnder.is_empty() {
                return Err(ApiError::validation(
                    "namnd",
                    format!("no nämnd {code:?} in your kommun"),
                ));
            }
            readable(code)?;
        }
        None => namnder.retain(|n| readable(&n.code).is_ok()),
    }
    let rows = imports::export_flat(&state.db, &namnder, query.kind, query.year).await?;
    let year = query
        .year
        .map_or_else(|| "alla".to_string(), |y| y.to_string());
    if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let month = if r.from == r.to {
                    format_month(r.from)
                } else {
                    format!("{}/{}", format_month(r.from), format_month(r.to))
                };
                vec![
                    r.namnd.clone(),
                    r.kind.as_str().into(),
                    r.line.clone(),
                    r.name.clone(),
                    month,
                    r.measure.as_str().into(),
                    csv::number(Some(from_ore(r.amount_ore))),
                ]
            })
            .collect();
        return Ok(csv::response(
            &format!("budgetrader-{year}.csv"),
            &CSV_COLUMNS,
            &cells,
        ));
    }
    let doc = FlatDocument {
        rows: rows
            .into_iter()
            .map(|r| {
                let (month, period) = month_or_period(r.from, r.to);
                FlatRowDto {
                    namnd: r.namnd,
                    kind: Some(r.kind),
                    line: r.line,
                    ansvar: None,
                    verksamhet: None,
                    konto: None,
                    name: Some(r.name),
                    measure: r.measure,
                    month,
                    period,
                    made_at: None,
                    amount: from_ore(r.amount_ore),
                }
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of a JSON document `{"rows": [...]}` (its BOM skipped), as
    /// the import reads them.
    fn read_json(bytes: &[u8], each: impl FnMut(RawRow, Option<RowIssue>)) -> Result<(), ApiError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        read_json_rows::<FlatRowDto, _>(&mut serde_json::Deserializer::from_slice(bytes), each)?;
        Ok(())
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
            Err(ApiError::Service(ServiceError::Validation(errors))) => {
                format!("422 {}", errors[0].field)
            }
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
}
