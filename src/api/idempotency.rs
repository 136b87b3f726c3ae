//! `Idempotency-Key` for POST and PUT: the first successful response to a
//! key is stored per caller (kommun and token subject) and replayed for a
//! retry with the same key and request; the same key with a different
//! request is refused. Without the header nothing changes.
//!
//! The key is reserved before the request runs (see [`reserve`]), so
//! concurrent first attempts, on this instance or another one sharing the
//! database, run once: the others wait for the first's answer and replay
//! it, or get 409 if it takes longer than [`WAIT_FOR_FIRST`].

use crate::error::ServiceError;
use actix_web::{
    Error, HttpMessage, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody, to_bytes},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web::{self},
};
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{entity::idempotency_key, error::ApiError, state::AppState};

pub const HEADER: &str = "Idempotency-Key";

fn problem(req: ServiceRequest, err: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(err.error_response())
}

/// SHA-256 of the request's method, path, query and body, each
/// length-prefixed so no two requests share an input. Stable across
/// releases and instances (std's `DefaultHasher` promises neither).
fn request_hash(req: &ServiceRequest, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        req.query_string().as_bytes(),
        body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The caller the key belongs to, from a valid bearer token; None lets the
/// request through to be refused by the handler.
async fn scope_of(req: &ServiceRequest, state: &AppState) -> Option<String> {
    if let Some(p) = req.extensions().get::<crate::auth::Principal>() {
        // Checked by the guard, which runs first.
        return Some(format!("{}:{}", p.kommun_code, p.subject));
    }
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let claims = state.tokens.validate(token.trim()).await.ok()?;
    let scope = format!("{}:{}", claims.kommun, claims.sub);
    // The handler's Principal takes these rather than validating again.
    req.extensions_mut().insert(claims);
    Some(scope)
}

pub async fn layer(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_string));
    let applies = matches!(*req.method(), Method::POST | Method::PUT);
    let (Some(key), true) = (key, applies) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => k,
        _ => {
            return Ok(problem(
                req,
                ApiError::BadRequest(format!("{HEADER} must be 1–255 visible ASCII characters")),
            ));
        }
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Some(scope) = scope_of(&req, &state).await else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let limit = super::common::body_limit(req.path(), &state.settings);
    let (http_req, payload) = req.parts_mut();
    let body = match super::common::read_body_limited(http_req, payload, limit).await {
        Ok(b) => b,
        Err(err) => return Ok(problem(req, err)),
    };
    let hash = request_hash(&req, &body);
    req.set_payload(Payload::from(body));

    let reserved = match reserve(&state, &scope, &key, &hash).await {
        Ok(Reservation::Owned(id)) => id,
        Ok(Reservation::Replay(row)) => return Ok(req.into_response(replay(&row))),
        Err(err) => return Ok(problem(req, err)),
    };

    let response = match next.call(req).await {
        Ok(r) => r,
        Err(e) => {
            release(&state, reserved).await;
            return Err(e);
        }
    };
    if !response.status().is_success() {
        // A refused or failed request is not stored: after fixing it, the
        // same key may be used again.
        release(&state, reserved).await;
        return Ok(response.map_into_boxed_body());
    }
    let (req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let bytes = match to_bytes(body).await {
        Ok(b) => b,
        Err(_) => {
            release(&state, reserved).await;
            return Ok(ServiceResponse::new(
                req,
                ApiError::Service(ServiceError::Unexpected("response body".into()))
                    .error_response(),
            ));
        }
    };
    let header_text = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let done = idempotency_key::ActiveModel {
        id: Unchanged(reserved),
        status: Set(i32::from(res.status().as_u16())),
        content_type: Set(header_text(header::CONTENT_TYPE)),
        location: Set(header_text(header::LOCATION)),
        etag: Set(header_text(header::ETAG)),
        body: Set(String::from_utf8_lossy(&bytes).into_owned()),
        ..Default::default()
    };
    // The write is committed; a failure to store its answer only costs the
    // key its replay (the pending row then expires), never the response.
    if let Err(e) = idempotency_key::Entity::update(done).exec(&state.db).await {
        tracing::warn!(error = %e, "idempotent response not stored");
    }
    let res = res.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, res))
}

/// `status` of a reserved key whose first request is still running.
const PENDING: i32 = 0;

/// How long a reservation holds without an answer before another request
/// may take the key over: longer than any request runs (a large import
/// takes minutes), so only a crashed or killed attempt is ever taken over.
pub const PENDING_EXPIRES_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// How long a duplicate waits for the first request with its key before
/// answering 409.
const WAIT_FOR_FIRST: std::time::Duration = std::time::Duration::from_secs(10);

