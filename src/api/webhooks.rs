//! `/api/v1/webhooks`: a kommun's webhook subscriptions (admin and
//! integration), their delivery log and replay. Deliveries follow Standard
//! Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the
//! secret's key); see [`crate::service::webhooks`] for order, retries and
//! the outbox.

use crate::api::common::ApiQuery;
use crate::api::resource::webhooks_target;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{ApiJson, Input, Page, PageParams, double_option},
    resource::{self, Ctx, Patch},
};
use crate::service::checks::check_at_most;
use crate::{
    auth::Action,
    domain::webhook::DeliveryStatus,
    entity::{webhook, webhook_delivery},
    error::{ApiError, FieldError},
    service::webhooks::{self, WebhookChanges, WebhookSpec},
};

/// A webhook subscription. `secret` only in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad9a0-6c1e-7f3a-8b2d-4e5f60718293", "url": "https://planering.example.se/hooks/kommunrapport",
    "description": "Planeringssystemet", "event_types": ["report.approve", "budget_table"],
    "enabled": true, "failing_since": null, "disabled_reason": null,
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "version": 1, "created_at": "2026-12-03T09:00:00Z", "updated_at": "2026-12-03T09:00:00Z"
}))]
pub struct WebhookDto {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// `*`, resource types of the change feed (every action on them), or
    /// `type.action` (`report.approve`); the process events are
    /// `deadline.pass` (a deadline's date has passed, with the nämnder late
    /// and missing) and `obligation.create` (an åtgärdsplan became due),
    /// which carry the event in `data.detail`.
    pub event_types: Vec<String>,
    /// False once disabled, by a PATCH or after failing too long.
    pub enabled: bool,
    /// Since when every attempt has failed; null after a success.
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
    pub disabled_reason: Option<String>,
    /// The signing secret (`whsec_` + base64 key): in the answer to the
    /// creation only; keep it, it is never shown again.
    pub secret: Option<String>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn dto_of(m: webhook::Model, secret: Option<String>) -> Result<WebhookDto, ApiError> {
    Ok(WebhookDto {
        event_types: webhooks::event_types(&m)?,
        id: m.id,
        url: m.url,
        description: m.description,
        enabled: m.enabled,
        failing_since: m.failing_since,
        disabled_reason: m.disabled_reason,
        secret,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://planering.example.se/hooks/kommunrapport",
    "description": "Planeringssystemet",
    "event_types": ["report.approve", "budget_table"]
}))]
pub struct CreateWebhook {
    /// https; plain http only to localhost or 127.0.0.1.
    #[schema(max_length = 2000)]
    pub url: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// 1–100 event types: `*`, a resource type, `type.action`, or the
    /// process events `deadline.pass` and `obligation.create`.
    #[schema(min_items = 1, max_items = 100)]
    pub event_types: Vec<String>,
    /// Your own secret (`whsec_` + base64 of 24–64 bytes); left out, one
    /// is generated and shown in the answer.
    #[serde(default)]
    #[schema(max_length = 94, pattern = "^whsec_[A-Za-z0-9+/=]+$")]
    pub secret: Option<String>,
}

/// Changes to a subscription; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "event_types": ["*"]}))]
pub struct UpdateWebhook {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    #[schema(min_items = 1, max_items = 100)]
    pub event_types: Option<Vec<String>>,
    /// `true` enables a disabled webhook again (pending deliveries of the
    /// time it was disabled are not sent; replay them); `false` disables it.
    pub enabled: Option<bool>,
    /// A new secret (`whsec_` + base64 of 24–64 bytes).
    #[schema(max_length = 94, pattern = "^whsec_[A-Za-z0-9+/=]+$")]
    pub secret: Option<String>,
}

fn check_description(description: Option<&str>, errors: &mut Vec<FieldError>) {
    check_at_most("description", description, 2000, errors);
}

impl Input for CreateWebhook {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        webhooks::check_url(self.url.trim(), &mut errors);
        check_description(self.description.as_deref(), &mut errors);
        webhooks::check_event_types(&self.event_types, &mut errors);
        if let Some(secret) = &self.secret {
            webhooks::check_secret(secret, &mut errors);
        }
        errors
    }
}

impl Input for UpdateWebhook {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(url) = &self.url {
            webhooks::check_url(url.trim(), &mut errors);
        }
        check_description(
            self.description.as_ref().and_then(|d| d.as_deref()),
            &mut errors,
        );
        if let Some(types) = &self.event_types {
            webhooks::check_event_types(types, &mut errors);
        }
        if let Some(secret) = &self.secret {
            webhooks::check_secret(secret, &mut errors);
        }
        errors
    }
}

/// One delivery of an event to a webhook, as the log shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad9a1-0c1e-7f3a-8b2d-4e5f60718293", "webhook_id": "019ad9a0-6c1e-7f3a-8b2d-4e5f60718293",
    "seq": 1042, "event_type": "report.approve", "status": "delivered", "attempts": 2,
    "next_attempt_at": "2026-12-03T09:00:05Z", "last_attempt_at": "2026-12-03T09:00:05Z",
    "last_status_code": 204, "last_error": null, "delivered_at": "2026-12-03T09:00:05Z",
    "created_at": "2026-12-03T09:00:00Z",
    "payload": {"type": "report.approve", "timestamp": "2026-12-03T09:00:00Z", "data": {
        "kommun_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "seq": 1042, "resource_type": "report",
        "resource_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "action": "approve", "version": 3,
        "audit_id": "019ad9a0-ffff-7f3a-8b2d-4e5f60718293"}}
}))]
pub struct DeliveryDto {
    /// Sent as `webhook-id`: the same on every attempt of this delivery.
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The kommun's change number of the event (`GET /changes`): the order
    /// in which a webhook's deliveries are sent.
    pub seq: i64,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When it is (or was last) due.
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    pub last_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The HTTP status of the last answer; null when none came.
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The body sent (`type`, `timestamp`, `data`).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

fn delivery_dto(m: webhook_delivery::Model) -> DeliveryDto {
    DeliveryDto {
        payload: serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null),
        id: m.id,
        webhook_id: m.webhook_id,
        seq: m.seq,
        event_type: m.event_type,
        status: m.status,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_attempt_at: m.last_attempt_at,
        last_status_code: m.last_status_code,
        last_error: m.last_error,
        delivered_at: m.delivered_at,
        created_at: m.created_at,
    }
}

