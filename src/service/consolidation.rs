//! The kommunledningsförvaltning's views over every nämnd, computed on read
//! with set-based queries: one query for the lines of the kommun, one for
//! their values in the two years needed, whatever the number of nämnder.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    domain::{self, BudgetLine, BudgetLineKind, LineEntry, LineFigures, ReportPeriod},
    entity::{budget_line, budget_value, namnd, report},
    error::ApiError,
    service::budget_lines::{ReportTable, entry_of, kind_str},
};

/// Every nämnd's lines of `kind`, rolled up, for one period.
pub struct KommunTable {
    /// In nämnd code order.
    pub namnder: Vec<(namnd::Model, ReportTable)>,
    pub total: LineFigures,
}

pub async fn kommun_table(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<KommunTable, ApiError> {
    let namnder = namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .order_by_asc(namnd::Column::Code)
        .all(db)
        .await?;
    let lines = budget_line::Entity::find()
        .filter(budget_line::Column::KommunId.eq(kommun_id))
        .filter(budget_line::Column::Kind.eq(kind_str(kind)))
        .order_by_asc(budget_line::Column::Position)
        .order_by_asc(budget_line::Column::Code)
        .all(db)
        .await?;
    let from = (period.year() - 1) * 100 + 1;
    let to = period.year() * 100 + 12;
    let values = budget_value::Entity::find()
        .filter(budget_value::Column::KommunId.eq(kommun_id))
        .filter(budget_value::Column::FromMonth.gte(from))
        .filter(budget_value::Column::ToMonth.lte(to))
        .all(db)
        .await?;
    let mut entries: HashMap<Uuid, Vec<LineEntry>> = HashMap::new();
    for v in &values {
        entries.entry(v.line_id).or_default().push(entry_of(v)?);
    }
    let mut by_namnd: HashMap<Uuid, Vec<budget_line::Model>> = HashMap::new();
    for line in lines {
        by_namnd.entry(line.namnd_id).or_default().push(line);
    }
    let overflow = |e: domain::DomainError| ApiError::Unexpected(format!("figures: {e}"));
    let mut tables = Vec::with_capacity(namnder.len());
    for n in namnder {
        let lines = by_namnd.remove(&n.id).unwrap_or_default();
        let budget_lines = lines
            .iter()
            .map(|l| {
                let figures = domain::line_figures(
                    entries.get(&l.id).map(Vec::as_slice).unwrap_or(&[]),
                    period,
                )
                .map_err(overflow)?;
                Ok(BudgetLine {
                    id: l.id,
                    parent: l.parent_id,
                    figures,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let rows = domain::roll_up(&budget_lines)
            .map_err(|e| ApiError::Unexpected(format!("roll-up: {e}")))?;
        let total = domain::summa(rows.iter().map(|r| &r.figures)).map_err(overflow)?;
        let table = ReportTable {
            lines: lines.into_iter().map(|l| (l.id, l)).collect(),
            rows,
            total,
        };
        tables.push((n, table));
    }
    let total = domain::summa(tables.iter().map(|(_, t)| &t.total)).map_err(overflow)?;
    Ok(KommunTable {
        namnder: tables,
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
