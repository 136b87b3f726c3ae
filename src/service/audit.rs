//! The audit log: who changed what, when, before and after. Written by
//! [`super::write::audited`] in the same transaction as the change, so a
//! change without its record (or the reverse) cannot exist. Nothing in the
//! API updates or deletes it.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::crud::{PageRequest, page_in_id_order};
use super::error::ServiceError;
use crate::{auth::Principal, entity::audit_log};

/// Who acts, and under which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kommun_id: Uuid,
    pub principal: String,
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn new(principal: &Principal, kommun_id: Uuid, request_id: Option<String>) -> Self {
        Actor {
            kommun_id,
            principal: principal.subject.clone(),
            role: principal.role.as_str().to_string(),
            request_id,
        }
    }
}

/// The kommun's audit entries after `since` about any of `resource_ids`,
/// oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn touching(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    since: chrono::DateTime<chrono::Utc>,
    resource_ids: &[Uuid],
) -> Result<Vec<audit_log::Model>, ServiceError> {
    let mut entries = Vec::new();
    // Bounded IN lists: PostgreSQL takes at most 65 535 parameters.
    for ids in resource_ids.chunks(1000) {
        entries.extend(
            audit_log::Entity::find()
                .filter(audit_log::Column::KommunId.eq(kommun_id))
                .filter(audit_log::Column::OccurredAt.gt(since))
                .filter(audit_log::Column::ResourceId.is_in(ids.to_vec()))
                .order_by_asc(audit_log::Column::Id)
                .all(db)
                .await?,
        );
    }
    entries.sort_by_key(|e| e.id);
    Ok(entries)
}

/// What `GET /audit` filters on; every given part must match.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub principal: Option<String>,
    /// From this time (inclusive).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Until this time (exclusive).
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// One page of the kommun's audit entries, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<(Vec<audit_log::Model>, Option<Uuid>), ServiceError> {
    use audit_log::Column as C;
    let mut condition = Condition::all().add(C::KommunId.eq(kommun_id));
    if let Some(t) = &filter.resource_type {
        condition = condition.add(C::ResourceType.eq(t.as_str()));
    }
    if let Some(id) = filter.resource_id {
        condition = condition.add(C::ResourceId.eq(id));
    }
    if let Some(p) = &filter.principal {
        condition = condition.add(C::Principal.eq(p.as_str()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(C::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(C::OccurredAt.lt(to));
    }
    let query = audit_log::Entity::find().filter(condition);
    page_in_id_order(db, query, C::Id, |e| e.id, page).await
}
