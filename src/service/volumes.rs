//! Volymmått of a nämnd, their values (monthly, whole-period and prognos)
//! and the period figures a report shows. Months are stored as `yyyymm`;
//! values as canonical decimal strings.

use super::write::{Columns, NewRow, RowChanges};
use crate::service::search::in_byte_order;
use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    NotSet, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    audit::Actor,
    write::{Write, audited},
};
use crate::{
    domain::structure::VolumeValueKind,
    domain::{Aggregation, MonthValue, ReportPeriod, VolumePrognos, YearMonth, volume_figures},
    entity::{volume_measure, volume_value},
    service::crud::PageRequest,
    service::error::{ServiceError, Taken, UniqueKey, unique_violation},
};

super::write::tenant_entity!(
    volume_measure,
    "volume measure",
    "volume_measure",
    before_delete = before_delete
);

const NAME_TAKEN: Taken = Taken {
    key: UniqueKey {
        name: "uq_volume_measure_namnd_name",
        table: "volume_measure",
        columns: &["namnd_id", "name"],
    },
    field: "name",
    message: "the nämnd already has a volume measure with this name",
};

const UQ_VALUE: UniqueKey = UniqueKey {
    name: "uq_volume_value_measure_kind_months",
    table: "volume_value",
    columns: &["measure_id", "kind", "from_month", "to_month"],
};

/// A volume measure's figures for a report period: the columns of the
/// reports' volume tables.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRow {
    /// Id of the volume measure.
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    pub aggregation: Aggregation,
    /// The report period's value by the aggregation rule.
    pub period_value: Option<Decimal>,
    /// The latest full-year prognos of the period's year made by the period's end.
    pub prognos: Option<Decimal>,
    /// The same months of the previous year.
    pub same_period_last_year: Option<Decimal>,
    /// The whole previous year.
    pub last_year: Option<Decimal>,
}

/// `yyyymm` of a month.
pub fn month_number(ym: YearMonth) -> i32 {
    ym.year() * 100 + ym.month() as i32
}

fn month_of(number: i32) -> Result<YearMonth, ServiceError> {
    u32::try_from(number % 100)
        .ok()
        .and_then(|m| YearMonth::new(number / 100, m).ok())
        .ok_or_else(|| ServiceError::Unexpected(format!("stored month {number}")))
}

fn decimal_of(text: &str) -> Result<Decimal, ServiceError> {
    Decimal::from_str(text)
        .map_err(|_| ServiceError::Unexpected(format!("stored decimal {text:?}")))
}

/// The canonical stored text of a decimal.
pub fn canonical(value: Decimal) -> String {
    value.normalize().to_string()
}

pub struct NewMeasure {
    pub namnd_id: Uuid,
    pub name: String,
    pub unit: String,
    pub aggregation: Aggregation,
    /// Placed last when left out.
    pub position: Option<i32>,
}

#[derive(Default)]
pub struct MeasureChanges {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub aggregation: Option<Aggregation>,
    pub position: Option<i32>,
}

impl NewRow for NewMeasure {
    type Entity = volume_measure::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<volume_measure::Model, ServiceError> {
        let of_namnd = Condition::all().add(volume_measure::Column::NamndId.eq(self.namnd_id));
        let position = super::crud::next_position::<volume_measure::Entity>(
            w.db(),
            w.kommun_id(),
            of_namnd,
            self.position,
        )
        .await?;
        let model = volume_measure::ActiveModel {
            namnd_id: Set(self.namnd_id),
            name: Set(self.name),
            unit: Set(self.unit),
            aggregation: Set(self.aggregation),
            position: Set(position),
            ..Default::default()
        };
        w.insert(model, &NAME_TAKEN).await
    }
}

impl RowChanges for MeasureChanges {
    type Entity = volume_measure::Entity;
    const TAKEN: Option<&'static Taken> = Some(&NAME_TAKEN);

    async fn columns(self, _: &Write<'_>, _: &volume_measure::Model) -> Columns<Self> {
        let set = |v: Option<String>| v.map(Set).unwrap_or(NotSet);
        Ok(volume_measure::ActiveModel {
            name: set(self.name),
            unit: set(self.unit),
            aggregation: self.aggregation.map(Set).unwrap_or(NotSet),
            position: self.position.map(Set).unwrap_or(NotSet),
            ..Default::default()
        })
    }
}

