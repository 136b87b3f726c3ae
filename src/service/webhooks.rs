//! Webhooks: a kommun's subscriptions, and the worker that delivers the
//! outbox the write path fills ([`super::outbox`]).
//!
//! **Order.** A subscription's deliveries go out one at a time in the order
//! of the kommun's change numbers (the feed's commit order): only the
//! oldest pending delivery of a subscription (its head) is sent, and a
//! failing head holds back the ones behind it until it succeeds.
//!
//! **Several instances.** A worker sends a head only after claiming it with
//! one conditional `UPDATE … SET claimed_until = …` that succeeds for one
//! worker only (on SQLite and PostgreSQL alike); a claim runs out after
//! twice the attempt timeout, so a crashed worker's delivery is retried by
//! another. Delivery is at least once: a receiver deduplicates by
//! `webhook-id`.
//!
//! **Failures.** A non-2xx answer, a timeout or a refused connection counts
//! as a failed attempt: the head is tried again after an exponential
//! backoff ([`crate::domain::webhook::backoff`]). A subscription that has
//! failed without a success for the configured time is disabled (an
//! audited write by the `webhook-delivery` actor) and its pending
//! deliveries abandoned; enabling it again (PATCH) starts afresh.
//!
//! Delivery bookkeeping (a delivery's status and attempts, a subscription's
//! `failing_since`) is not a change of the kommun's data and is not
//! audited; creating, changing, deleting, disabling a subscription and
//! replaying a delivery are.

use super::write::{Columns, RowChanges};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    NotSet, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    audit::Actor,
    crud::{self, PageRequest},
    error::{FieldError, ServiceError},
    outbox::{WAKE, wake},
    write::{Write, audited},
};
use crate::{
    config::WebhookSettings,
    domain::webhook::{self as rules, DeliveryStatus},
    entity::{webhook, webhook_delivery},
};

super::write::tenant_entity!(webhook, "webhook", "webhook", before_delete = before_delete);

pub use super::outbox::event_types;

// ---------------------------------------------------------------------------
// Subscriptions.

/// Field errors of a subscription's URL: https, or http to this machine
/// only (a local relay, tests); no credentials or fragment.
pub fn check_url(text: &str, errors: &mut Vec<FieldError>) {
    let mut bad = |m: &str| errors.push(FieldError::new("url", m));
    if text.len() > 2000 {
        return bad("must be at most 2000 characters");
    }
    let Ok(url) = reqwest::Url::parse(text) else {
        return bad("must be an absolute https URL");
    };
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost" || literal_ip(host).is_some_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if !host.is_empty() => {}
        "http" if loopback => {}
        "http" => bad("must be https (http only to localhost or 127.0.0.1)"),
        _ => bad("must be an absolute https URL"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        bad("must not carry a user or password; the signature authenticates the sender");
    }
    if url.fragment().is_some() {
        bad("must not have a fragment");
    }
}

/// A subscription's URL whose host is a loopback or private address (or
/// `localhost`) is refused unless the deployment allows private targets
/// (`WEBHOOK_ALLOW_PRIVATE`). A name is checked again at each delivery,
/// against the addresses it resolves to then (`PublicOnly`).
pub fn check_target(text: &str, allow_private: bool) -> Result<(), ServiceError> {
    match refusal(text, allow_private) {
        None => Ok(()),
        Some(why) => Err(ServiceError::Validation(vec![FieldError::new(
            "url",
            format!("must be a public address: {why}"),
        )])),
    }
}

