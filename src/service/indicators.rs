//! Indicators of a kommun's plan: their riktvärden, values per year and
//! gender, trend/bedömning overrides, and the figures derived from them for
//! a year (through `crate::domain`). Decimals are stored as canonical
//! strings; every write runs in a transaction with its audit entry and
//! bumps the indicator's version.

use super::write::{Columns, RowChanges};
use super::write::{Write, audited};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use super::{audit::Actor, search::contains_folded};
use crate::{
    domain::{
        Assessed, Bedomning, Gender, GenderSeries, MAX_YEAR, Observation, Override, OverrideKind,
        Polarity, Trend, TrendThreshold, ValueSource, bedomning_gender_aware,
        bedomning_of_text_target, derive_indicator_year, fulfilment_ratio,
    },
    entity::{
        goal, goal_indicator, indicator, indicator_override, indicator_riktvarde, indicator_value,
        indicator_value_history,
    },
    service::crud::PageRequest,
    service::error::ServiceError,
};

super::write::tenant_entity!(indicator, "indicator", "indicator");

pub fn decimal_of(text: &str) -> Result<Decimal, ServiceError> {
    Decimal::from_str(text)
        .map_err(|_| ServiceError::Unexpected(format!("stored decimal {text:?}")))
}

/// The canonical stored text of a decimal.
pub fn canonical(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A riktvärde (or a goal's target): a number, or a text such as "öka" or
/// "Öka jmf utfall 2023".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Target {
    Value(Decimal),
    Text(String),
}

impl Target {
    pub fn from_stored(
        value: Option<&str>,
        text: Option<&str>,
    ) -> Result<Option<Target>, ServiceError> {
        match (value, text) {
            (Some(v), _) => Ok(Some(Target::Value(decimal_of(v)?))),
            (None, Some(t)) => Ok(Some(Target::Text(t.to_string()))),
            (None, None) => Ok(None),
        }
    }

    /// (value, text) columns.
    pub fn to_stored(&self) -> (Option<String>, Option<String>) {
        match self {
            Target::Value(v) => (Some(canonical(*v)), None),
            Target::Text(t) => (None, Some(t.clone())),
        }
    }

    pub fn value(&self) -> Option<Decimal> {
        match self {
            Target::Value(v) => Some(*v),
            Target::Text(_) => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Indicator rows

pub struct IndicatorSpec {
    pub name: String,
    pub unit: String,
    pub polarity: Polarity,
    /// Percent (1.5 = 1.5 %).
    pub trend_threshold: Decimal,
    pub source: Option<String>,
    pub kolada_id: Option<String>,
    pub divided_by_gender: bool,
    pub position: Option<i32>,
    pub description: Option<String>,
    /// False for an indicator created from Kolada: its polarity is a
    /// placeholder until a person sets it.
    pub polarity_confirmed: bool,
}

#[derive(Default)]
pub struct IndicatorChanges {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub polarity: Option<Polarity>,
    pub trend_threshold: Option<Decimal>,
    pub source: Option<Option<String>>,
    pub kolada_id: Option<Option<String>>,
    pub divided_by_gender: Option<bool>,
    pub position: Option<i32>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    spec: IndicatorSpec,
) -> Result<indicator::Model, ServiceError> {
    audited(db, actor, async |w| create_in(w, spec).await).await
}

/// [`create`] as part of a larger write.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_in(
    w: &Write<'_>,
    spec: IndicatorSpec,
) -> Result<indicator::Model, ServiceError> {
    let kommun_id = w.kommun_id();
    let txn = w.db();
    let position = match spec.position {
        Some(p) => p,
        None => indicator::Entity::find()
            .filter(indicator::Column::KommunId.eq(kommun_id))
            .order_by_desc(indicator::Column::Position)
            .one(txn)
            .await?
            .map_or(1, |m| m.position.saturating_add(1)),
    };
    w.insert_new(indicator::ActiveModel {
        name: Set(spec.name),
        unit: Set(spec.unit),
        polarity: Set(spec.polarity),
        trend_threshold: Set(canonical(spec.trend_threshold)),
        source: Set(spec.source),
        kolada_id: Set(spec.kolada_id),
        divided_by_gender: Set(spec.divided_by_gender),
        position: Set(position),
        description: Set(spec.description),
        polarity_confirmed: Set(spec.polarity_confirmed),
        ..Default::default()
    })
    .await
}

impl RowChanges for IndicatorChanges {
    type Entity = indicator::Entity;

    async fn columns(self, _: &Write<'_>, _: &indicator::Model) -> Columns<Self> {
        let set = |v: Option<String>| v.map(Set).unwrap_or(NotSet);
        Ok(indicator::ActiveModel {
            name: set(self.name),
            unit: set(self.unit),
            polarity: self.polarity.map(Set).unwrap_or(NotSet),
            polarity_confirmed: if self.polarity.is_some() {
                Set(true)
            } else {
                NotSet
            },
            trend_threshold: set(self.trend_threshold.map(canonical)),
            source: self.source.map(Set).unwrap_or(NotSet),
            kolada_id: self.kolada_id.map(Set).unwrap_or(NotSet),
            divided_by_gender: self.divided_by_gender.map(Set).unwrap_or(NotSet),
            position: self.position.map(Set).unwrap_or(NotSet),
            ..Default::default()
        })
    }
}

#[derive(Default)]
pub struct IndicatorFilter {
    pub kolada_id: Option<String>,
    /// Only indicators linked to one of these goals.
    pub goal_ids: Option<Vec<Uuid>>,
    /// Case-insensitive part of the name.
    pub q: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &IndicatorFilter,
    page: &PageRequest,
) -> Result<(Vec<indicator::Model>, Option<Uuid>), ServiceError> {
    let mut condition = Condition::all();
    if let Some(k) = &filter.kolada_id {
        condition = condition.add(indicator::Column::KoladaId.eq(k.trim()));
    }
    if let Some(q) = &filter.q {
        condition = condition.add(contains_folded(
            db.get_database_backend(),
            indicator::Column::Name,
            q,
        ));
    }
    if let Some(goal_ids) = &filter.goal_ids {
        let linked: Vec<Uuid> = goal_indicator::Entity::find()
            .filter(goal_indicator::Column::KommunId.eq(kommun_id))
            .filter(goal_indicator::Column::GoalId.is_in(goal_ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.indicator_id)
            .collect();
        condition = condition.add(indicator::Column::Id.is_in(linked));
    }
    super::crud::list::<indicator::Entity>(db, kommun_id, condition, page).await
}

// ---------------------------------------------------------------------------
// Values, riktvärden, overrides

/// One value of an indicator for a year and gender. A value may be absent
/// when only a status or note is recorded ("Mäts vartannat år").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredValue {
    pub year: i32,
    pub gender: Gender,
    pub value: Option<Decimal>,
    pub status: Option<String>,
    pub note: Option<String>,
    /// Where the value came from.
    pub source: ValueSource,
    /// When it was last fetched from Kolada.
    pub fetched_at: Option<DateTime<Utc>>,
    /// What Kolada said at `fetched_at` (also when a manual value was kept).
    pub kolada_value: Option<Decimal>,
    pub kolada_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRiktvarde {
    pub year: i32,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredOverride {
    pub year: i32,
    pub kind: OverrideKind,
    pub value: String,
    pub reason: String,
}

/// A stored value as the derived figures (trend, bedömning, utfall) read
/// it: what [`load_figures`] reads where no value's record is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FigureValue {
    pub year: i32,
    pub gender: Gender,
    pub value: Option<Decimal>,
}

/// What [`derive`] reads of a value: its year, gender and value.
pub trait ValueFigures {
    fn figures(&self) -> FigureValue;
}

impl ValueFigures for FigureValue {
    fn figures(&self) -> FigureValue {
        *self
    }
}

impl ValueFigures for StoredValue {
    fn figures(&self) -> FigureValue {
        FigureValue {
            year: self.year,
            gender: self.gender,
            value: self.value,
        }
    }
}

/// An indicator with everything its derived figures need, and its values
/// as `V`: whole records ([`StoredValue`], [`load_data`]) or their figures
/// only ([`FigureValue`], [`load_figures`]).
#[derive(Debug, Clone)]
pub struct IndicatorData<V = StoredValue> {
    pub model: indicator::Model,
    pub values: Vec<V>,
    pub riktvarden: Vec<StoredRiktvarde>,
    pub overrides: Vec<StoredOverride>,
}

fn stored_value(m: indicator_value::Model) -> Result<StoredValue, ServiceError> {
    stored_value_of_columns((
        m.indicator_id,
        m.year,
        m.gender,
        m.value,
        m.status,
        m.note,
        m.source,
        m.fetched_at,
        m.kolada_value,
        m.kolada_status,
    ))
}

/// The columns of an `indicator_value` row a [`StoredValue`] holds, with
/// the indicator's id first.
type ValueColumns = (
    Uuid,
    i32,
    Gender,
    Option<String>,
    Option<String>,
    Option<String>,
    ValueSource,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
);

fn stored_value_of_columns(
    (_, year, gender, value, status, note, source, fetched_at, kolada_value, kolada_status): ValueColumns,
) -> Result<StoredValue, ServiceError> {
    Ok(StoredValue {
        year,
        gender,
        value: value.as_deref().map(decimal_of).transpose()?,
        status,
        note,
        source,
        fetched_at,
        kolada_value: kolada_value.as_deref().map(decimal_of).transpose()?,
        kolada_status,
    })
}

fn stored_override(m: &indicator_override::Model) -> Result<StoredOverride, ServiceError> {
    Ok(StoredOverride {
        year: m.year,
        kind: m.kind,
        value: m.value.clone(),
        reason: m.reason.clone(),
    })
}

/// The values, riktvärden and overrides of `models`, in three queries
/// whatever their number. Keeps the order of `models`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_data(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    models: Vec<indicator::Model>,
) -> Result<Vec<IndicatorData>, ServiceError> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    // Only the columns a StoredValue holds, read by position: a kommun's
    // indicators have thousands of values, and decoding whole rows by name
    // (ids, timestamps, a formatted message for every null) cost more than
    // the query.
    let values: Vec<ValueColumns> = {
        use indicator_value::Column as C;
        use sea_orm::QuerySelect;
        values_of(kommun_id, &ids)
            .columns([
                C::IndicatorId,
                C::Year,
                C::Gender,
                C::Value,
                C::Status,
                C::Note,
                C::Source,
                C::FetchedAt,
                C::KoladaValue,
                C::KoladaStatus,
            ])
            .into_tuple()
            .all(db)
            .await?
    };
    let values = values
        .into_iter()
        .map(|v| Ok((v.0, stored_value_of_columns(v)?)))
        .collect::<Result<Vec<_>, ServiceError>>()?;
    with_targets(db, kommun_id, models, (ids, TargetYears::All), values).await
}

/// Which years' riktvärden and overrides a loader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetYears {
    /// Every year's.
    All,
    /// This year's only: for callers that derive that year only.
    Only(i32),
    /// Each indicator's latest riktvärde and every override: what deriving
    /// at each indicator's [`default_year`] reads (the latest year with a
    /// riktvärde), without the riktvärden of the years before.
    Latest,
}

/// [`load_data`] with each value's figures only (year, gender, value), for
/// the views that derive trend and bedömning but show no value's record
/// (the goal matrix, the indicator overview, the appendix): a third of the
/// columns, none of the mostly empty texts. `targets` narrows the
/// riktvärden and overrides read to what the caller derives (every year's
/// values are read: the trend and the latest utfall look back).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_figures(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    models: Vec<indicator::Model>,
    targets: TargetYears,
) -> Result<Vec<IndicatorData<FigureValue>>, ServiceError> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let values: Vec<(Uuid, i32, Gender, Option<String>)> = {
        use indicator_value::Column as C;
        use sea_orm::QuerySelect;
        values_of(kommun_id, &ids)
            .columns([C::IndicatorId, C::Year, C::Gender, C::Value])
            .into_tuple()
            .all(db)
            .await?
    };
    let values = values
        .into_iter()
        .map(|(id, year, gender, value)| {
            let value = value.as_deref().map(decimal_of).transpose()?;
            Ok((
                id,
                FigureValue {
                    year,
                    gender,
                    value,
                },
            ))
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    with_targets(db, kommun_id, models, (ids, targets), values).await
}

/// The values of these indicators by year and gender, no column selected
/// yet: each loader reads the columns it needs by position.
fn values_of(kommun_id: Uuid, ids: &[Uuid]) -> sea_orm::Select<indicator_value::Entity> {
    use indicator_value::Column as C;
    use sea_orm::QuerySelect;
    indicator_value::Entity::find()
        .select_only()
        .filter(of_indicators(C::KommunId, C::IndicatorId, kommun_id, ids))
        .order_by_asc(C::Year)
        .order_by_asc(C::Gender)
}

/// From this many indicators, their rows are read as all of the kommun's
/// (the rows of other indicators are skipped when sorted in): a list of
/// hundreds of ids costs PostgreSQL more to bind and plan than the few
/// rows more cost to read (a goal matrix over the bench kommun's 400
/// indicators: 2.8 ms against 1.8 ms for its values). Both ways walk an
/// index that leads with `kommun_id`.
const KOMMUN_WIDE_FROM: usize = 64;

/// The indicators `ids` of the kommun, in no particular order. Many are
/// read as all of the kommun's and narrowed here (see [`KOMMUN_WIDE_FROM`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn models_of(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    ids: &BTreeSet<Uuid>,
) -> Result<Vec<indicator::Model>, ServiceError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let listed: Vec<Uuid> = ids.iter().copied().collect();
    Ok(indicator::Entity::find()
        .filter(of_indicators(
            indicator::Column::KommunId,
            indicator::Column::Id,
            kommun_id,
            &listed,
        ))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| ids.contains(&m.id))
        .collect())
}

