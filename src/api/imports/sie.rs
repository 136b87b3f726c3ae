//! `POST /api/v1/imports/sie`: a ledger's SIE file (types 2–4, CP437) read
//! for its `#PSALDO` (utfall) and `#PBUDGET` (budget) period balances of the
//! current year, placed on drift lines through a dimension mapping and
//! written like flat rows: dry run, row errors, all or nothing, idempotent.

use crate::api::common::ApiQuery;
use crate::api::resource::figure_import_target;
use actix_web::{HttpResponse, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    RawBody, authorize_namnder,
    flat::{FlatImport, FlatImportReport, file_line, write_rows},
    mime, namnder_by_code, refused,
};
use crate::api::resource::Ctx;
use crate::{
    api::common::actor,
    auth::{Action, authorize},
    domain::sie::{self, LineError},
    error::ApiError,
    service::{
        dimension_mappings::load_for_import,
        imports::RowIssue,
        mapped_imports::{sie_rows, sum_same_values},
    },
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SieImportQuery {
    /// The dimension mapping (`/dimension-mappings`) that places the
    /// balances' ansvar, verksamhet and konto on drift lines. Required.
    #[param(required = true, example = "019ad9a0-6c1e-7f3a-8b2d-4e5f60718293")]
    pub mapping_id: Option<Uuid>,
    /// Report what would change without writing anything (default false).
    #[param(example = true)]
    pub dry_run: Option<bool>,
}

/// Balances the import leaves out, by reason.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"balance_accounts": 12, "other_years": 40, "other_breakdowns": 6}))]
pub struct SieSkippedDto {
    /// Balance-sheet accounts (1xxx, 2xxx): only result accounts 3000–8999 are taken.
    pub balance_accounts: usize,
    /// Years other than `#RAR 0`.
    pub other_years: usize,
    /// Totals and object breakdowns left out so nothing is counted twice
    /// (one breakdown per account and month is taken).
    pub other_breakdowns: usize,
}

/// What a SIE import did (or, in a dry run, would do): the flat-import
/// report (`rows` = `#PSALDO`/`#PBUDGET` records, `index` = the record's
/// position among the file's `#` records) and what was left out.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "dry_run": false, "applied": true, "format": "sie", "rows": 3,
    "lines_created": [], "values_changed": 2,
    "changes": [{"index": 9, "line_number": 10, "namnd": "VON", "kind": "drift", "line": "aldreomsorg",
        "measure": "utfall", "month": "2024-01", "period": null, "before": null, "after": -26241000}],
    "unchanged": 0, "errors": [],
    "skipped": {"balance_accounts": 1, "other_years": 0, "other_breakdowns": 0}
}))]
pub struct SieImportReport {
    #[serde(flatten)]
    pub report: FlatImportReport,
    pub skipped: SieSkippedDto,
}

fn issue_of(e: LineError) -> RowIssue {
    RowIssue::new(e.index, e.field, e.message)
}

