//! The audit log: who changed what, when, before and after. Written in the
//! same transaction as the change, so a change without its record (or the
//! reverse) cannot exist. Nothing in the API updates or deletes it.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::{auth::Principal, entity::audit_log, error::ApiError};

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

fn to_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, ApiError> {
    value
        .map(|v| {
            serde_json::to_string(v).map_err(|e| ApiError::Unexpected(format!("audit json: {e}")))
        })
        .transpose()
}

/// Records one change.
pub async fn record<B: Serialize, A: Serialize>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    resource_type: &str,
    resource_id: Option<Uuid>,
    action: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), ApiError> {
    let row = audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun_id: Set(actor.kommun_id),
        occurred_at: Set(chrono::Utc::now()),
        principal: Set(actor.principal.clone()),
        role: Set(actor.role.clone()),
        resource_type: Set(resource_type.to_string()),
        resource_id: Set(resource_id),
        action: Set(action.to_string()),
        before_json: Set(to_json(before)?),
        after_json: Set(to_json(after)?),
        request_id: Set(actor.request_id.clone()),
    };
    audit_log::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
