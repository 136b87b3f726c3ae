//! `Idempotency-Key` for POST and PUT: the first successful response to a
//! key is stored per caller (kommun and token subject) and replayed for a
//! retry with the same key and request; the same key with a different
//! request is refused. Without the header nothing changes.

use actix_web::{
    Error, HttpMessage, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody, to_bytes},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web::{self},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
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

    let stored = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Scope.eq(scope.as_str()))
        .filter(idempotency_key::Column::Key.eq(key.as_str()))
        .one(&state.db)
        .await;
    match stored {
        Err(e) => return Ok(problem(req, ApiError::from(e))),
        Ok(Some(row)) if row.request_hash == hash => return Ok(req.into_response(replay(&row))),
        Ok(Some(_)) => {
            return Ok(problem(
                req,
                ApiError::validation(
                    HEADER,
                    "was already used for a different request; use a new key for a new request",
                ),
            ));
        }
        Ok(None) => {}
    }

    let response = next.call(req).await?;
    if !response.status().is_success() {
        return Ok(response.map_into_boxed_body());
    }
    let (req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let bytes = match to_bytes(body).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(ServiceResponse::new(
                req,
                ApiError::Unexpected("response body".into()).error_response(),
            ));
        }
    };
    let header_text = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let row = idempotency_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        scope: Set(scope),
        key: Set(key),
        request_hash: Set(hash),
        status: Set(i32::from(res.status().as_u16())),
        content_type: Set(header_text(header::CONTENT_TYPE)),
        location: Set(header_text(header::LOCATION)),
        etag: Set(header_text(header::ETAG)),
        body: Set(String::from_utf8_lossy(&bytes).into_owned()),
        created_at: Set(chrono::Utc::now()),
    };
    // Two first attempts racing: the later insert fails on the unique key
    // and its own (equivalent) response is returned.
    if let Err(e) = idempotency_key::Entity::insert(row)
        .exec_without_returning(&state.db)
        .await
    {
        tracing::debug!(error = %e, "idempotency key not stored");
    }
    let res = res.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, res))
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
