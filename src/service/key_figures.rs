//! Staff key figures (nyckeltal) of a nämnd per year, with values for T, K
//! and M stored as canonical decimal strings.

use super::write::{Columns, NewRow, RowChanges};
use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
};
use uuid::Uuid;

use super::write::Write;
use crate::{
    domain::structure::KeyFigureUnit,
    entity::key_figure,
    service::crud::PageRequest,
    service::error::{ServiceError, Taken, UniqueKey},
};

super::write::tenant_entity!(
    key_figure,
    "key figure",
    "key_figure",
    before_delete = before_delete
);

const NAME_TAKEN: Taken = Taken {
    key: UniqueKey {
        name: "uq_key_figure_namnd_name_year",
        table: "key_figure",
        columns: &["namnd_id", "name", "year"],
    },
    field: "name",
    message: "the nämnd already has a key figure with this name for this year",
};

/// A stored value as a decimal.
pub fn decimal_of(text: &Option<String>) -> Result<Option<Decimal>, ServiceError> {
    text.as_deref()
        .map(|t| {
            Decimal::from_str(t)
                .map_err(|_| ServiceError::Unexpected(format!("stored key figure value {t:?}")))
        })
        .transpose()
}

fn text_of(value: Option<Decimal>) -> Option<String> {
    value.map(|v| v.normalize().to_string())
}

/// One row of a nämnd's staff table: this year's and last year's T, K, M.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigureRow {
    pub name: String,
    pub unit: KeyFigureUnit,
    /// This year's measurement date or range (last year's when only that exists).
    pub measured: Option<String>,
    pub t: Option<Decimal>,
    pub k: Option<Decimal>,
    pub m: Option<Decimal>,
    pub t_foregaende_ar: Option<Decimal>,
    pub k_foregaende_ar: Option<Decimal>,
    pub m_foregaende_ar: Option<Decimal>,
}

pub struct NewKeyFigure {
    pub namnd_id: Uuid,
    pub name: String,
    pub unit: KeyFigureUnit,
    pub year: i32,
    pub measured: String,
    pub t: Option<Decimal>,
    pub k: Option<Decimal>,
    pub m: Option<Decimal>,
    /// Placed last among the nämnd's figures of the year when left out.
    pub position: Option<i32>,
}

/// Changes; `Some(None)` clears a value.
#[derive(Default)]
pub struct KeyFigureChanges {
    pub name: Option<String>,
    pub unit: Option<KeyFigureUnit>,
    pub year: Option<i32>,
    pub measured: Option<String>,
    pub t: Option<Option<Decimal>>,
    pub k: Option<Option<Decimal>>,
    pub m: Option<Option<Decimal>>,
    pub position: Option<i32>,
}

#[derive(Default)]
pub struct KeyFigureFilter {
    pub year: Option<i32>,
}

impl NewRow for NewKeyFigure {
    type Entity = key_figure::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<key_figure::Model, ServiceError> {
        w.ensure_open_year(self.year).await?;
        let same_year = Condition::all()
            .add(key_figure::Column::NamndId.eq(self.namnd_id))
            .add(key_figure::Column::Year.eq(self.year));
        let position = super::crud::next_position::<key_figure::Entity>(
            w.db(),
            w.kommun_id(),
            same_year,
            self.position,
        )
        .await?;
        let model = key_figure::ActiveModel {
            namnd_id: Set(self.namnd_id),
            name: Set(self.name),
            unit: Set(self.unit),
            year: Set(self.year),
            measured: Set(self.measured),
            value_t: Set(text_of(self.t)),
            value_k: Set(text_of(self.k)),
            value_m: Set(text_of(self.m)),
            position: Set(position),
            ..Default::default()
        };
        w.insert(model, &NAME_TAKEN).await
    }
}

/// A change of a key figure, refused when its year's bokslut is closed, or
/// the year it moves to is.
impl RowChanges for KeyFigureChanges {
    type Entity = key_figure::Entity;
    const TAKEN: Option<&'static Taken> = Some(&NAME_TAKEN);

    async fn columns(self, w: &Write<'_>, current: &key_figure::Model) -> Columns<Self> {
        w.ensure_open_year(current.year).await?;
        if let Some(year) = self.year {
            w.ensure_open_year(year).await?;
        }
        let set = |v: Option<String>| v.map(Set).unwrap_or(NotSet);
        let value = |v: Option<Option<Decimal>>| v.map(|d| Set(text_of(d))).unwrap_or(NotSet);
        Ok(key_figure::ActiveModel {
            name: set(self.name),
            unit: self.unit.map(Set).unwrap_or(NotSet),
            year: self.year.map(Set).unwrap_or(NotSet),
            measured: set(self.measured),
            value_t: value(self.t),
            value_k: value(self.k),
            value_m: value(self.m),
            position: self.position.map(Set).unwrap_or(NotSet),
            ..Default::default()
        })
    }
}

/// A key figure is not deleted once its year's bokslut is closed.
async fn before_delete(w: &Write<'_>, current: &key_figure::Model) -> Result<(), ServiceError> {
    w.ensure_open_year(current.year).await
}

/// One page of the key figures of `namnd_ids` (the nämnder the caller sees).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_ids: &[Uuid],
    filter: &KeyFigureFilter,
    page: &PageRequest,
) -> Result<(Vec<key_figure::Model>, Option<Uuid>), ServiceError> {
    let mut condition =
        Condition::all().add(key_figure::Column::NamndId.is_in(namnd_ids.iter().copied()));
    if let Some(year) = filter.year {
        condition = condition.add(key_figure::Column::Year.eq(year));
    }
    super::crud::list::<key_figure::Entity>(db, kommun_id, condition, page).await
}

/// The nämnd's staff table for `year` as the reports print it: one row per
/// name with this year's and last year's T, K and M. Rows follow this year's
/// position (last year's for names only recorded then), then name. One query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn key_figure_rows(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_id: Uuid,
    year: i32,
) -> Result<Vec<KeyFigureRow>, ServiceError> {
    let models = key_figure::Entity::find()
        .filter(key_figure::Column::KommunId.eq(kommun_id))
        .filter(key_figure::Column::NamndId.eq(namnd_id))
        .filter(key_figure::Column::Year.is_in([year, year.saturating_sub(1)]))
        .all(db)
        .await?;
    let mut by_name: HashMap<&str, (Option<&key_figure::Model>, Option<&key_figure::Model>)> =
        HashMap::new();
    for m in &models {
        let slot = by_name.entry(m.name.as_str()).or_default();
        if m.year == year {
            slot.0 = Some(m);
        } else {
            slot.1 = Some(m);
        }
    }
    let mut rows = Vec::with_capacity(by_name.len());
    for (name, (this, last)) in by_name {
        // Every name has at least one of the two.
        let Some(main) = this.or(last) else { continue };
        let values = |m: Option<&key_figure::Model>| -> Result<[Option<Decimal>; 3], ServiceError> {
            match m {
                Some(m) => Ok([
                    decimal_of(&m.value_t)?,
                    decimal_of(&m.value_k)?,
                    decimal_of(&m.value_m)?,
                ]),
                None => Ok([None; 3]),
            }
        };
        let [t, k, m] = values(this)?;
        let [t_prev, k_prev, m_prev] = values(last)?;
        rows.push((
            main.position,
            KeyFigureRow {
                name: name.to_string(),
                unit: main.unit,
                measured: Some(main.measured.clone()).filter(|s| !s.is_empty()),
                t,
                k,
                m,
                t_foregaende_ar: t_prev,
                k_foregaende_ar: k_prev,
                m_foregaende_ar: m_prev,
            },
        ));
    }
    rows.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}
