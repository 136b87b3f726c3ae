//! The kommunledningsförvaltning's views over every nämnd, computed on read
//! with set-based queries: one query for the lines of the kommun, one for
//! their values in the two years needed, whatever the number of nämnder.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    domain::{self, BudgetLineKind, LineEntry, LineFigures, ReportPeriod},
    entity::{budget_value, namnd, report},
    error::ApiError,
    service::budget_lines::{entry_of, kind_str},
};

/// Every nämnd's total of its lines of `kind` for one period, and the
/// kommun total.
pub struct KommunTable {
    /// In nämnd code order; nämnder without lines have empty figures.
    pub namnder: Vec<(namnd::Model, LineFigures)>,
    pub total: LineFigures,
}

/// A nämnd's total is its lines' entries summed: every figure but
/// helårsprognos sums the entries that fit a window, so utfall and budget
/// are summed in SQL per nämnd and month range (a few rows per nämnd instead
/// of every value). Helårsprognos is each line's latest forecast, so the
/// prognos entries are read per line and summed afterwards.
pub async fn kommun_table(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<KommunTable, ApiError> {
    use sea_orm::{DbBackend, Statement};

    let namnder = namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .order_by_asc(namnd::Column::Code)
        .all(db)
        .await?;
    let backend = db.get_database_backend();
    let p = |n: usize| {
        if backend == DbBackend::Postgres {
            format!("${n}")
        } else {
            "?".into()
        }
    };
    let sql = |measures: &str, group: bool| {
        let (select, group_by) = if group {
            (
                "CAST(SUM(v.amount_ore) AS BIGINT) AS amount_ore",
                " GROUP BY l.namnd_id, v.measure, v.from_month, v.to_month",
            )
        } else {
            ("v.amount_ore AS amount_ore, v.line_id AS line_id", "")
        };
        format!(
            "SELECT l.namnd_id AS namnd_id, v.measure AS measure, v.from_month AS from_month, v.to_month AS to_month, {select} \
             FROM budget_value v INNER JOIN budget_line l ON l.id = v.line_id \
             WHERE v.kommun_id = {} AND l.kind = {} AND v.measure IN ({measures}) AND v.from_month >= {} AND v.to_month <= {}{group_by}",
            p(1),
            p(2),
            p(3),
            p(4)
        )
    };
    let values = |text: String| {
        Statement::from_sql_and_values(
            backend,
            text,
            [
                kommun_id.into(),
                kind_str(kind).into(),
                ((period.year() - 1) * 100 + 1).into(),
                (period.year() * 100 + 12).into(),
            ],
        )
    };
    let stored = |row: &sea_orm::QueryResult| -> Result<(Uuid, budget_value::Model), ApiError> {
        let get_err = |e: sea_orm::DbErr| ApiError::Unexpected(format!("consolidation row: {e}"));
        let namnd_id: Uuid = row.try_get("", "namnd_id").map_err(get_err)?;
        Ok((
            namnd_id,
            budget_value::Model {
                id: Uuid::nil(),
                kommun_id,
                line_id: row.try_get("", "line_id").unwrap_or(namnd_id),
                measure: row.try_get("", "measure").map_err(get_err)?,
                from_month: row.try_get("", "from_month").map_err(get_err)?,
                to_month: row.try_get("", "to_month").map_err(get_err)?,
                amount_ore: row.try_get("", "amount_ore").map_err(get_err)?,
                updated_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            },
        ))
    };
    let mut sums: HashMap<Uuid, Vec<LineEntry>> = HashMap::new();
    for row in db
        .query_all_raw(values(sql("'utfall', 'budget'", true)))
        .await?
    {
        let (namnd_id, v) = stored(&row)?;
        sums.entry(namnd_id).or_default().push(entry_of(&v)?);
    }
    let mut prognoser: HashMap<Uuid, HashMap<Uuid, Vec<LineEntry>>> = HashMap::new();
    for row in db.query_all_raw(values(sql("'prognos'", false))).await? {
        let (namnd_id, v) = stored(&row)?;
        prognoser
            .entry(namnd_id)
            .or_default()
            .entry(v.line_id)
            .or_default()
            .push(entry_of(&v)?);
    }
    // Pooled sums are exact only while no entries nest (a whole year beside
    // its months): the exact-cover reading depends on each line's own
    // entries, so such nämnder are read line by line.
    let mut by_line: HashMap<Uuid, HashMap<Uuid, Vec<LineEntry>>> = HashMap::new();
    if sums.values().any(|e| domain::entries_nest(e)) {
        for row in db
            .query_all_raw(values(sql("'utfall', 'budget'", false)))
            .await?
        {
            let (namnd_id, v) = stored(&row)?;
            if sums.get(&namnd_id).is_some_and(|e| domain::entries_nest(e)) {
                let lines = by_line.entry(namnd_id).or_default();
                lines.entry(v.line_id).or_default().push(entry_of(&v)?);
            }
        }
    }
    let overflow = |e: domain::DomainError| ApiError::Unexpected(format!("figures: {e}"));
    let mut rows = Vec::with_capacity(namnder.len());
    for n in namnder {
        let mut figures = match by_line.get(&n.id) {
            Some(lines) => {
                let each = lines
                    .values()
                    .map(|entries| domain::line_figures(entries, period))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(overflow)?;
                domain::summa(&each).map_err(overflow)?
            }
            None => domain::line_figures(sums.get(&n.id).map(Vec::as_slice).unwrap_or(&[]), period)
                .map_err(overflow)?,
        };
        let mut helarsprognos: Option<domain::Amount> = None;
        for entries in prognoser.get(&n.id).into_iter().flat_map(|m| m.values()) {
            if let Some(p) = domain::line_figures(entries, period)
                .map_err(overflow)?
                .helarsprognos
            {
                helarsprognos = Some(match helarsprognos {
                    Some(total) => total.checked_add(p).map_err(overflow)?,
                    None => p,
                });
            }
        }
        figures.helarsprognos = helarsprognos;
        rows.push((n, figures.derive().map_err(overflow)?));
    }
    let total = domain::summa(rows.iter().map(|(_, f)| f)).map_err(overflow)?;
    Ok(KommunTable {
        namnder: rows,
        total,
    })
}

/// Every nämnd with its report of `report_type` for the period, if any.
pub async fn submissions(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: &str,
) -> Result<Vec<(namnd::Model, Option<report::Model>)>, ApiError> {
    let namnder = namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .order_by_asc(namnd::Column::Code)
        .all(db)
        .await?;
    let mut reports: HashMap<Uuid, report::Model> = report::Entity::find()
        .filter(report::Column::KommunId.eq(kommun_id))
        .filter(report::Column::PeriodId.eq(period_id))
        .filter(report::Column::ReportType.eq(report_type))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.namnd_id, r))
        .collect();
    Ok(namnder
        .into_iter()
        .map(|n| {
            let r = reports.remove(&n.id);
            (n, r)
        })
        .collect())
}

/// Every goal or uppdrag responsibility: (nämnd, role).
pub fn responsible(
    huvudansvar: Option<Uuid>,
    medansvariga: &[Uuid],
    alla: bool,
    namnder: &[namnd::Model],
) -> Vec<(Uuid, &'static str)> {
    if alla {
        return namnder
            .iter()
            .map(|n| {
                (
                    n.id,
                    if Some(n.id) == huvudansvar {
                        "huvudansvar"
                    } else {
                        "medansvar"
                    },
                )
            })
            .collect();
    }
    huvudansvar
        .map(|h| (h, "huvudansvar"))
        .into_iter()
        .chain(medansvariga.iter().map(|m| (*m, "medansvar")))
        .collect()
}

/// The reports of a period and type by nämnd.
pub async fn reports_by_namnd(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: &str,
) -> Result<HashMap<Uuid, report::Model>, ApiError> {
    Ok(report::Entity::find()
        .filter(report::Column::KommunId.eq(kommun_id))
        .filter(report::Column::PeriodId.eq(period_id))
        .filter(report::Column::ReportType.eq(report_type))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.namnd_id, r))
        .collect())
}