/// Import a SIE file's period balances as monthly utfall (`#PSALDO`) and
/// budget (`#PBUDGET`) of drift lines (admin, kommunledning, integration, and
/// a redaktör when every mapped row is of their own nämnder).
///
/// Send the file unchanged as `application/octet-stream` (or `text/plain`),
/// with `mapping=<id>` naming a dimension mapping. The file is read as
/// CP437 (`#FORMAT PC8`); it must have `#SIETYP` 2, 3 or 4 and `#RAR 0`.
///
/// * Only `rar` 0 (the current year) and result accounts 3000–8999 are
///   taken; balance-sheet accounts and other years are counted in `skipped`.
///   A month outside `#RAR 0` is a row error.
/// * Each balance's objects give its ansvar and verksamhet: the dimensions
///   the mapping's `sie_dimensions` name, else the `#DIM` named "ansvar…" /
///   "verksamhet…", and for ansvar else dimension 1 (kostnadsställe). Its
///   account is the konto. The mapping's first matching rule gives the
///   line; a balance no rule matches is a row error.
/// * SIE saldo is debit-positive; it is stored as −saldo (costs negative).
/// * For one account and month the file may hold the total and several
///   breakdowns; one is taken (the one with most of ansvar and verksamhet,
///   then fewest dimensions), so nothing is counted twice.
/// * Balances that reach the same line, month and measure are summed.
///
/// A malformed `#PSALDO`/`#PBUDGET`/`#DIM`/`#OBJEKT`/`#RAR` record is a row
/// error with its `line_number`; unknown labels are ignored. Any error
/// refuses the whole file with 422 (a dry run lists them). Importing the
/// same file again changes nothing.
#[utoipa::path(tag = "imports", params(SieImportQuery),
    request_body(description = "The SIE file as the ledger wrote it (CP437 bytes)",
        content(
            (String = "application/octet-stream", example = json!("#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20240101 20241231\r\n#DIM 1 \"Ansvar\"\r\n#DIM 20 \"Verksamhet\"\r\n#OBJEKT 1 \"110\" \"Vard och omsorg\"\r\n#KONTO 4010 \"Inkop material och varor\"\r\n#PSALDO 0 202401 4010 {1 \"110\" 20 \"510\"} 26241000.00\r\n#PBUDGET 0 202401 4010 {1 \"110\" 20 \"510\"} 26700000.00\r\n")),
            (String = "text/plain"),
        )),
    responses(
        (status = 200, description = "What changed (or would change)", body = SieImportReport),
        crate::api::responses::FileTooLarge,
        (status = 415, description = "Neither application/octet-stream nor text/plain", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No or unknown mapping, a file that is not SIE (field `file`), or invalid records; nothing was imported", body = crate::api::imports::ImportProblem, content_type = "application/problem+json"),
    ))]
#[post("/imports/sie")]
pub async fn import_sie(
    cx: Ctx,
    query: ApiQuery<SieImportQuery>,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = principal.require_kommun()?;
    authorize(&principal, Action::Create, figure_import_target(&principal))?;
    if !matches!(
        mime(&req).as_str(),
        "application/octet-stream" | "text/plain"
    ) {
        return Err(ApiError::UnsupportedMediaType(
            "send the SIE file as application/octet-stream or text/plain".into(),
        ));
    }
    let Some(mapping_id) = query.mapping_id else {
        return Err(ApiError::validation(
            "mapping_id",
            "is required: the id of the dimension mapping for this ledger",
        ));
    };
    let mapping = load_for_import(&state.db, kommun_id, mapping_id).await?;
    let file = sie::parse(&body.0).map_err(|e| ApiError::validation("file", e.to_string()))?;
    let choice = sie::choose_dimensions(mapping.sie, &file.dimensions);
    let (postings, posting_errors, skipped) = sie::postings(&file, choice);
    let (rows, mut issues) = sie_rows(&postings, &mapping.rules);
    issues.extend(file.errors.iter().cloned().map(issue_of));
    issues.extend(posting_errors.into_iter().map(issue_of));
    let rows = sum_same_values(rows, &mut issues);
    let namnder = namnder_by_code(&state, kommun_id).await?;
    let (rows, gone): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| namnder.contains_key(&r.namnd));
    issues.extend(gone.into_iter().map(|r| {
        RowIssue::new(
            r.index,
            "namnd",
            format!(
                "the mapping sends this row to nämnd {}, which your kommun no longer has",
                r.namnd
            ),
        )
    }));
    authorize_namnder(&principal, rows.iter().map(|r| r.namnd.as_str()))?;
    let lines: Vec<u32> = file.record_lines.iter().map(|&l| file_line(l)).collect();
    let outcome = write_rows(FlatImport {
        state: &state,
        actor: actor(&req, &principal, kommun_id),
        namnder: &namnder,
        rows: rows.into_iter().collect(),
        issues,
        lines: &lines,
        format: "sie",
        total: file.balance_records,
        dry_run: query.dry_run.unwrap_or(false),
    })
    .await?;
    Ok(match outcome {
        Ok(report) => HttpResponse::Ok().json(SieImportReport {
            report,
            skipped: SieSkippedDto {
                balance_accounts: skipped.balance_accounts,
                other_years: skipped.other_years,
                other_breakdowns: skipped.other_breakdowns,
            },
        }),
        Err(errors) => refused(errors),
    })
}
