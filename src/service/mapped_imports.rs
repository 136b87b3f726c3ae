//! Imports through a dimension mapping: a row's ledger codes give its nämnd
//! and drift line, and rows that reach the same value (nämnd, line, measure,
//! months) are summed, as a ledger's many accounts and objects add up to one
//! line. SIE postings become flat rows the same way.

use std::collections::HashMap;

use super::{
    budget_lines::{ValueWrite, month_key},
    imports::{FlatRow, RowIssue},
};
use crate::{
    domain::money::{AMOUNT_BOUND, MAX_AMOUNT_ORE, to_ore},
    domain::{
        BudgetLineKind, EntryPeriod, Measure,
        mapping::{DimensionCodes, MappingRule, MappingTarget, first_match},
        sie::Posting,
    },
};

/// The target of a row's codes, or the (field, message) of why there is
/// none. `gives_namnd`: the row also names a nämnd (not allowed with a
/// mapping); `kind`: the row's kind, if any (mappings reach drift lines).
pub fn map_codes<'r>(
    rules: &'r [MappingRule],
    codes: &DimensionCodes,
    gives_namnd: bool,
    kind: Option<&str>,
) -> Result<&'r MappingTarget, (&'static str, String)> {
    if gives_namnd {
        return Err((
            "namnd",
            "is set by the mapping; give ansvar, verksamhet or konto instead".into(),
        ));
    }
    if kind.is_some_and(|k| k != "drift") {
        return Err(("kind", "a mapping reaches drift lines only".into()));
    }
    if codes.is_empty() {
        return Err((
            "ansvar",
            "give ansvar, verksamhet or konto for the mapping".into(),
        ));
    }
    first_match(rules, codes).map(|(_, t)| t).ok_or_else(|| {
        let field = if codes.ansvar.is_some() {
            "ansvar"
        } else if codes.verksamhet.is_some() {
            "verksamhet"
        } else {
            "konto"
        };
        (field, format!("no rule of the mapping matches {codes}"))
    })
}

type ValueKey = (String, BudgetLineKind, String, Measure, i32, i32);

fn key_of(row: &FlatRow) -> ValueKey {
    (
        row.namnd.clone(),
        row.kind,
        row.line.clone(),
        row.write.measure,
        month_key(row.write.period.from()),
        month_key(row.write.period.to()),
    )
}

/// Rows that reach the same value as one row (the first one's index),
/// amounts summed; an overflowing sum is an issue of the row that
/// overflows it.
pub fn sum_same_values(rows: Vec<FlatRow>, issues: &mut Vec<RowIssue>) -> Vec<FlatRow> {
    let mut out: Vec<FlatRow> = Vec::with_capacity(rows.len());
    let mut position: HashMap<ValueKey, usize> = HashMap::new();
    for row in rows {
        let key = key_of(&row);
        let Some(&at) = position.get(&key) else {
            position.insert(key, out.len());
            out.push(row);
            continue;
        };
        let first = &mut out[at];
        // The sum is one value: it keeps the bound of every amount.
        let within = |ore: &i64| ore.unsigned_abs() <= MAX_AMOUNT_ORE.unsigned_abs();
        let sum = match (first.write.amount_ore, row.write.amount_ore) {
            (Some(a), Some(b)) => a.checked_add(b).filter(within).map(Some),
            (a, b) => Some(a.or(b)),
        };
        match sum {
            Some(total) => first.write.amount_ore = total,
            None => issues.push(RowIssue::new(
                row.index,
                "amount",
                format!(
                    "the sum of the rows that reach this line and month is too large: \
                     {AMOUNT_BOUND}"
                ),
            )),
        }
    }
    out
}

/// SIE postings as flat rows of the mapped drift lines (not yet summed),
/// with an issue for each posting no rule maps.
pub fn sie_rows(postings: &[Posting], rules: &[MappingRule]) -> (Vec<FlatRow>, Vec<RowIssue>) {
    let mut rows = Vec::with_capacity(postings.len());
    let mut issues = Vec::new();
    for p in postings {
        let target = match map_codes(rules, &p.codes, false, None) {
            Ok(t) => t,
            Err((field, message)) => {
                issues.push(RowIssue::new(p.index, field, message));
                continue;
            }
        };
        let amount_ore = match to_ore(p.amount) {
            Ok(ore) => ore,
            Err(message) => {
                issues.push(RowIssue::new(p.index, "saldo", message));
                continue;
            }
        };
        rows.push(FlatRow {
            index: p.index,
            namnd: target.namnd.clone(),
            kind: BudgetLineKind::Drift,
            line: target.line.clone(),
            name: None,
            write: ValueWrite {
                measure: p.measure,
                period: EntryPeriod::month(p.month),
                amount_ore: Some(amount_ore),
            },
        });
    }
    (rows, issues)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{YearMonth, mapping::Dimension, mapping::Pattern};
    use rust_decimal::Decimal;

    fn rules() -> Vec<MappingRule> {
        vec![MappingRule {
            conditions: vec![(Dimension::Ansvar, Pattern::parse("11*").unwrap())],
            target: MappingTarget {
                namnd: "VON".into(),
                line: "aldreomsorg".into(),
            },
        }]
    }

    fn posting(index: usize, ansvar: &str, month: u32, amount: i64) -> Posting {
        Posting {
            index,
            line: index + 1,
            measure: Measure::Utfall,
            month: YearMonth::new(2024, month).unwrap(),
            codes: DimensionCodes {
                ansvar: Some(ansvar.into()),
                verksamhet: None,
                konto: Some("4010".into()),
            },
            amount: Decimal::new(amount, 2),
        }
    }

    #[test]
    fn postings_of_one_line_and_month_are_summed() {
        let postings = vec![
            posting(0, "110", 1, -1050),
            posting(1, "111", 1, -200),
            posting(2, "110", 2, -100),
            posting(3, "999", 1, -1),
        ];
        let (rows, mut issues) = sie_rows(&postings, &rules());
        assert_eq!(issues.len(), 1);
        assert_eq!((issues[0].index, issues[0].field.as_str()), (3, "ansvar"));
        assert!(issues[0].message.contains("ansvar 999, konto 4010"));
        let rows = sum_same_values(rows, &mut issues);
        let got: Vec<(usize, Option<i64>)> =
            rows.iter().map(|r| (r.index, r.write.amount_ore)).collect();
        assert_eq!(got, vec![(0, Some(-1250)), (2, Some(-100))]);
    }

    #[test]
    fn rows_that_name_a_namnd_or_nothing_are_refused() {
        let codes = DimensionCodes {
            ansvar: Some("110".into()),
            ..Default::default()
        };
        assert_eq!(
            map_codes(&rules(), &codes, true, None).unwrap_err().0,
            "namnd"
        );
        assert_eq!(
            map_codes(&rules(), &codes, false, Some("investering"))
                .unwrap_err()
                .0,
            "kind"
        );
        assert_eq!(
            map_codes(&rules(), &DimensionCodes::default(), false, None)
                .unwrap_err()
                .0,
            "ansvar"
        );
        assert_eq!(
            map_codes(&rules(), &codes, false, Some("drift")).map(|t| t.line.as_str()),
            Ok("aldreomsorg")
        );
    }
}