/// One page of the measures of `namnd_ids` (the nämnder the caller sees).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_ids: &[Uuid],
    page: &PageRequest,
) -> Result<(Vec<volume_measure::Model>, Option<Uuid>), ServiceError> {
    let condition =
        Condition::all().add(volume_measure::Column::NamndId.is_in(namnd_ids.iter().copied()));
    super::crud::list::<volume_measure::Entity>(db, kommun_id, condition, page).await
}

/// One stored value of a measure. `from == to` is a month (for a prognos:
/// the month it was made); otherwise a whole period within one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredValue {
    pub kind: VolumeValueKind,
    pub from: YearMonth,
    pub to: YearMonth,
    pub value: Decimal,
}

/// A value to write; `None` deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueEntry {
    pub kind: VolumeValueKind,
    pub from: YearMonth,
    pub to: YearMonth,
    pub value: Option<Decimal>,
}

fn stored(model: &volume_value::Model) -> Result<StoredValue, ServiceError> {
    Ok(StoredValue {
        kind: model.kind,
        from: month_of(model.from_month)?,
        to: month_of(model.to_month)?,
        value: decimal_of(&model.value)?,
    })
}

/// Every value of a measure: utfall before prognos, then by month.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn values(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    measure_id: Uuid,
) -> Result<Vec<StoredValue>, ServiceError> {
    let rows = volume_value::Entity::find()
        .filter(volume_value::Column::KommunId.eq(kommun_id))
        .filter(volume_value::Column::MeasureId.eq(measure_id))
        .all(db)
        .await?;
    let mut values = rows.iter().map(stored).collect::<Result<Vec<_>, _>>()?;
    values.sort_by_key(|v| (v.kind, v.from, v.to));
    Ok(values)
}

/// A measure goes with its values, so not while one lies in a closed month
/// (409, as for every value write).
async fn before_delete(w: &Write<'_>, current: &volume_measure::Model) -> Result<(), ServiceError> {
    for v in value_rows(w.db(), current.kommun_id, current.id).await? {
        w.ensure_open_months(v.from_month, v.to_month).await?;
    }
    Ok(())
}

/// The stored rows of a measure's values, in month order.
async fn value_rows(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    measure_id: Uuid,
) -> Result<Vec<volume_value::Model>, ServiceError> {
    Ok(volume_value::Entity::find()
        .filter(volume_value::Column::KommunId.eq(kommun_id))
        .filter(volume_value::Column::MeasureId.eq(measure_id))
        .order_by_asc(volume_value::Column::Kind)
        .order_by_asc(volume_value::Column::FromMonth)
        .order_by_asc(volume_value::Column::ToMonth)
        .all(db)
        .await?)
}