/// Why a webhook may not be sent to `url`, judged by its host alone.
fn refusal(url: &str, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    let url = reqwest::Url::parse(url).ok()?;
    let not_public = |host: &dyn std::fmt::Display| {
        format!("{host} is not a public address (WEBHOOK_ALLOW_PRIVATE allows it)")
    };
    let host = url.host_str()?;
    if let Some(ip) = literal_ip(host) {
        return (!rules::is_public(ip)).then(|| not_public(&ip));
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    (name == "localhost" || name.ends_with(".localhost")).then(|| not_public(&name))
}

/// The address a URL's host names literally (`[…]` around IPv6).
fn literal_ip(host: &str) -> Option<std::net::IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Resolves a webhook's host to its public addresses only: a name that
/// resolves to none (a loopback or private address, perhaps changed since
/// the subscription was checked) is not connected to.
struct PublicOnly;

/// The error of a name that has no public address.
#[derive(Debug)]
struct NotPublic {
    host: String,
    address: Option<std::net::IpAddr>,
}

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.address {
            Some(ip) => write!(
                f,
                "refused: {} resolves to {ip}, not a public address (WEBHOOK_ALLOW_PRIVATE allows it)",
                self.host
            ),
            None => write!(f, "refused: {} has no address", self.host),
        }
    }
}

impl std::error::Error for NotPublic {}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| rules::is_public(a.ip()))
                .collect();
            if public.is_empty() {
                let address = all.first().map(|a| a.ip());
                return Err(Box::new(NotPublic { host, address }) as _);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The delivery client: no redirects (a redirect could lead anywhere),
/// the attempt's timeout, and public addresses only unless allowed.
fn delivery_client(settings: &WebhookSettings) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .redirect(reqwest::redirect::Policy::none());
    if settings.allow_private {
        builder.build()
    } else {
        builder
            .dns_resolver(std::sync::Arc::new(PublicOnly))
            .build()
    }
}

/// Field errors of a list of event types.
pub fn check_event_types(types: &[String], errors: &mut Vec<FieldError>) {
    if types.is_empty() || types.len() > rules::MAX_EVENT_TYPES {
        errors.push(FieldError::new(
            "event_types",
            format!(
                "give 1–{} event types (\"*\" is every event)",
                rules::MAX_EVENT_TYPES
            ),
        ));
    }
    for (i, t) in types.iter().enumerate() {
        if let Err(e) = rules::check_event_type(t) {
            errors.push(FieldError::new(format!("event_types[{i}]"), e));
        }
    }
}

/// Field errors of a secret given by the caller.
pub fn check_secret(secret: &str, errors: &mut Vec<FieldError>) {
    if let Err(e) = rules::parse_secret(secret) {
        errors.push(FieldError::new("secret", e));
    }
}

/// 32 random bytes for a secret (of a webhook, a calendar feed).
pub(super) fn random_key() -> Result<[u8; 32], ServiceError> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|e| ServiceError::Unexpected(format!("no randomness for a secret: {e}")))?;
    Ok(key)
}

/// A new secret: 32 random bytes.
fn new_secret() -> Result<String, ServiceError> {
    Ok(rules::format_secret(&random_key()?))
}

fn types_json(types: &[String]) -> Result<String, ServiceError> {
    serde_json::to_string(types).map_err(|e| ServiceError::Unexpected(format!("types: {e}")))
}

/// A new subscription (already checked).
pub struct WebhookSpec {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    /// None: generate one.
    pub secret: Option<String>,
}

/// Creates a subscription; returns it with its secret (shown this once).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    spec: WebhookSpec,
) -> Result<(webhook::Model, String), ServiceError> {
    let secret = match spec.secret {
        Some(s) => s,
        None => new_secret()?,
    };
    let types = types_json(&spec.event_types)?;
    let model = audited(db, actor, async |w| {
        w.insert_new(webhook::ActiveModel {
            url: Set(spec.url),
            description: Set(spec.description),
            event_types: Set(types),
            secret: Set(secret.clone()),
            enabled: Set(true),
            failing_since: Set(None),
            disabled_reason: Set(None),
            ..Default::default()
        })
        .await
    })
    .await?;
    Ok((model, secret))
}

/// Changes to a subscription; `None` leaves a field as it is.
#[derive(Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<String>>,
    /// `true` enables a disabled subscription again (its failure clock
    /// restarts); `false` disables it and abandons its pending deliveries.
    pub enabled: Option<bool>,
    pub secret: Option<String>,
}

impl RowChanges for WebhookChanges {
    type Entity = webhook::Entity;

