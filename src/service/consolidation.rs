//! The kommunledningsförvaltning's views over every nämnd, computed on read
//! with set-based queries, whatever the number of nämnder: the nämnder's
//! pre-aggregated totals (`budget_value_total`) and prognos steps
//! (`budget_prognos_step`).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::{
    domain::{self, BudgetLineKind, LineEntry, LineFigures, Measure, ReportPeriod},
    entity::{budget_value_total, namnd, report},
    service::budget_lines::stored_entry,
    service::error::ServiceError,
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
/// come from `budget_value_total` (kept per nämnd and month range by every
/// value write; a few rows per nämnd instead of every value). Helårsprognos
/// is each line's latest forecast, summed per nämnd from the kept prognos
/// steps ([`prognos_totals_of`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn kommun_table(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<KommunTable, ServiceError> {
    let namnder = super::namnder::all_by_code(db, kommun_id).await?;
    let mut sums: HashMap<Uuid, Vec<LineEntry>> = HashMap::new();
    for (namnd_id, measure, from, to, amount) in totals_of(db, kommun_id, kind, period).await? {
        sums.entry(namnd_id)
            .or_default()
            .push(stored_entry(measure, from, to, amount)?);
    }
    let prognoser: HashMap<Uuid, i64> = prognos_totals_of(db, kommun_id, kind, period)
        .await?
        .into_iter()
        .collect();
    // Pooled totals are exact only while no entries nest (a whole year beside
    // its months): the exact-cover reading depends on each line's own
    // entries, so such nämnder (few, if any) are read line by line.
    let nested: Vec<Uuid> = sums
        .iter()
        .filter(|(_, entries)| domain::entries_nest(entries))
        .map(|(id, _)| *id)
        .collect();
    let mut by_line: HashMap<Uuid, HashMap<Uuid, Vec<LineEntry>>> = HashMap::new();
    if !nested.is_empty() {
        for (namnd_id, line_id, measure, from, to, amount) in
            line_values_of(db, kommun_id, kind, period, &nested).await?
        {
            by_line
                .entry(namnd_id)
                .or_default()
                .entry(line_id)
                .or_default()
                .push(stored_entry(measure, from, to, amount)?);
        }
    }
    let overflow = |e: domain::DomainError| ServiceError::Unexpected(format!("figures: {e}"));
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
        let helarsprognos = prognoser
            .get(&n.id)
            .map(|&ore| domain::Amount(domain::money::from_ore(ore)));
        figures.helarsprognos = helarsprognos;
        rows.push((n, figures.derive().map_err(overflow)?));
    }
    let total = domain::summa(rows.iter().map(|(_, f)| f)).map_err(overflow)?;
    Ok(KommunTable {
        namnder: rows,
        total,
    })
}