enum Reservation {
    /// This request holds the key (the row with this id) and runs.
    Owned(Uuid),
    /// The key's first request finished with this answer.
    Replay(idempotency_key::Model),
}

/// Reserves `key` for this request before it runs, in a statement of its
/// own (committed at once, so every other instance sees it): a pending row
/// that the unique index on (scope, key) lets only one request insert.
/// A concurrent duplicate waits (polling) for the first and replays its
/// answer; when the first fails its row is removed and the duplicate runs
/// instead; when the first is still running after [`WAIT_FOR_FIRST`], 409.
/// A pending row older than [`PENDING_EXPIRES_AFTER`] (its request crashed)
/// is taken over.
async fn reserve(
    state: &AppState,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Reservation, ApiError> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let id = Uuid::now_v7();
        let row = idempotency_key::ActiveModel {
            id: Set(id),
            scope: Set(scope.to_string()),
            key: Set(key.to_string()),
            request_hash: Set(hash.to_string()),
            status: Set(PENDING),
            content_type: Set(None),
            location: Set(None),
            etag: Set(None),
            body: Set(String::new()),
            created_at: Set(crate::service::clock::now()),
        };
        let inserted = idempotency_key::Entity::insert(row)
            .exec_without_returning(&state.db)
            .await;
        let insert_error = match inserted {
            Ok(_) => return Ok(Reservation::Owned(id)),
            Err(e) => e,
        };
        let stored = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Scope.eq(scope))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(&state.db)
            .await?;
        let Some(row) = stored else {
            if insert_error.sql_err().is_some() {
                // Its first request failed and let the key go: try again.
                continue;
            }
            return Err(ApiError::from(insert_error));
        };
        if row.request_hash != hash {
            return Err(ApiError::validation(
                HEADER,
                "was already used for a different request; use a new key for a new request",
            ));
        }
        if row.status != PENDING {
            return Ok(Reservation::Replay(row));
        }
        if crate::service::clock::now() - row.created_at > PENDING_EXPIRES_AFTER {
            // The first attempt never answered: take the key over, if no
            // other request did so first.
            let taken = idempotency_key::Entity::update_many()
                .col_expr(idempotency_key::Column::Id, Expr::value(id))
                .col_expr(
                    idempotency_key::Column::CreatedAt,
                    Expr::value(crate::service::clock::now()),
                )
                .filter(idempotency_key::Column::Id.eq(row.id))
                .filter(idempotency_key::Column::Status.eq(PENDING))
                .exec(&state.db)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(Reservation::Owned(id));
            }
            continue;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ServiceError::Conflict(format!(
                "a request with this {HEADER} is still being processed; retry it later to get its answer"
            )).into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Lets the key go after its request failed or was refused.
async fn release(state: &AppState, id: Uuid) {
    if let Err(e) = idempotency_key::Entity::delete_by_id(id)
        .exec(&state.db)
        .await
    {
        tracing::warn!(error = %e, "idempotency reservation not released; it expires");
    }
}

fn replay(row: &idempotency_key::Model) -> HttpResponse {
    let status = u16::try_from(row.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header(("Idempotent-Replayed", "true"));
    for (name, value) in [
        (header::CONTENT_TYPE, &row.content_type),
        (header::LOCATION, &row.location),
        (header::ETAG, &row.etag),
    ] {
        if let Some(v) = value {
            response.insert_header((name, v.as_str()));
        }
    }
    response.body(row.body.clone())
}

#[cfg(test)]
mod fingerprint_tests {
    use actix_web::test::TestRequest;

    use super::request_hash;

    #[test]
    fn the_fingerprint_is_sha256_of_the_request_and_stable() {
        let req = TestRequest::post()
            .uri("/api/v1/namnder?x=1")
            .to_srv_request();
        let hash = request_hash(&req, br#"{"code":"VON"}"#);
        assert_eq!(hash.len(), 64);
        // The same bytes in another part make another request.
        assert_ne!(hash, request_hash(&req, br#"{"code":"VON" }"#));
        let moved = TestRequest::post()
            .uri("/api/v1/namnder?x=1%7B%22code%22")
            .to_srv_request();
        assert_ne!(request_hash(&moved, b":\"VON\"}"), hash);
        // Fixed across releases: a stored key keeps matching its retry.
        assert_eq!(hash, request_hash(&req, br#"{"code":"VON"}"#));
    }
}