/// Writes `entries` in one transaction: new values are inserted, changed
/// ones updated, `None` ones deleted; identical ones are left untouched.
/// The entries must already be free of duplicates.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_values(
    db: &DatabaseConnection,
    actor: &Actor,
    measure_id: Uuid,
    entries: Vec<ValueEntry>,
) -> Result<Vec<StoredValue>, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        // The measure may have been deleted since the caller read it.
        super::crud::get::<volume_measure::Entity>(txn, kommun_id, measure_id).await?;
        let before = value_rows(txn, kommun_id, measure_id).await?;
        let existing: HashMap<(VolumeValueKind, i32, i32), &volume_value::Model> = before
            .iter()
            .map(|m| ((m.kind, m.from_month, m.to_month), m))
            .collect();
        let now = crate::service::clock::now();
        let mut inserts = Vec::new();
        let mut deletes = Vec::new();
        let mut changed = false;
        for entry in entries {
            let key = (entry.kind, month_number(entry.from), month_number(entry.to));
            let writes = match (existing.get(&key), entry.value) {
                (None, None) => false,
                (Some(old), Some(value)) => old.value != canonical(value),
                _ => true,
            };
            if writes {
                w.ensure_open(entry.from, entry.to).await?;
            }
            match (existing.get(&key), entry.value) {
                (None, None) => {}
                (Some(old), None) => deletes.push(old.id),
                (None, Some(value)) => inserts.push(volume_value::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    kommun_id: Set(kommun_id),
                    measure_id: Set(measure_id),
                    kind: Set(key.0),
                    from_month: Set(key.1),
                    to_month: Set(key.2),
                    value: Set(canonical(value)),
                    updated_at: Set(now),
                }),
                (Some(old), Some(value)) => {
                    let text = canonical(value);
                    if old.value != text {
                        changed = true;
                        volume_value::Entity::update_many()
                            .col_expr(volume_value::Column::Value, Expr::value(text))
                            .col_expr(volume_value::Column::UpdatedAt, Expr::value(now))
                            .filter(volume_value::Column::Id.eq(old.id))
                            .exec(txn)
                            .await?;
                    }
                }
            }
        }
        changed |= !deletes.is_empty() || !inserts.is_empty();
        if !deletes.is_empty() {
            volume_value::Entity::delete_many()
                .filter(volume_value::Column::Id.is_in(deletes))
                .exec(txn)
                .await?;
        }
        if !inserts.is_empty() {
            volume_value::Entity::insert_many(inserts)
                .exec(txn)
                .await
                .map_err(|e| match unique_violation(e, &UQ_VALUE, "values", "") {
                    ServiceError::Taken(_) => ServiceError::Conflict(
                        "the values were changed by someone else at the same time; retry".into(),
                    ),
                    other => other,
                })?;
        }
        if changed {
            let after = value_rows(txn, kommun_id, measure_id).await?;
            w.record(
                "volume_measure_values",
                Some(measure_id),
                "put",
                Some(&before),
                Some(&after),
            )?;
        }
        values(txn, kommun_id, measure_id).await
    })
    .await
}

/// The volume rows of a nämnd's report for `period`: every measure of the
/// nämnd (by position, then name) with its period value, prognos, same
/// period last year and whole last year. Two queries whatever the number of
/// measures.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn volume_rows(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_id: Uuid,
    period: ReportPeriod,
) -> Result<Vec<VolumeRow>, ServiceError> {
    let measures = volume_measure::Entity::find()
        .filter(volume_measure::Column::KommunId.eq(kommun_id))
        .filter(volume_measure::Column::NamndId.eq(namnd_id))
        .order_by_asc(volume_measure::Column::Position)
        .order_by_asc(in_byte_order(db, volume_measure::Column::Name))
        .order_by_asc(volume_measure::Column::Id)
        .all(db)
        .await?;
    rows_for(db, kommun_id, measures, period).await
}

/// The figures of one measure for `period`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn volume_row(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    measure: volume_measure::Model,
    period: ReportPeriod,
) -> Result<VolumeRow, ServiceError> {
    rows_for(db, kommun_id, vec![measure], period)
        .await?
        .pop()
        .ok_or_else(|| ServiceError::Unexpected("no figures for the measure".into()))
}

async fn rows_for(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    measures: Vec<volume_measure::Model>,
    period: ReportPeriod,
) -> Result<Vec<VolumeRow>, ServiceError> {
    if measures.is_empty() {
        return Ok(Vec::new());
    }
    // Everything a row needs lies in the period's year and the year before.
    let first = (period.year() - 1) * 100 + 1;
    let last = period.year() * 100 + 12;
    let values = volume_value::Entity::find()
        .filter(volume_value::Column::KommunId.eq(kommun_id))
        .filter(volume_value::Column::MeasureId.is_in(measures.iter().map(|m| m.id)))
        .filter(volume_value::Column::FromMonth.gte(first))
        .filter(volume_value::Column::ToMonth.lte(last))
        .all(db)
        .await?;
    let mut by_measure: HashMap<Uuid, Vec<StoredValue>> = HashMap::new();
    for value in &values {
        by_measure
            .entry(value.measure_id)
            .or_default()
            .push(stored(value)?);
    }
    measures
        .into_iter()
        .map(|m| {
            let values = by_measure.remove(&m.id).unwrap_or_default();
            compute_row(m, &values, period)
        })
        .collect()
}