/// The condition for the overrides `targets` asks for.
fn overrides_of(targets: TargetYears) -> sea_orm::Condition {
    match targets {
        TargetYears::Only(year) => {
            sea_orm::Condition::all().add(indicator_override::Column::Year.eq(year))
        }
        TargetYears::All | TargetYears::Latest => sea_orm::Condition::all(),
    }
}

/// The condition for the riktvärden of the kommun `targets` asks for.
fn riktvarden_of(kommun_id: Uuid, targets: TargetYears) -> sea_orm::Condition {
    use indicator_riktvarde::Column as C;
    use sea_orm::{
        ExprTrait,
        sea_query::{Expr, Query},
    };
    match targets {
        TargetYears::All => sea_orm::Condition::all(),
        TargetYears::Only(year) => sea_orm::Condition::all().add(C::Year.eq(year)),
        TargetYears::Latest => {
            let latest = Query::select()
                .column(C::IndicatorId)
                .expr(C::Year.max())
                .from(indicator_riktvarde::Entity)
                .and_where(C::KommunId.eq(kommun_id))
                .group_by_col(C::IndicatorId)
                .to_owned();
            sea_orm::Condition::all().add(
                Expr::tuple([Expr::col(C::IndicatorId), Expr::col(C::Year)]).in_subquery(latest),
            )
        }
    }
}