    async fn columns(self, w: &Write<'_>, current: &webhook::Model) -> Columns<Self> {
        let mut active = webhook::ActiveModel {
            url: self.url.map(Set).unwrap_or(NotSet),
            description: self.description.map(Set).unwrap_or(NotSet),
            event_types: match &self.event_types {
                Some(t) => Set(types_json(t)?),
                None => NotSet,
            },
            secret: self.secret.map(Set).unwrap_or(NotSet),
            ..Default::default()
        };
        match self.enabled {
            Some(true) => {
                active.enabled = Set(true);
                active.failing_since = Set(None);
                active.disabled_reason = Set(None);
            }
            Some(false) if current.enabled => {
                active.enabled = Set(false);
                active.disabled_reason = Set(Some(format!("disabled by {}", w.actor().principal)));
                abandon_pending(w.db(), current.id).await?;
            }
            _ => {}
        }
        Ok(active)
    }
}

/// A subscription goes with its delivery log.
async fn before_delete(w: &Write<'_>, current: &webhook::Model) -> Result<(), ServiceError> {
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::KommunId.eq(w.kommun_id()))
        .filter(webhook_delivery::Column::WebhookId.eq(current.id))
        .exec(w.db())
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    page: &PageRequest,
) -> Result<(Vec<webhook::Model>, Option<Uuid>), ServiceError> {
    crud::list::<webhook::Entity>(db, kommun_id, Condition::all(), page).await
}

/// One page of a subscription's deliveries, oldest first, optionally of one
/// status.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliveries(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    webhook_id: Uuid,
    status: Option<DeliveryStatus>,
    page: &PageRequest,
) -> Result<(Vec<webhook_delivery::Model>, Option<Uuid>), ServiceError> {
    crud::get::<webhook::Entity>(db, kommun_id, webhook_id).await?;
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::KommunId.eq(kommun_id))
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    if let Some(status) = status {
        query = query.filter(webhook_delivery::Column::Status.eq(status));
    }
    let id = webhook_delivery::Column::Id;
    crud::page_in_id_order(db, query, id, |r| r.id, page).await
}

/// Sends a delivery again: a new delivery (with its own `webhook-id`) of
/// the same event and body, queued in the event's place in the order.
/// 409 when the subscription is disabled.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn replay(
    db: &DatabaseConnection,
    actor: &Actor,
    webhook_id: Uuid,
    delivery_id: Uuid,
) -> Result<webhook_delivery::Model, ServiceError> {
    let out = audited(db, actor, async |w| {
        let subscription = crud::get::<webhook::Entity>(w.db(), w.kommun_id(), webhook_id).await?;
        if !subscription.enabled {
            return Err(ServiceError::Conflict(
                "the webhook is disabled; enable it (PATCH enabled: true) before replaying".into(),
            ));
        }
        let original = webhook_delivery::Entity::find_by_id(delivery_id)
            .filter(webhook_delivery::Column::KommunId.eq(w.kommun_id()))
            .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
            .one(w.db())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no delivery {delivery_id}")))?;
        let now = crate::service::clock::now();
        let copy = webhook_delivery::Entity::insert(super::outbox::pending(
            (original.kommun_id, webhook_id),
            original.seq,
            original.event_type.clone(),
            original.payload.clone(),
            now,
        ))
        .exec_with_returning(w.db())
        .await?;
        w.record(
            "webhook_delivery",
            Some(copy.id),
            "replay",
            Some(&original),
            Some(&copy),
        )?;
        Ok(copy)
    })
    .await?;
    wake();
    Ok(out)
}

async fn abandon_pending(db: &impl ConnectionTrait, webhook_id: Uuid) -> Result<(), ServiceError> {
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Abandoned),
        )
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Delivery.

