//! The checks that turn a raw row of a flat file (CSV or JSON) into a flat
//! row to write, collecting every problem with its row.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;

use crate::{
    domain::{
        BudgetLineKind,
        mapping::{DimensionCodes, MappingRule},
    },
    entity::namnd,
    service::{
        error::FieldError,
        imports::{FlatRow, FlatRows, RowIssue},
        line_input::{ValueText, check_code, check_name},
        mapped_imports::{self, sum_same_values},
    },
};

/// A row as read from the file, before checking.
#[derive(Debug, Default)]
pub struct RawRow {
    pub namnd: String,
    pub kind: Option<String>,
    pub line: String,
    pub name: Option<String>,
    pub measure: String,
    pub month: Option<String>,
    /// A whole-period value's (from, to) months.
    pub period: Option<(String, String)>,
    pub made_at: Option<String>,
    pub amount: AmountCell,
    /// Ledger codes for a dimension mapping.
    pub codes: DimensionCodes,
}

/// The amount of a row: absent, a number, or why it is not one.
#[derive(Debug, Default)]
pub enum AmountCell {
    #[default]
    Missing,
    Value(Decimal),
    Bad(String),
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
    let measure = raw.measure.parse::<crate::domain::Measure>().ok();
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
        let input = ValueText {
            measure,
            month: raw.month.as_deref(),
            period: raw
                .period
                .as_ref()
                .map(|(from, to)| (from.as_str(), to.as_str())),
            made_at: raw.made_at.as_deref(),
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
pub struct RowChecker<'a> {
    namnder: &'a HashMap<String, namnd::Model>,
    /// The rules of the dimension mapping, when the import has one.
    rules: Option<&'a [MappingRule]>,
    costs_positive: bool,
    pub issues: Vec<RowIssue>,
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
    pub fn new(
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
    pub fn check(&mut self, mut raw: RawRow, failed: bool) {
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
    pub fn finish(mut self) -> (FlatRows, Vec<RowIssue>, BTreeSet<String>, usize) {
        if self.rules.is_some() {
            self.rows = sum_same_values(self.mapped, &mut self.issues)
                .into_iter()
                .collect();
        }
        (self.rows, self.issues, self.codes, self.total)
    }
}