/// The condition for the rows of these indicators of the kommun.
fn of_indicators<C: ColumnTrait>(
    kommun: C,
    indicator: C,
    kommun_id: Uuid,
    ids: &[Uuid],
) -> sea_orm::Condition {
    let condition = sea_orm::Condition::all().add(kommun.eq(kommun_id));
    if ids.len() >= KOMMUN_WIDE_FROM {
        condition
    } else {
        condition.add(indicator.is_in(ids.iter().copied()))
    }
}

/// `models` with their `values` (indicator id first), riktvärden and
/// overrides (of the years `targets` asks for), in the order of `models`.
async fn with_targets<V>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    models: Vec<indicator::Model>,
    (ids, targets): (Vec<Uuid>, TargetYears),
    values: Vec<(Uuid, V)>,
) -> Result<Vec<IndicatorData<V>>, ServiceError> {
    let riktvarden: Vec<(Uuid, i32, Option<String>, Option<String>)> = {
        use indicator_riktvarde::Column as C;
        use sea_orm::QuerySelect;
        indicator_riktvarde::Entity::find()
            .select_only()
            .columns([C::IndicatorId, C::Year, C::Value, C::Text])
            .filter(of_indicators(C::KommunId, C::IndicatorId, kommun_id, &ids))
            .filter(riktvarden_of(kommun_id, targets))
            .order_by_asc(C::Year)
            .into_tuple()
            .all(db)
            .await?
    };
    let overrides = indicator_override::Entity::find()
        .filter(of_indicators(
            indicator_override::Column::KommunId,
            indicator_override::Column::IndicatorId,
            kommun_id,
            &ids,
        ))
        .filter(overrides_of(targets))
        .order_by_asc(indicator_override::Column::Year)
        .order_by_asc(indicator_override::Column::Kind)
        .all(db)
        .await?;
    let mut data: Vec<IndicatorData<V>> = models
        .into_iter()
        .map(|model| IndicatorData {
            model,
            values: Vec::new(),
            riktvarden: Vec::new(),
            overrides: Vec::new(),
        })
        .collect();
    let index: HashMap<Uuid, usize> = data
        .iter()
        .enumerate()
        .map(|(i, d)| (d.model.id, i))
        .collect();
    for (indicator_id, v) in values {
        if let Some(d) = index.get(&indicator_id).and_then(|&i| data.get_mut(i)) {
            d.values.push(v);
        }
    }
    for (indicator_id, year, value, text) in riktvarden {
        if let Some(d) = index.get(&indicator_id).and_then(|&i| data.get_mut(i))
            && let Some(target) = Target::from_stored(value.as_deref(), text.as_deref())?
        {
            d.riktvarden.push(StoredRiktvarde { year, target });
        }
    }
    for o in &overrides {
        if let Some(d) = index.get(&o.indicator_id).and_then(|&i| data.get_mut(i)) {
            d.overrides.push(stored_override(o)?);
        }
    }
    Ok(data)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_one(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<IndicatorData, ServiceError> {
    let model = super::crud::get::<indicator::Entity>(db, kommun_id, id).await?;
    load_data(db, kommun_id, vec![model])
        .await?
        .pop()
        .ok_or_else(|| super::crud::not_found::<indicator::Entity>(id))
}

/// Starts a change of one of the indicator's parts (its values,
/// riktvärden or overrides): checks the optional expected version, bumps the
/// indicator's version and gives the indicator as it was, for the audit log.
async fn begin_part(
    txn: &DatabaseTransaction,
    kommun_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<IndicatorData, ServiceError> {
    // The lock first, so `before` is what this write changes.
    touch(txn, kommun_id, id, expected_version).await?;
    load_one(txn, kommun_id, id).await
}

/// Ends the change [`begin_part`] started: inserts the part's new `rows`
/// and records the part (`part` of the indicator) as `resource_type`, as
/// it was `before` and is now.
async fn finish_part<A, P: Serialize>(
    w: &Write<'_>,
    id: Uuid,
    rows: Vec<A>,
    before: &IndicatorData,
    resource_type: &'static str,
    part: fn(&IndicatorData) -> &P,
) -> Result<IndicatorData, ServiceError>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    insert_rows(w.db(), rows).await?;
    let after = load_one(w.db(), w.kommun_id(), id).await?;
    w.record(
        resource_type,
        Some(id),
        "put",
        Some(part(before)),
        Some(part(&after)),
    )?;
    Ok(after)
}

/// Checks the optional expected version and bumps the indicator's version.
async fn touch(
    txn: &DatabaseTransaction,
    kommun_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), ServiceError> {
    // Locked until the write commits, so a write without `If-Match` waits
    // for one in progress and then applies on top of it (see
    // `Write::put_keyed`).
    let current = super::crud::get_locked::<indicator::Entity>(txn, kommun_id, id).await?;
    let version = expected_version.unwrap_or(current.version);
    let active = indicator::ActiveModel {
        updated_at: Set(crate::service::clock::now()),
        ..Default::default()
    };
    super::crud::update_versioned::<indicator::Entity, _>(txn, kommun_id, id, version, active)
        .await?;
    Ok(())
}

/// A value to write. All of value, status and note absent deletes it.
#[derive(Debug, Clone)]
pub struct ValueWrite {
    pub year: i32,
    pub gender: Gender,
    pub value: Option<Decimal>,
    pub status: Option<String>,
    pub note: Option<String>,
    /// Where the value comes from; a rewrite of the same value and status
    /// keeps the stored source.
    pub source: ValueSource,
    /// When the write comes from Kolada: when and what Kolada said.
    pub kolada: Option<KoladaSaid>,
}

impl ValueWrite {
    /// A value written by a person.
    pub fn manual(
        year: i32,
        gender: Gender,
        value: Option<Decimal>,
        status: Option<String>,
        note: Option<String>,
    ) -> Self {
        ValueWrite {
            year,
            gender,
            value,
            status,
            note,
            source: ValueSource::Manual,
            kolada: None,
        }
    }
}

/// What Kolada said about a value, and when it was fetched.
#[derive(Debug, Clone)]
pub struct KoladaSaid {
    pub fetched_at: DateTime<Utc>,
    pub value: Option<Decimal>,
    pub status: Option<String>,
}

/// The history row that keeps `old` when a write revises (`update`) or
/// removes (`delete`) it.
fn history_of(
    old: &indicator_value::Model,
    ended_by: &str,
    now: DateTime<Utc>,
    changed_by: &str,
) -> indicator_value_history::ActiveModel {
    indicator_value_history::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun_id: Set(old.kommun_id),
        indicator_id: Set(old.indicator_id),
        year: Set(old.year),
        gender: Set(old.gender),
        value: Set(old.value.clone()),
        status: Set(old.status.clone()),
        note: Set(old.note.clone()),
        source: Set(old.source),
        fetched_at: Set(old.fetched_at),
        kolada_value: Set(old.kolada_value.clone()),
        kolada_status: Set(old.kolada_status.clone()),
        valid_from: Set(old.updated_at),
        valid_to: Set(now),
        ended_by: Set(ended_by.to_string()),
        changed_by: Set(changed_by.chars().take(200).collect()),
    }
}

/// Writes `writes` (already free of duplicates) all or nothing: values not
/// mentioned stay.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_values(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    writes: Vec<ValueWrite>,
) -> Result<IndicatorData, ServiceError> {
    audited(db, actor, async |w| {
        write_values(w, id, expected_version, writes).await
    })
    .await
}

