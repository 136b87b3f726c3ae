//! The webhook outbox, filled by the write path.
//!
//! [`enqueue`] runs inside [`super::write::audited`], after the change feed
//! has numbered the write's changes and before the commit: one
//! `webhook_delivery` row per change and subscription that wants it. So a
//! rolled-back write leaves no delivery, and a committed one always has
//! its deliveries. After the commit the write wakes the delivery workers
//! ([`WAKE`], [`super::webhooks`]), which is why a delivery usually leaves
//! within milliseconds rather than at the next poll.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use super::{changes::Change, error::ServiceError};
use crate::{
    domain::webhook::{self as rules, DeliveryStatus},
    entity::{webhook, webhook_delivery},
};

/// Bumped after every commit that wrote a delivery; the workers of this
/// process wait on it between polls. One per process rather than per
/// application: the write path knows only its connection, and a worker
/// woken for another database's commit merely looks once more.
pub static WAKE: LazyLock<tokio::sync::watch::Sender<u64>> =
    LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// Wakes the delivery workers.
pub fn wake() {
    WAKE.send_modify(|n| *n = n.wrapping_add(1));
}

/// The body of a delivery (Standard Webhooks: `type`, `timestamp`, `data`).
#[derive(Debug, Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: DateTime<Utc>,
    data: EventData<'a>,
}

#[derive(Debug, Serialize)]
struct EventData<'a> {
    kommun_id: Uuid,
    /// The change number in `GET /changes`.
    seq: i64,
    resource_type: &'a str,
    resource_id: Option<Uuid>,
    action: &'a str,
    version: Option<i32>,
    audit_id: Uuid,
    /// The event itself, for process events (`deadline.pass`,
    /// `obligation.create`), which have no resource to fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a serde_json::Value>,
}

/// The kommun's enabled subscriptions with their parsed event types.
async fn enabled(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<Vec<(webhook::Model, Vec<String>)>, ServiceError> {
    let rows = webhook::Entity::find()
        .filter(webhook::Column::KommunId.eq(kommun_id))
        .filter(webhook::Column::Enabled.eq(true))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|w| {
            let types = event_types(&w)?;
            Ok((w, types))
        })
        .collect()
}

/// The stored event types of a subscription.
pub fn event_types(model: &webhook::Model) -> Result<Vec<String>, ServiceError> {
    serde_json::from_str(&model.event_types)
        .map_err(|e| ServiceError::Unexpected(format!("stored event types: {e}")))
}

/// Writes the deliveries of `changes` (numbered from `first_seq`, each
/// with its detail, if any) for every enabled subscription of the kommun
/// that wants them. Returns whether it wrote any. Called by the write path
/// only, inside its transaction.
pub(super) async fn enqueue(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    changes: &[Change<'_>],
    details: &[Option<serde_json::Value>],
    first_seq: i64,
) -> Result<bool, ServiceError> {
    let subscriptions = enabled(db, kommun_id).await?;
    if subscriptions.is_empty() {
        return Ok(false);
    }
    let now = crate::service::clock::now();
    let mut rows = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let seq = first_seq + i as i64;
        let event_type = rules::event_type(change.resource_type, change.action);
        let payload = serde_json::to_string(&Payload {
            event_type: &event_type,
            timestamp: change.occurred_at,
            data: EventData {
                kommun_id,
                seq,
                resource_type: change.resource_type,
                resource_id: change.resource_id,
                action: change.action,
                version: change.version,
                audit_id: change.audit_id,
                detail: details.get(i).and_then(Option::as_ref),
            },
        })
        .map_err(|e| ServiceError::Unexpected(format!("webhook payload: {e}")))?;
        for (subscription, types) in &subscriptions {
            if !rules::subscribes(types, change.resource_type, change.action) {
                continue;
            }
            rows.push(pending(
                (kommun_id, subscription.id),
                seq,
                event_type.clone(),
                payload.clone(),
                now,
            ));
        }
    }
    let wrote = !rows.is_empty();
    for chunk in rows.chunks(500) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(wrote)
}

/// A new delivery of change `seq` to subscription `webhook_id` of the
/// kommun, due `now`, not tried yet.
pub fn pending(
    (kommun_id, webhook_id): (Uuid, Uuid),
    seq: i64,
    event_type: String,
    payload: String,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun_id: Set(kommun_id),
        webhook_id: Set(webhook_id),
        seq: Set(seq),
        event_type: Set(event_type),
        payload: Set(payload),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_attempt_at: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}