/// Delivers the outbox until the process ends: every pending head that is
/// due, then waits for a commit or the poll interval.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_worker(db: DatabaseConnection, settings: WebhookSettings) {
    let client = match delivery_client(&settings) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery cannot start");
            return;
        }
    };
    let mut woken = WAKE.subscribe();
    let poll = Duration::from_millis(settings.poll_ms);
    loop {
        if let Err(e) = deliver_due(&db, &client, &settings).await {
            tracing::warn!(error = %e, "webhook delivery round failed");
        }
        tokio::select! {
            _ = woken.changed() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// One round: for each subscription with pending deliveries, sends its
/// heads in order while they succeed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliver_due(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &WebhookSettings,
) -> Result<(), ServiceError> {
    let heads: Vec<(Uuid, i64)> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::WebhookId)
        .column_as(webhook_delivery::Column::Seq.min(), "seq")
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .group_by(webhook_delivery::Column::WebhookId)
        .into_tuple()
        .all(db)
        .await?;
    let rounds = heads
        .into_iter()
        .map(|(webhook_id, _)| deliver_subscription(db, client, settings, webhook_id));
    for result in futures_util::future::join_all(rounds).await {
        if let Err(e) = result {
            tracing::warn!(error = %e, "webhook delivery failed");
        }
    }
    Ok(())
}

/// The oldest pending delivery of a subscription.
async fn head(
    db: &impl ConnectionTrait,
    webhook_id: Uuid,
) -> Result<Option<webhook_delivery::Model>, ServiceError> {
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .order_by_asc(webhook_delivery::Column::Seq)
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(1)
        .one(db)
        .await?)
}