/// [`put_values`] as part of a larger write (an import).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn write_values(
    w: &Write<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    writes: Vec<ValueWrite>,
) -> Result<IndicatorData, ServiceError> {
    let kommun_id = w.kommun_id();
    {
        let txn = w.db();
        let before = begin_part(txn, kommun_id, id, expected_version).await?;
        let existing: HashMap<(i32, Gender), indicator_value::Model> =
            indicator_value::Entity::find()
                .filter(indicator_value::Column::KommunId.eq(kommun_id))
                .filter(indicator_value::Column::IndicatorId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|m| ((m.year, m.gender), m))
                .collect();
        let now = crate::service::clock::now();
        let changed_by = w.actor().principal.clone();
        let mut deletes = Vec::new();
        let mut inserts = Vec::new();
        let mut history = Vec::new();
        for v in writes {
            let key = (v.year, v.gender);
            let empty = v.value.is_none() && v.status.is_none() && v.note.is_none();
            let value = v.value.map(canonical);
            let said = v
                .kolada
                .as_ref()
                .map(|k| (Some(k.fetched_at), k.value.map(canonical), k.status.clone()));
            match existing.get(&key) {
                Some(old) if empty => {
                    history.push(history_of(old, "delete", now, &changed_by));
                    deletes.push(old.id);
                }
                None if empty => {}
                Some(old) => {
                    let revised = old.value != value || old.status != v.status;
                    let source = if revised { v.source } else { old.source };
                    let (fetched_at, kolada_value, kolada_status) = said.unwrap_or((
                        old.fetched_at,
                        old.kolada_value.clone(),
                        old.kolada_status.clone(),
                    ));
                    let changed = revised
                        || old.note != v.note
                        || old.source != source
                        || old.fetched_at != fetched_at
                        || old.kolada_value != kolada_value
                        || old.kolada_status != kolada_status;
                    if revised || old.source != source {
                        history.push(history_of(old, "update", now, &changed_by));
                    }
                    if changed {
                        let updated_at = if revised || old.source != source {
                            now
                        } else {
                            old.updated_at
                        };
                        indicator_value::Entity::update_many()
                            .col_expr(indicator_value::Column::Value, Expr::value(value))
                            .col_expr(indicator_value::Column::Status, Expr::value(v.status))
                            .col_expr(indicator_value::Column::Note, Expr::value(v.note))
                            .col_expr(indicator_value::Column::Source, Expr::value(source))
                            .col_expr(indicator_value::Column::FetchedAt, Expr::value(fetched_at))
                            .col_expr(
                                indicator_value::Column::KoladaValue,
                                Expr::value(kolada_value),
                            )
                            .col_expr(
                                indicator_value::Column::KoladaStatus,
                                Expr::value(kolada_status),
                            )
                            .col_expr(indicator_value::Column::UpdatedAt, Expr::value(updated_at))
                            .filter(indicator_value::Column::Id.eq(old.id))
                            .exec(txn)
                            .await?;
                    }
                }
                None => {
                    let (fetched_at, kolada_value, kolada_status) =
                        said.unwrap_or((None, None, None));
                    inserts.push(indicator_value::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        kommun_id: Set(kommun_id),
                        indicator_id: Set(id),
                        year: Set(key.0),
                        gender: Set(key.1),
                        value: Set(value),
                        status: Set(v.status),
                        note: Set(v.note),
                        updated_at: Set(now),
                        source: Set(v.source),
                        fetched_at: Set(fetched_at),
                        kolada_value: Set(kolada_value),
                        kolada_status: Set(kolada_status),
                    })
                }
            }
        }
        if !history.is_empty() {
            indicator_value_history::Entity::insert_many(history)
                .exec(txn)
                .await?;
        }
        if !deletes.is_empty() {
            indicator_value::Entity::delete_many()
                .filter(indicator_value::Column::Id.is_in(deletes))
                .exec(txn)
                .await?;
        }
        finish_part(w, id, inserts, &before, "indicator_values", |d| &d.values).await
    }
}

