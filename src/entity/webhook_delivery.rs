use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::webhook::DeliveryStatus;

/// One event for one subscription: the outbox row and its delivery log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub webhook_id: Uuid,
    /// The kommun's change number of the event: the order of delivery.
    pub seq: i64,
    pub event_type: String,
    /// The body sent, exactly.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    /// Claimed by a worker until then.
    pub claimed_until: Option<ChronoDateTimeUtc>,
    pub last_attempt_at: Option<ChronoDateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
}

super::no_relations!();