/// List the kommun's webhooks (admin, integration), in creation order.
#[utoipa::path(tag = "webhooks", params(PageParams),
    responses((status = 200, description = "One page of webhooks", body = Page<WebhookDto>)))]
#[get("/webhooks")]
pub async fn list_webhooks(cx: Ctx, page: ApiQuery<PageParams>) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(webhooks_target, &page)? else {
        return Ok(resource::empty_page::<WebhookDto>());
    };
    let (rows, next) = webhooks::list(cx.db(), kommun_id, &page).await?;
    let items = rows.into_iter().map(|m| dto_of(m, None));
    Ok(resource::page(items.collect::<Result<Vec<_>, _>>()?, next))
}

/// Subscribe a URL to events of the kommun (admin, integration). The answer
/// holds the signing secret, once.
#[utoipa::path(tag = "webhooks", request_body = CreateWebhook,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = WebhookDto, headers(("ETag" = String), ("Location" = String))),
        (status = 422, description = "Invalid URL (not https, or not a public address unless the deployment allows private ones), event type or secret", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/webhooks")]
pub async fn create_webhook(
    cx: Ctx,
    body: ApiJson<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    cx.authorized(Action::Create, webhooks_target)?;
    let b = body.0;
    webhooks::check_target(b.url.trim(), cx.state.settings.webhooks.allow_private)?;
    let spec = WebhookSpec {
        url: b.url.trim().to_string(),
        description: b.description.map(|d| d.trim().to_string()),
        event_types: b.event_types,
        secret: b.secret,
    };
    let (model, secret) = webhooks::create(cx.db(), &cx.actor()?, spec).await?;
    let dto = dto_of(model, Some(secret))?;
    Ok(cx.created(dto.version, dto.id, &dto))
}

crate::api::resource::row_item!(
    Webhooks,
    webhook,
    WebhookDto,
    webhooks_target,
    dto = |_, m| dto_of(m, None),
    delete
);

impl Patch<UpdateWebhook> for Webhooks {
    async fn patch(
        cx: &Ctx,
        current: webhook::Model,
        b: UpdateWebhook,
    ) -> Result<webhook::Model, ApiError> {
        if let Some(url) = &b.url {
            webhooks::check_target(url.trim(), cx.state.settings.webhooks.allow_private)?;
        }
        let changes = WebhookChanges {
            url: b.url.map(|u| u.trim().to_string()),
            description: b.description.map(|d| d.map(|d| d.trim().to_string())),
            event_types: b.event_types,
            enabled: b.enabled,
            secret: b.secret,
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    Webhooks, WebhookDto, "webhooks", "/webhooks/{id}", "Webhook id";
    get: /// Read a webhook (without its secret).
        get_webhook "The webhook";
    patch: /// Change, disable or enable a webhook (admin, integration). Needs `If-Match`.
        update_webhook(UpdateWebhook) "Changed", 422 "Invalid";
    delete: /// Delete a webhook and its delivery log (admin, integration). Needs `If-Match`.
        delete_webhook "Deleted";
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only deliveries with this status.
    pub status: Option<DeliveryStatus>,
    /// Items per page, 1–500 (default 50).
    #[param(value_type = Option<u64>, example = 50, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page; empty or absent: the first page.
    /// Only the cursors this service returned are valid (they are signed).
    #[param(example = "", pattern = r"^([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])?$")]
    pub cursor: Option<String>,
}

/// The delivery log of a webhook, oldest first (admin, integration).
#[utoipa::path(tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"), DeliveryParams),
    responses((status = 200, description = "One page of deliveries", body = Page<DeliveryDto>)))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    cx: Ctx,
    id: web::Path<Uuid>,
    query: ApiQuery<DeliveryParams>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Read, webhooks_target)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let (rows, next) = webhooks::deliveries(cx.db(), kommun_id, *id, query.status, &page).await?;
    Ok(resource::page(
        rows.into_iter().map(delivery_dto).collect(),
        next,
    ))
}

/// Send a delivery again (admin, integration): a new delivery of the same
/// body, with a new `webhook-id`, queued in the event's place.
#[utoipa::path(tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"),
        ("delivery_id" = Uuid, Path, description = "The delivery to send again")),
    responses(
        (status = 202, description = "Queued: the new delivery", body = DeliveryDto),
        (status = 409, description = "The webhook is disabled", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/replay")]
pub async fn replay_webhook_delivery(
    cx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    cx.authorized(Action::Create, webhooks_target)?;
    let (id, delivery_id) = path.into_inner();
    let copy = webhooks::replay(cx.db(), &cx.actor()?, id, delivery_id).await?;
    Ok(HttpResponse::Accepted().json(delivery_dto(copy)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks).service(create_webhook);
    item_services(cfg);
    cfg.service(list_webhook_deliveries)
        .service(replay_webhook_delivery);
}