/// Inserts the rows that replace an indicator's (none: nothing).
async fn insert_rows<A>(txn: &DatabaseTransaction, rows: Vec<A>) -> Result<(), ServiceError>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    <A::Entity as EntityTrait>::insert_many(rows)
        .exec(txn)
        .await
        .map_err(concurrent)?;
    Ok(())
}

fn concurrent(e: sea_orm::DbErr) -> ServiceError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::Conflict(
            "the indicator was changed by someone else at the same time; retry".into(),
        ),
        _ => ServiceError::from(e),
    }
}

/// Replaces every riktvärde of the indicator with `riktvarden` (distinct years).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_riktvarden(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    riktvarden: Vec<StoredRiktvarde>,
) -> Result<IndicatorData, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        let before = begin_part(txn, kommun_id, id, expected_version).await?;
        indicator_riktvarde::Entity::delete_many()
            .filter(indicator_riktvarde::Column::KommunId.eq(kommun_id))
            .filter(indicator_riktvarde::Column::IndicatorId.eq(id))
            .exec(txn)
            .await?;
        let now = crate::service::clock::now();
        let rows: Vec<indicator_riktvarde::ActiveModel> = riktvarden
            .iter()
            .map(|r| {
                let (value, text) = r.target.to_stored();
                indicator_riktvarde::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    kommun_id: Set(kommun_id),
                    indicator_id: Set(id),
                    year: Set(r.year),
                    value: Set(value),
                    text: Set(text),
                    updated_at: Set(now),
                }
            })
            .collect();
        finish_part(w, id, rows, &before, "indicator_riktvarden", |d| {
            &d.riktvarden
        })
        .await
    })
    .await
}

