//! The audit log: who changed what, when, before and after. Written in the
//! same transaction as the change, so a change without its record (or the
//! reverse) cannot exist. Nothing in the API updates or deletes it.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::{auth::Principal, entity::audit_log, service::error::ServiceError};

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

fn to_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, ServiceError> {
    value
        .map(|v| {
            serde_json::to_string(v)
                .map_err(|e| ServiceError::Unexpected(format!("audit json: {e}")))
        })
        .transpose()
}

/// The `version` member of a recorded document, when it is an integer.
fn version_of(json: Option<&str>) -> Option<i32> {
    #[derive(serde::Deserialize)]
    struct Versioned {
        version: Option<i32>,
    }
    json.and_then(|j| serde_json::from_str::<Versioned>(j).ok())
        .and_then(|v| v.version)
}

/// Records one change, and appends it to the change feed
/// ([`super::changes`]) in the same transaction.
pub async fn record<B: Serialize, A: Serialize>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    resource_type: &str,
    resource_id: Option<Uuid>,
    action: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), ServiceError> {
    let id = Uuid::now_v7();
    let occurred_at = chrono::Utc::now();
    let after_json = to_json(after)?;
    let version = version_of(after_json.as_deref());
    let row = audit_log::ActiveModel {
        id: Set(id),
        kommun_id: Set(actor.kommun_id),
        occurred_at: Set(occurred_at),
        principal: Set(actor.principal.clone()),
        role: Set(actor.role.clone()),
        resource_type: Set(resource_type.to_string()),
        resource_id: Set(resource_id),
        action: Set(action.to_string()),
        before_json: Set(to_json(before)?),
        after_json: Set(after_json),
        request_id: Set(actor.request_id.clone()),
    };
    audit_log::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    super::changes::append(
        db,
        super::changes::Change {
            kommun_id: actor.kommun_id,
            audit_id: id,
            resource_type,
            resource_id,
            action,
            version,
            occurred_at,
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::version_of;

    #[test]
    fn version_is_read_from_the_document_when_it_is_an_integer() {
        assert_eq!(version_of(Some(r#"{"id":"x","version":3}"#)), Some(3));
        assert_eq!(version_of(Some(r#"{"id":"x"}"#)), None);
        assert_eq!(version_of(Some(r#"{"version":"3"}"#)), None);
        assert_eq!(version_of(Some(r#"[1,2]"#)), None);
        assert_eq!(version_of(None), None);
    }
}