/// (namnd_id, measure, from_month, to_month, amount_ore) of the kommun's
/// utfall and budget totals of `kind` in the report year and the year before.
async fn totals_of(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<Vec<(Uuid, Measure, i32, i32, i64)>, ServiceError> {
    use budget_value_total::Column as C;
    Ok(budget_value_total::Entity::find()
        .select_only()
        .columns([
            C::NamndId,
            C::Measure,
            C::FromMonth,
            C::ToMonth,
            C::AmountOre,
        ])
        .filter(C::KommunId.eq(kommun_id))
        .filter(C::Kind.eq(kind))
        .filter(C::FromMonth.gte((period.year() - 1) * 100 + 1))
        .filter(C::ToMonth.lte(period.year() * 100 + 12))
        .into_tuple()
        .all(db)
        .await?)
}

/// (namnd_id, helårsprognos in öre) for every nämnd with a prognos for the
/// report year: each line's latest prognos made by the period's last month
/// (several made in that month summed), as `domain::line_figures` picks it,
/// summed per nämnd. A nämnd none of whose lines has one is absent.
///
/// Read from `budget_prognos_step`, where every write keeps each nämnd's
/// helårsprognos as its change per month made: the sum of the steps made
/// from January to the period's last month is the helårsprognos, and the
/// number of lines with one is the sum of their first prognoser. A few rows
/// per nämnd, where the lines' prognoser are one per line and month made.
async fn prognos_totals_of(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<Vec<(Uuid, i64)>, ServiceError> {
    let backend = db.get_database_backend();
    let p = |n: usize| placeholder(backend, n);
    let year = period.year();
    let sql = format!(
        "SELECT namnd_id, CAST(SUM(amount_ore) AS BIGINT), CAST(SUM(lines) AS BIGINT) \
         FROM budget_prognos_step \
         WHERE kommun_id = {} AND kind = {} AND made_month >= {} AND made_month <= {} \
         GROUP BY namnd_id",
        p(1),
        p(2),
        p(3),
        p(4),
    );
    let params: Vec<sea_orm::Value> = vec![
        kommun_id.into(),
        kind.into(),
        (year * 100 + 1).into(),
        (year * 100 + period.last_month() as i32).into(),
    ];
    let statement = Statement::from_sql_and_values(backend, sql, params);
    let get_err =
        |e: sea_orm::TryGetError| ServiceError::Unexpected(format!("prognos total row: {e:?}"));
    let mut totals = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let (namnd_id, amount, lines) =
            <(Uuid, i64, i64) as sea_orm::TryGetableMany>::try_get_many_by_index(&row)
                .map_err(get_err)?;
        if lines > 0 {
            totals.push((namnd_id, amount));
        }
    }
    Ok(totals)
}

/// The `n`th (from 1) bind parameter of a raw statement on `backend`.
fn placeholder(backend: DbBackend, n: usize) -> String {
    if backend == DbBackend::Postgres {
        format!("${n}")
    } else {
        "?".into()
    }
}

/// (namnd_id, line_id, measure, from_month, to_month, amount_ore) of the
/// utfall and budget of the lines of `kind` of these nämnder in the report
/// year and the year before, in one query.
async fn line_values_of(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
    namnder: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, Measure, i32, i32, i64)>, ServiceError> {
    let backend = db.get_database_backend();
    let p = |n: usize| placeholder(backend, n);
    let mut params: Vec<sea_orm::Value> = vec![
        kommun_id.into(),
        kind.into(),
        ((period.year() - 1) * 100 + 1).into(),
        (period.year() * 100 + 12).into(),
    ];
    let list: Vec<String> = (0..namnder.len()).map(|i| p(5 + i)).collect();
    params.extend(namnder.iter().map(|&id| sea_orm::Value::from(id)));
    let filter = format!(
        "v.measure IN ('utfall', 'budget') AND l.namnd_id IN ({})",
        list.join(", ")
    );
    let sql = format!(
        "SELECT l.namnd_id, v.line_id, v.measure, v.from_month, v.to_month, v.amount_ore \
         FROM budget_value v INNER JOIN budget_line l ON l.id = v.line_id \
         WHERE v.kommun_id = {} AND l.kind = {} AND v.from_month >= {} AND v.to_month <= {} \
         AND {filter}",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    let statement = Statement::from_sql_and_values(backend, sql, params);
    let get_err =
        |e: sea_orm::TryGetError| ServiceError::Unexpected(format!("line value row: {e:?}"));
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| {
            <(Uuid, Uuid, Measure, i32, i32, i64) as sea_orm::TryGetableMany>::try_get_many_by_index(
                row,
            )
            .map_err(get_err)
        })
        .collect()
}

/// Every nämnd with its report of `report_type` for the period, if any.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submissions(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: &str,
) -> Result<Vec<(namnd::Model, Option<report::Model>)>, ServiceError> {
    let namnder = super::namnder::all_by_code(db, kommun_id).await?;
    let mut reports = reports_by_namnd(db, kommun_id, period_id, report_type).await?;
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
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reports_by_namnd(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: &str,
) -> Result<HashMap<Uuid, report::Model>, ServiceError> {
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