/// Sets (or with `None` clears) the trend and bedömning overrides of `year`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_overrides(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    year: i32,
    trend: Option<Override<Trend>>,
    bedomning: Option<Override<Bedomning>>,
) -> Result<IndicatorData, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        let before = begin_part(txn, kommun_id, id, expected_version).await?;
        indicator_override::Entity::delete_many()
            .filter(indicator_override::Column::KommunId.eq(kommun_id))
            .filter(indicator_override::Column::IndicatorId.eq(id))
            .filter(indicator_override::Column::Year.eq(year))
            .exec(txn)
            .await?;
        let now = crate::service::clock::now();
        let mut rows = Vec::new();
        let trend = trend.map(|o| {
            (
                OverrideKind::Trend,
                o.value().as_str(),
                o.reason().to_string(),
            )
        });
        let bedomning = bedomning.map(|o| {
            (
                OverrideKind::Bedomning,
                o.value().as_str(),
                o.reason().to_string(),
            )
        });
        for (kind, value, reason) in trend.into_iter().chain(bedomning) {
            rows.push(indicator_override::ActiveModel {
                id: Set(Uuid::now_v7()),
                kommun_id: Set(kommun_id),
                indicator_id: Set(id),
                year: Set(year),
                kind: Set(kind),
                value: Set(value.to_string()),
                reason: Set(reason),
                updated_at: Set(now),
            });
        }
        finish_part(w, id, rows, &before, "indicator_overrides", |d| {
            &d.overrides
        })
        .await
    })
    .await
}

