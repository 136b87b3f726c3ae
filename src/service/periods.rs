use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::{
    domain::structure::{PeriodKind, PeriodSpec},
    entity::period,
    service::crud::PageRequest,
    service::error::{ServiceError, Taken, UniqueKey},
    service::{
        audit::Actor,
        write::{NewRow, Write, audited},
    },
};

super::write::tenant_entity!(period, "period", "period");

const PERIOD_TAKEN: Taken = Taken {
    key: UniqueKey {
        name: "uq_period_kommun_kind_year_number",
        table: "period",
        columns: &["kommun_id", "kind", "year", "number"],
    },
    field: "kind",
    message: "this period already exists in the kommun",
};

#[derive(Default)]
pub struct PeriodFilter {
    pub kind: Option<PeriodKind>,
    pub year: Option<i32>,
}

/// The period's kind, year and number as the domain type.
pub fn spec_of(model: &period::Model) -> Result<PeriodSpec, ServiceError> {
    model.spec().map_err(ServiceError::Unexpected)
}

impl NewRow for PeriodSpec {
    type Entity = period::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<period::Model, ServiceError> {
        let model = period::ActiveModel {
            kind: Set(self.kind),
            year: Set(self.year),
            number: Set(self.number as i32),
            start_date: Set(self.start_date()),
            end_date: Set(self.end_date()),
            closed_at: Set(None),
            closed_by: Set(None),
            ..Default::default()
        };
        w.insert(model, &PERIOD_TAKEN).await
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &PeriodFilter,
    page: &PageRequest,
) -> Result<(Vec<period::Model>, Option<Uuid>), ServiceError> {
    let mut condition = Condition::all();
    if let Some(kind) = filter.kind {
        condition = condition.add(period::Column::Kind.eq(kind));
    }
    if let Some(year) = filter.year {
        condition = condition.add(period::Column::Year.eq(year));
    }
    super::crud::list::<period::Entity>(db, kommun_id, condition, page).await
}

/// Periods by id, one query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_ids(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, period::Model>, ServiceError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(period::Entity::find()
        .filter(period::Column::KommunId.eq(kommun_id))
        .filter(period::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Closes (`close`) or reopens a period, as one audited write whose action
/// is `close` or `reopen`. 409 when it already is so.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_closed(
    db: &DatabaseConnection,
    actor: &Actor,
    current: &period::Model,
    close: bool,
) -> Result<period::Model, ServiceError> {
    if current.closed_at.is_some() == close {
        return Err(ServiceError::Conflict(format!(
            "the period is already {}",
            if close { "closed" } else { "open" }
        )));
    }
    let now = crate::service::clock::now();
    let changes = period::ActiveModel {
        closed_at: Set(close.then_some(now)),
        closed_by: Set(close.then(|| actor.principal.clone())),
        updated_at: Set(now),
        ..Default::default()
    };
    audited(db, actor, async |w| {
        let after = super::crud::update_versioned::<period::Entity, _>(
            w.db(),
            actor.kommun_id,
            current.id,
            current.version,
            changes,
        )
        .await?;
        w.stepped(if close { "close" } else { "reopen" }, current, &after)?;
        Ok(after)
    })
    .await
}