/// Claims `delivery` for this worker: true for exactly one of the workers
/// that try at once, on either database.
async fn claim(
    db: &impl ConnectionTrait,
    delivery: Uuid,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let result = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::ClaimedUntil, Expr::value(until))
        .filter(webhook_delivery::Column::Id.eq(delivery))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(webhook_delivery::Column::ClaimedUntil.is_null())
                .add(webhook_delivery::Column::ClaimedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sends a subscription's heads while they are due and succeed.
async fn deliver_subscription(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    webhook_id: Uuid,
) -> Result<(), ServiceError> {
    let Some(subscription) = webhook::Entity::find_by_id(webhook_id).one(db).await? else {
        return Ok(());
    };
    if !subscription.enabled {
        return abandon_pending(db, webhook_id).await;
    }
    let key = rules::parse_secret(&subscription.secret)
        .map_err(|e| ServiceError::Unexpected(format!("stored webhook secret: {e}")))?;
    let claim_for = chrono::Duration::milliseconds((settings.timeout_ms * 2) as i64);
    let mut failing_since = subscription.failing_since;
    while let Some(delivery) = head(db, webhook_id).await? {
        let now = crate::service::clock::now();
        if !claim(db, delivery.id, now, now + claim_for).await? {
            // Not due yet, or another worker has it.
            return Ok(());
        }
        let outcome = match refusal(&subscription.url, settings.allow_private) {
            // A URL stored before the deployment refused private targets.
            Some(why) => Err((None, format!("refused: {why}"))),
            None => send(client, &subscription.url, &key, &delivery).await,
        };
        let done = crate::service::clock::now();
        let attempts = delivery.attempts.saturating_add(1);
        let mut row = webhook_delivery::ActiveModel {
            id: Set(delivery.id),
            attempts: Set(attempts),
            last_attempt_at: Set(Some(done)),
            claimed_until: Set(None),
            ..Default::default()
        };
        match outcome {
            Ok(status) => {
                row.status = Set(DeliveryStatus::Delivered);
                row.delivered_at = Set(Some(done));
                row.last_status_code = Set(Some(i32::from(status)));
                row.last_error = Set(None);
                webhook_delivery::Entity::update(row).exec(db).await?;
                if failing_since.take().is_some() {
                    set_failing_since(db, webhook_id, None).await?;
                }
            }
            Err((status, error)) => {
                let wait = rules::backoff(
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                    settings.retry_base_ms,
                    settings.retry_max_ms,
                );
                row.last_status_code = Set(status.map(i32::from));
                row.last_error = Set(Some(error));
                row.next_attempt_at =
                    Set(done
                        + chrono::Duration::milliseconds(i64::try_from(wait).unwrap_or(i64::MAX)));
                webhook_delivery::Entity::update(row).exec(db).await?;
                let since = match failing_since {
                    Some(since) => since,
                    None => {
                        set_failing_since(db, webhook_id, Some(done)).await?;
                        done
                    }
                };
                let limit = chrono::Duration::seconds(
                    i64::try_from(settings.disable_after_secs).unwrap_or(i64::MAX),
                );
                if done - since >= limit {
                    disable(db, &subscription, since).await?;
                }
                return Ok(());
            }
        }
    }
    Ok(())
}

async fn set_failing_since(
    db: &impl ConnectionTrait,
    webhook_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<(), ServiceError> {
    webhook::Entity::update_many()
        .col_expr(webhook::Column::FailingSince, Expr::value(since))
        .filter(webhook::Column::Id.eq(webhook_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Disables a subscription that has failed since `since`, as an audited
/// write of the delivery worker, and abandons its pending deliveries.
async fn disable(
    db: &DatabaseConnection,
    subscription: &webhook::Model,
    since: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let actor = Actor {
        kommun_id: subscription.kommun_id,
        principal: "webhook-delivery".into(),
        role: "system".into(),
        request_id: None,
    };
    let reason = format!(
        "disabled after failing every delivery since {}",
        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    audited(db, &actor, async |w| {
        let current = crud::get::<webhook::Entity>(w.db(), w.kommun_id(), subscription.id).await?;
        if !current.enabled {
            return Ok(());
        }
        abandon_pending(w.db(), current.id).await?;
        let changes = webhook::ActiveModel {
            enabled: Set(false),
            disabled_reason: Set(Some(reason.clone())),
            updated_at: Set(crate::service::clock::now()),
            ..Default::default()
        };
        w.update::<webhook::Entity, _>(&current, current.version, changes)
            .await?;
        Ok(())
    })
    .await?;
    tracing::warn!(webhook_id = %subscription.id, "{reason}");
    Ok(())
}

/// One attempt: the HTTP status of a 2xx answer, or the status (if any)
/// and what went wrong.
/// The first cause of `error` that is a `T`.
fn cause<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    key: &[u8],
    delivery: &webhook_delivery::Model,
) -> Result<u16, (Option<u16>, String)> {
    let id = delivery.id.to_string();
    let timestamp = crate::service::clock::now().timestamp();
    let signature = rules::sign(key, &id, timestamp, &delivery.payload);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|e| {
            if let Some(refused) = cause::<NotPublic>(&e) {
                return (None, refused.to_string());
            }
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "request failed"
            };
            (None, what.to_string())
        })?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("the receiver answered {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_are_not_public_are_refused_unless_allowed() {
        for url in [
            "https://10.0.0.1/x",
            "https://[::1]:8443/x",
            "http://LOCALHOST:8080/",
            "https://api.localhost./x",
            "https://169.254.169.254/latest/meta-data/",
        ] {
            assert!(refusal(url, false).is_some(), "{url}");
            assert_eq!(refusal(url, true), None, "{url}");
        }
        assert_eq!(refusal("https://example.org/hook", false), None);
        assert_eq!(refusal("https://8.8.8.8/hook", false), None);
    }

    /// The delivery client connects to public addresses only: a name that
    /// resolves to loopback is refused before any connection, and reached
    /// when private targets are allowed.
    #[tokio::test]
    async fn a_name_of_a_loopback_address_is_not_connected_to() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://localhost:{}/",
            listener.local_addr().unwrap().port()
        );
        let answer = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
        });
        let post = |settings: WebhookSettings| {
            let url = url.clone();
            async move { delivery_client(&settings).unwrap().post(&url).send().await }
        };
        let error = post(WebhookSettings::default()).await.unwrap_err();
        let refused = cause::<NotPublic>(&error).expect("refused by the resolver");
        assert!(
            refused
                .to_string()
                .starts_with("refused: localhost resolves to 127.0.0.1"),
            "{refused}"
        );
        assert!(!answer.is_finished(), "nothing connected");
        let allowed = WebhookSettings {
            allow_private: true,
            ..Default::default()
        };
        let response = post(allowed).await.unwrap();
        assert_eq!(response.status(), 204);
        answer.await.unwrap();
    }
}