// ---------------------------------------------------------------------------
// Derived figures

/// The figures of an indicator for one year, all computed by the domain.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The year assessed: the requested one, else the latest with a
    /// riktvärde, else the latest with an utfall.
    pub year: Option<i32>,
    /// The utfall (totalt) used: the latest available up to the year.
    pub utfall: Option<Observation>,
    /// The previous available utfall, compared for the trend.
    pub foregaende: Option<Observation>,
    pub riktvarde: Option<Target>,
    /// Fulfilment ratio (1 = 100 %) of `utfall` against a numeric riktvärde.
    pub ratio: Option<Decimal>,
    pub trend: Assessed<Trend>,
    pub bedomning: Assessed<Bedomning>,
}

fn observations<V: ValueFigures>(values: &[V], gender: Gender) -> Vec<Observation> {
    values
        .iter()
        .map(ValueFigures::figures)
        .filter(|v| v.gender == gender)
        .filter_map(|v| {
            v.value.map(|value| Observation {
                year: v.year,
                value,
            })
        })
        .collect()
}

/// The year served by default: the latest with a riktvärde, else the latest
/// with a value.
pub fn default_year<V: ValueFigures>(data: &IndicatorData<V>) -> Option<i32> {
    data.riktvarden
        .iter()
        .map(|r| r.year)
        .max()
        .or_else(|| data.values.iter().map(|v| v.figures().year).max())
}

/// Trend and bedömning of the indicator for `year` (default:
/// [`default_year`]), with the overrides stored for that year.
pub fn derive<V: ValueFigures>(
    data: &IndicatorData<V>,
    year: Option<i32>,
) -> Result<Derived, ServiceError> {
    let polarity = data.model.polarity;
    let threshold = TrendThreshold::from_percent(decimal_of(&data.model.trend_threshold)?)
        .map_err(|e| ServiceError::Unexpected(format!("stored trend threshold: {e}")))?;
    let year = year.or_else(|| default_year(data));
    let at = year.unwrap_or(MAX_YEAR);
    let total = observations(&data.values, Gender::T);
    let riktvarde = data
        .riktvarden
        .iter()
        .find(|r| Some(r.year) == year)
        .map(|r| r.target.clone());
    let rv = riktvarde.as_ref().and_then(Target::value);
    let derived = derive_indicator_year(&total, rv, at, polarity, threshold);
    // An indicator created from Kolada has no polarity until a person sets
    // one: neither its trend nor its bedömning can be judged before.
    let confirmed = data.model.polarity_confirmed;
    let computed_bedomning = match &riktvarde {
        _ if !confirmed => Bedomning::Ingen,
        Some(Target::Text(_)) => bedomning_of_text_target(derived.trend),
        _ if data.model.divided_by_gender => {
            let kvinnor = observations(&data.values, Gender::K);
            let man = observations(&data.values, Gender::M);
            let series = GenderSeries {
                total: &total,
                kvinnor: &kvinnor,
                man: &man,
            };
            bedomning_gender_aware(&series, rv, at, polarity, threshold)
        }
        _ => derived.bedomning,
    };
    let mut trend = Assessed::new(if confirmed {
        derived.trend
    } else {
        Trend::EjJamforbar
    });
    let mut bedomning = Assessed::new(computed_bedomning);
    let bad_value = |e: String| ServiceError::Unexpected(format!("stored override value: {e}"));
    for o in data.overrides.iter().filter(|o| Some(o.year) == year) {
        match o.kind {
            OverrideKind::Trend => trend.set_override(Some(
                Override::new(o.value.parse().map_err(bad_value)?, o.reason.clone())
                    .map_err(|e| ServiceError::Unexpected(format!("stored override: {e}")))?,
            )),
            OverrideKind::Bedomning => bedomning.set_override(Some(
                Override::new(o.value.parse().map_err(bad_value)?, o.reason.clone())
                    .map_err(|e| ServiceError::Unexpected(format!("stored override: {e}")))?,
            )),
        }
    }
    let ratio = match (derived.utfall, rv) {
        (Some(u), Some(rv)) if confirmed => {
            fulfilment_ratio(u.value, rv, polarity).map(|r| r.value())
        }
        _ => None,
    };
    Ok(Derived {
        year,
        utfall: derived.utfall,
        foregaende: derived.foregaende,
        riktvarde,
        ratio,
        trend,
        bedomning,
    })
}

/// The goals each of `indicator_ids` is linked to (one query).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn goals_of(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    indicator_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, ServiceError> {
    let links = goal_indicator::Entity::find()
        .filter(goal_indicator::Column::KommunId.eq(kommun_id))
        .filter(goal_indicator::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .order_by_asc(goal_indicator::Column::Position)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for l in links {
        map.entry(l.indicator_id).or_default().push(l.goal_id);
    }
    Ok(map)
}