/// Monthly values through the domain rule; a window without any monthly
/// value falls back to a whole-period value recorded for exactly that window.
fn compute_row(
    measure: volume_measure::Model,
    values: &[StoredValue],
    period: ReportPeriod,
) -> Result<VolumeRow, ServiceError> {
    let rule = measure.aggregation;
    let mut months = Vec::new();
    let mut prognoser = Vec::new();
    let mut wholes = Vec::new();
    for v in values {
        match (v.kind, v.from == v.to) {
            (VolumeValueKind::Utfall, true) => months.push(MonthValue {
                month: v.from,
                value: v.value,
            }),
            (VolumeValueKind::Utfall, false) => wholes.push(v),
            (VolumeValueKind::Prognos, _) => prognoser.push(VolumePrognos {
                made_at: v.to,
                value: v.value,
            }),
        }
    }
    let figures = volume_figures(&months, &prognoser, period, rule)
        .map_err(|e| ServiceError::Unexpected(format!("volume figures: {e}")))?;
    let whole = |from: YearMonth, to: YearMonth| {
        wholes
            .iter()
            .find(|w| w.from == from && w.to == to)
            .map(|w| w.value)
    };
    let previous = period.previous_year().ok();
    let same_period_last_year = figures
        .same_period_last_year
        .or_else(|| previous.and_then(|p| whole(p.start(), p.end())));
    let last_year = figures.last_year.or_else(|| {
        let year = period.year() - 1;
        match (YearMonth::new(year, 1), YearMonth::new(year, 12)) {
            (Ok(from), Ok(to)) => whole(from, to),
            _ => None,
        }
    });
    Ok(VolumeRow {
        id: measure.id,
        name: measure.name,
        unit: measure.unit,
        aggregation: rule,
        period_value: figures
            .period
            .or_else(|| whole(period.start(), period.end())),
        prognos: figures.prognos,
        same_period_last_year,
        last_year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    fn measure(aggregation: Aggregation) -> volume_measure::Model {
        let now = crate::service::clock::now();
        volume_measure::Model {
            id: Uuid::now_v7(),
            kommun_id: Uuid::now_v7(),
            namnd_id: Uuid::now_v7(),
            name: "Belagda platser".into(),
            unit: "platser".into(),
            aggregation,
            position: 1,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn value(kind: VolumeValueKind, from: YearMonth, to: YearMonth, v: i64) -> StoredValue {
        StoredValue {
            kind,
            from,
            to,
            value: Decimal::from(v),
        }
    }

    #[test]
    fn whole_periods_answer_only_their_exact_window() {
        use VolumeValueKind::*;
        let values = [
            value(Utfall, ym(2024, 1), ym(2024, 8), 304),
            value(Utfall, ym(2023, 1), ym(2023, 8), 303),
            value(Utfall, ym(2023, 1), ym(2023, 12), 300),
            value(Prognos, ym(2024, 8), ym(2024, 8), 314),
        ];
        let delar = ReportPeriod::delar(2024).unwrap();
        let row = compute_row(measure(Aggregation::SistaManad), &values, delar).unwrap();
        assert_eq!(
            (
                row.period_value,
                row.prognos,
                row.same_period_last_year,
                row.last_year
            ),
            (
                Some(Decimal::from(304)),
                Some(Decimal::from(314)),
                Some(Decimal::from(303)),
                Some(Decimal::from(300))
            )
        );
        let tertial = ReportPeriod::new(2024, 1, 4).unwrap();
        let row = compute_row(measure(Aggregation::SistaManad), &values, tertial).unwrap();
        assert_eq!((row.period_value, row.prognos), (None, None));
        assert_eq!(row.last_year, Some(Decimal::from(300)));
    }

    #[test]
    fn monthly_values_win_over_whole_periods() {
        use VolumeValueKind::*;
        let values = [
            value(Utfall, ym(2023, 1), ym(2023, 12), 999),
            value(Utfall, ym(2023, 3), ym(2023, 3), 10),
            value(Utfall, ym(2023, 4), ym(2023, 4), 20),
        ];
        let helar = ReportPeriod::helar(2024).unwrap();
        let row = compute_row(measure(Aggregation::SnittPerManad), &values, helar).unwrap();
        assert_eq!(row.last_year, Some(Decimal::from(15)));
        assert_eq!(row.period_value, None);
    }
}
