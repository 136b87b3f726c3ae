//! The audit log: who changed what, when, before and after. Written by
//! [`super::write::audited`] in the same transaction as the change, so a
//! change without its record (or the reverse) cannot exist. Nothing in the
//! API updates or deletes it.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

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
