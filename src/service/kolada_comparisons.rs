//! Comparison values (jämförelse) of the indicators with a Kolada id: the
//! country's (`0000`, "Riket") and the value of the municipality group the
//! kommun compares itself with (`G…`, e.g. "liknande kommuner"), per year
//! and gender. The sync asks Kolada for them in the same requests as the
//! kommun's own values (`/data/kpi/{ids}/municipality/{kommun},0000,{group}`)
//! and stores them in `indicator_comparison`: a revised value is updated, a
//! value Kolada marks `isdeleted` is removed, and rows of a group the
//! kommun no longer compares itself with go. Each indicator whose
//! comparisons change gets one audit entry (`indicator_comparisons`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    error::ServiceError,
    imports::{self, KoladaEntry},
    indicators::{canonical, decimal_of},
    write::Write,
};
use crate::{domain::Gender, entity::indicator_comparison};

/// Kolada's municipality id of the country.
pub const COUNTRY: &str = "0000";
/// Kolada's name of the country.
pub const COUNTRY_NAME: &str = "Riket";
/// Longest municipality group id (the column's width).
const MAX_GROUP_ID: usize = 20;
/// Longest group name (the column's width).
pub const MAX_GROUP_NAME: usize = 200;

/// Who the kommun is compared with: a Kolada municipality id and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub municipality: String,
    pub name: String,
}

/// Why `id` is not a Kolada municipality group id (`G` and digits, e.g.
/// `G124026`).
pub fn check_group_id(id: &str) -> Result<(), String> {
    let digits = id.strip_prefix('G').unwrap_or_default();
    if id.len() <= MAX_GROUP_ID && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a Kolada municipality group id: G followed by digits, e.g. G124026"
        ))
    }
}

/// The kommun's group, when it has chosen one.
pub fn group_of(state: &crate::entity::kolada_sync::Model) -> Option<Peer> {
    match (&state.comparison_group_id, &state.comparison_group_name) {
        (Some(id), Some(name)) => Some(Peer {
            municipality: id.clone(),
            name: name.clone(),
        }),
        _ => None,
    }
}

/// The country, and the kommun's group when it has one.
pub fn peers(state: &crate::entity::kolada_sync::Model) -> Vec<Peer> {
    let country = Peer {
        municipality: COUNTRY.into(),
        name: COUNTRY_NAME.into(),
    };
    std::iter::once(country).chain(group_of(state)).collect()
}

type Key = (Uuid, String, i32, Gender);

fn key_of(m: &indicator_comparison::Model) -> Key {
    (m.indicator_id, m.municipality.clone(), m.year, m.gender)
}

/// What Kolada says about one comparison value.
enum Said {
    Value(Option<Decimal>),
    Deleted,
}

/// Brings the stored comparison values in line with `fetched` (each peer's
/// parsed entries) and drops those of municipalities that are not `peers`
/// any more; returns how many rows changed. A value that is null with an
/// empty status ("no data") leaves the stored one alone.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn write(
    w: &Write<'_>,
    peers: &[Peer],
    fetched: &[(Peer, Vec<KoladaEntry>)],
    fetched_at: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let txn = w.db();
    let kommun_id = w.kommun_id();
    let stored = rows(txn, kommun_id, None).await?;
    let mut by_kpi: HashMap<String, Vec<Uuid>> = HashMap::new();
    for m in imports::indicators_by_kpi(txn, kommun_id, None).await? {
        if let Some(k) = m.kolada_id {
            by_kpi.entry(k).or_default().push(m.id);
        }
    }
    let mut said: BTreeMap<Key, (Said, &str)> = BTreeMap::new();
    for (peer, entries) in fetched {
        for entry in entries {
            for id in by_kpi.get(&entry.kpi).into_iter().flatten() {
                for v in &entry.values {
                    let what = if v.deleted {
                        Said::Deleted
                    } else if v.value.is_none() && v.status.is_none() {
                        continue;
                    } else {
                        Said::Value(v.value)
                    };
                    let key = (*id, peer.municipality.clone(), entry.year, v.gender);
                    said.insert(key, (what, peer.name.as_str()));
                }
            }
        }
    }
    let current: BTreeSet<&str> = peers.iter().map(|p| p.municipality.as_str()).collect();
    let mut stored_by_key: HashMap<Key, &indicator_comparison::Model> = HashMap::new();
    let mut deletes = Vec::new();
    let mut changed: BTreeSet<Uuid> = BTreeSet::new();
    for m in &stored {
        if current.contains(m.municipality.as_str()) {
            stored_by_key.insert(key_of(m), m);
        } else {
            deletes.push(m.id);
            changed.insert(m.indicator_id);
        }
    }
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for (key, (what, name)) in said {
        let old = stored_by_key.get(&key);
        match (what, old) {
            (Said::Deleted, None) => {}
            (Said::Deleted, Some(m)) => {
                deletes.push(m.id);
                changed.insert(key.0);
            }
            (Said::Value(value), Some(m)) => {
                let before = m.value.as_deref().map(decimal_of).transpose()?;
                if before == value && m.name == name {
                    continue;
                }
                let mut active: indicator_comparison::ActiveModel = (*m).clone().into();
                active.value = Set(value.map(canonical));
                active.name = Set(name.to_string());
                active.fetched_at = Set(fetched_at);
                updates.push(active);
                changed.insert(key.0);
            }
            (Said::Value(value), None) => {
                let (indicator_id, municipality, year, gender) = key;
                inserts.push(indicator_comparison::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    kommun_id: Set(kommun_id),
                    indicator_id: Set(indicator_id),
                    municipality: Set(municipality),
                    name: Set(name.to_string()),
                    year: Set(year),
                    gender: Set(gender),
                    value: Set(value.map(canonical)),
                    fetched_at: Set(fetched_at),
                });
                changed.insert(indicator_id);
            }
        }
    }
    let count = deletes.len() + updates.len() + inserts.len();
    if count == 0 {
        return Ok(0);
    }
    let before = group_by_indicator(stored.iter().filter(|m| changed.contains(&m.indicator_id)));
    if !deletes.is_empty() {
        indicator_comparison::Entity::delete_many()
            .filter(indicator_comparison::Column::Id.is_in(deletes))
            .exec(txn)
            .await?;
    }
    for active in updates {
        indicator_comparison::Entity::update(active)
            .exec(txn)
            .await?;
    }
    if !inserts.is_empty() {
        indicator_comparison::Entity::insert_many(inserts)
            .exec(txn)
            .await?;
    }
    let ids: Vec<Uuid> = changed.into_iter().collect();
    let after_rows = rows(txn, kommun_id, Some(ids.as_slice())).await?;
    let after = group_by_indicator(after_rows.iter());
    let none = Vec::new();
    for id in ids {
        w.record(
            "indicator_comparisons",
            Some(id),
            "put",
            Some(before.get(&id).unwrap_or(&none)),
            Some(after.get(&id).unwrap_or(&none)),
        )?;
    }
    Ok(count)
}