/// The appendix: the goals (of one goal area, or all; optionally only
/// `goal_ids`) by goal area and position, each with its indicators' data in
/// link order, with the riktvärden and overrides of `targets`. Four queries
/// plus [`load_figures`]'s three.
pub struct Appendix {
    pub areas: Vec<crate::entity::goal_area::Model>,
    pub goals: Vec<goal::Model>,
    /// goal id → indicator ids in order.
    pub links: HashMap<Uuid, Vec<Uuid>>,
    pub indicators: HashMap<Uuid, IndicatorData<FigureValue>>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn appendix(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    goal_area_id: Option<Uuid>,
    goal_ids: Option<&BTreeSet<Uuid>>,
    targets: TargetYears,
) -> Result<Appendix, ServiceError> {
    use crate::entity::goal_area;
    let mut areas = goal_area::Entity::find().filter(goal_area::Column::KommunId.eq(kommun_id));
    if let Some(a) = goal_area_id {
        areas = areas.filter(goal_area::Column::Id.eq(a));
    }
    let areas = areas
        .order_by_asc(goal_area::Column::Position)
        .order_by_asc(goal_area::Column::Id)
        .all(db)
        .await?;
    let area_ids: Vec<Uuid> = areas.iter().map(|a| a.id).collect();
    let mut goals = goal::Entity::find()
        .filter(goal::Column::KommunId.eq(kommun_id))
        .filter(goal::Column::GoalAreaId.is_in(area_ids));
    if let Some(ids) = goal_ids {
        goals = goals.filter(goal::Column::Id.is_in(ids.iter().copied()));
    }
    let goals = goals
        .order_by_asc(goal::Column::Position)
        .order_by_asc(goal::Column::Id)
        .all(db)
        .await?;
    let links_rows = goal_indicator::Entity::find()
        .filter(goal_indicator::Column::KommunId.eq(kommun_id))
        .filter(goal_indicator::Column::GoalId.is_in(goals.iter().map(|g| g.id)))
        .order_by_asc(goal_indicator::Column::Position)
        .order_by_asc(goal_indicator::Column::Id)
        .all(db)
        .await?;
    let mut links: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut indicator_ids = BTreeSet::new();
    for l in links_rows {
        indicator_ids.insert(l.indicator_id);
        links.entry(l.goal_id).or_default().push(l.indicator_id);
    }
    let models = models_of(db, kommun_id, &indicator_ids).await?;
    let indicators = load_figures(db, kommun_id, models, targets)
        .await?
        .into_iter()
        .map(|d| (d.model.id, d))
        .collect();
    Ok(Appendix {
        areas,
        goals,
        links,
        indicators,
    })
}

/// One version of a value: the current one (`valid_to` None) or an
/// earlier one kept in the history.
#[derive(Debug, Clone)]
pub struct ValueVersion {
    pub value: StoredValue,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    /// `update` or `delete` for an earlier version.
    pub ended_by: Option<String>,
    pub changed_by: Option<String>,
}

/// Every version of the indicator's values (optionally of one year and
/// gender): the earlier ones from the history and the current ones, by
/// year, gender and time.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn value_history(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
    year: Option<i32>,
    gender: Option<Gender>,
) -> Result<Vec<ValueVersion>, ServiceError> {
    super::crud::get::<indicator::Entity>(db, kommun_id, id).await?;
    let mut current = indicator_value::Entity::find()
        .filter(indicator_value::Column::KommunId.eq(kommun_id))
        .filter(indicator_value::Column::IndicatorId.eq(id));
    let mut earlier = indicator_value_history::Entity::find()
        .filter(indicator_value_history::Column::KommunId.eq(kommun_id))
        .filter(indicator_value_history::Column::IndicatorId.eq(id));
    if let Some(y) = year {
        current = current.filter(indicator_value::Column::Year.eq(y));
        earlier = earlier.filter(indicator_value_history::Column::Year.eq(y));
    }
    if let Some(g) = gender {
        current = current.filter(indicator_value::Column::Gender.eq(g));
        earlier = earlier.filter(indicator_value_history::Column::Gender.eq(g));
    }
    let mut out = Vec::new();
    for h in earlier.all(db).await? {
        out.push(ValueVersion {
            value: stored_value_of_columns((
                h.indicator_id,
                h.year,
                h.gender,
                h.value,
                h.status,
                h.note,
                h.source,
                h.fetched_at,
                h.kolada_value,
                h.kolada_status,
            ))?,
            valid_from: h.valid_from,
            valid_to: Some(h.valid_to),
            ended_by: Some(h.ended_by),
            changed_by: Some(h.changed_by),
        });
    }
    for m in current.all(db).await? {
        let valid_from = m.updated_at;
        out.push(ValueVersion {
            value: stored_value(m)?,
            valid_from,
            valid_to: None,
            ended_by: None,
            changed_by: None,
        });
    }
    // Current versions last within a year and gender.
    out.sort_by(|a, b| {
        (
            a.value.year,
            a.value.gender,
            a.valid_to.is_none(),
            a.valid_from,
        )
            .cmp(&(
                b.value.year,
                b.value.gender,
                b.valid_to.is_none(),
                b.valid_from,
            ))
    });
    Ok(out)
}