fn group_by_indicator<'a>(
    rows: impl Iterator<Item = &'a indicator_comparison::Model>,
) -> HashMap<Uuid, Vec<&'a indicator_comparison::Model>> {
    let mut out: HashMap<Uuid, Vec<&indicator_comparison::Model>> = HashMap::new();
    for m in rows {
        out.entry(m.indicator_id).or_default().push(m);
    }
    out
}

/// The kommun's stored comparison rows (of `indicators` when given), in a
/// stable order.
async fn rows(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    indicators: Option<&[Uuid]>,
) -> Result<Vec<indicator_comparison::Model>, ServiceError> {
    let mut query = indicator_comparison::Entity::find()
        .filter(indicator_comparison::Column::KommunId.eq(kommun_id));
    if let Some(ids) = indicators {
        query = query.filter(indicator_comparison::Column::IndicatorId.is_in(ids.to_vec()));
    }
    Ok(query
        .order_by_asc(indicator_comparison::Column::IndicatorId)
        .order_by_asc(indicator_comparison::Column::Municipality)
        .order_by_asc(indicator_comparison::Column::Year)
        .order_by_asc(indicator_comparison::Column::Gender)
        .all(db)
        .await?)
}

/// The comparison values of one indicator for one year and gender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearComparison {
    pub year: i32,
    /// The country's value.
    pub country: Option<Decimal>,
    /// The group's value.
    pub group: Option<Decimal>,
    /// The group the kommun compares itself with (None when it has none).
    pub group_id: Option<String>,
    pub group_name: Option<String>,
}

/// The stored comparison values of some indicators, for reading.
#[derive(Debug, Default)]
pub struct Comparisons {
    group: Option<Peer>,
    values: HashMap<Key, Option<Decimal>>,
}

impl Comparisons {
    /// The country's and the group's value of `indicator` for `year` and
    /// `gender`.
    pub fn of(&self, indicator: Uuid, year: i32, gender: Gender) -> YearComparison {
        let value = |municipality: &str| {
            self.values
                .get(&(indicator, municipality.to_string(), year, gender))
                .copied()
                .flatten()
        };
        YearComparison {
            year,
            country: value(COUNTRY),
            group: self.group.as_ref().and_then(|g| value(&g.municipality)),
            group_id: self.group.as_ref().map(|g| g.municipality.clone()),
            group_name: self.group.as_ref().map(|g| g.name.clone()),
        }
    }
}

/// The comparison values of `indicators`: the country's and those of the
/// current group of the kommun whose Kolada state (`kolada_sync::state`)
/// is `state`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(
    db: &impl ConnectionTrait,
    state: &crate::entity::kolada_sync::Model,
    indicators: &[Uuid],
) -> Result<Comparisons, ServiceError> {
    let kommun_id = state.kommun_id;
    let group = group_of(state);
    if indicators.is_empty() {
        return Ok(Comparisons {
            group,
            values: HashMap::new(),
        });
    }
    let wanted: BTreeSet<String> = peers(state).into_iter().map(|p| p.municipality).collect();
    let mut values = HashMap::new();
    for m in rows(db, kommun_id, Some(indicators)).await? {
        if wanted.contains(&m.municipality) {
            let value = m.value.as_deref().map(decimal_of).transpose()?;
            values.insert(key_of(&m), value);
        }
    }
    Ok(Comparisons { group, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_are_g_and_digits() {
        assert!(check_group_id("G124026").is_ok());
        assert!(check_group_id("G1").is_ok());
        for bad in [
            "",
            "G",
            "0483",
            "g124026",
            "G12A",
            "G 1",
            "G123456789012345678901",
        ] {
            assert!(check_group_id(bad).is_err(), "{bad:?}");
        }
    }
}
