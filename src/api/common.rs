//! Plumbing shared by every resource: the JSON body extractor that turns bad
//! input into problem+json, cursor pagination, and ETag / If-Match handling.

use crate::error::ServiceError;
use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    dev::Payload,
    error::PayloadError,
    http::{StatusCode, header},
    web::Bytes,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, FieldError};
use crate::service::checks::nul_fields;

/// A request body type: what it refuses (read-only and derived fields) and
/// how it validates itself after parsing.
pub trait Input: DeserializeOwned {
    /// Fields a client might send but may not set (ids, versions, derived
    /// figures); sending one gets a 422 that says so.
    const READ_ONLY: &'static [&'static str] = &["id", "version", "created_at", "updated_at"];

    /// Field errors beyond what the types already enforce.
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

/// The query string as `T`, as `web::Query` reads it, but a parameter that
/// does not parse names itself: 400 with `errors: [{field, message}]`
/// (`web::Query` says only "invalid digit found in string").
pub struct ApiQuery<T>(pub T);

impl<T> ApiQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses `query` (the text after `?`) into `T`, naming the parameter that
/// fails.
pub fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let message = clean_serde_message(&e.inner().to_string());
        let path = e.path().to_string();
        // A missing parameter fails the whole query, not a member: its
        // name is in the message.
        let field = match (path.as_str(), missing_field(&message)) {
            (".", Some(name)) => name.to_string(),
            (".", None) => String::new(),
            _ => path,
        };
        ApiError::BadQuery(FieldError::new(field, message))
    })
}

/// The values of the parameter `name` in `query`, in order, however often
/// it is given (percent-decoding that is not UTF-8 becomes U+FFFD).
pub fn query_values(query: &str, name: &str) -> Vec<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// `name` of serde's "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

impl<T: serde::de::DeserializeOwned> actix_web::FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// A JSON body of type `T`: 415 for another content type, 413 when too
/// large, 400 for malformed JSON, 422 with field errors otherwise.
pub struct ApiJson<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Parses and validates a JSON document into `T`.
pub fn parse_input<T: Input>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(not_json)?;
    if let Some(path) = duplicate_member(bytes) {
        return Err(ApiError::validation(
            path,
            "appears more than once in its object; send each member once",
        ));
    }
    let mut nul = Vec::new();
    nul_fields(&value, "", &mut nul);
    if !nul.is_empty() {
        return Err(ServiceError::Validation(nul).into());
    }
    if let serde_json::Value::Object(map) = &value {
        let errors: Vec<FieldError> = T::READ_ONLY
            .iter()
            .filter(|f| map.contains_key(**f))
            .map(|f| {
                FieldError::new(
                    *f,
                    "is read-only (set or computed by the service); leave it out",
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors).into());
        }
    } else {
        return Err(ApiError::validation("", "the body must be a JSON object"));
    }
    let input: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        ApiError::Service(ServiceError::Validation(vec![FieldError::new(
            field,
            clean_serde_message(&e.inner().to_string()),
        )]))
    })?;
    let errors = input.validate();
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(ServiceError::Validation(errors).into())
    }
}

/// The path of the first object member that appears twice in the JSON
/// `bytes` (`{"code":"A","code":"B"}` → `code`). A JSON parser keeps the
/// last one silently; a client that sends two meant one of them.
fn duplicate_member(bytes: &[u8]) -> Option<String> {
    use std::cell::RefCell;

    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

    struct Check<'a> {
        path: String,
        found: &'a RefCell<Option<String>>,
    }

    impl<'a> Check<'a> {
        fn child(&self, path: String) -> Check<'a> {
            Check {
                path,
                found: self.found,
            }
        }
    }

    impl<'de> DeserializeSeed<'de> for Check<'_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Check<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0;
            while seq
                .next_element_seed(self.child(format!("{}[{i}]", self.path)))?
                .is_some()
            {
                i += 1;
            }
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let path = if self.path.is_empty() {
                    key.clone()
                } else {
                    format!("{}.{key}", self.path)
                };
                if !seen.insert(key) {
                    *self.found.borrow_mut() = Some(path);
                    return Err(de::Error::custom("duplicate member"));
                }
                map.next_value_seed(self.child(path))?;
            }
            Ok(())
        }
    }

    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let _ = Check {
        path: String::new(),
        found: &found,
    }
    .deserialize(&mut deserializer);
    found.into_inner()
}

/// serde's messages end with " at line 1 column 7"; the field path already says where.
fn clean_serde_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

impl<T: Input + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => {
                    ApiError::PayloadTooLarge("the request body is too large".into())
                }
                _ if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::PayloadTooLarge("the request body is too large".into())
                }
                _ => ApiError::BadRequest("the request body could not be read".into()),
            })?;
            parse_input(&bytes).map(ApiJson)
        })
    }
}

/// `limit` and `cursor` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–500 (default 50).
    #[param(value_type = Option<u64>, example = 50, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page; empty or absent: the first page.
    /// Only the cursors this service returned are valid (they are signed).
    #[param(example = "", pattern = r"^([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])?$")]
    pub cursor: Option<String>,
}

pub use crate::service::crud::PageRequest;

impl PageParams {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        let limit = parse_limit(self.limit.as_deref())?;
        let after = match &self.cursor {
            None => None,
            Some(c) if c.is_empty() => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| {
                ApiError::validation("cursor", "is not a cursor returned by this list")
            })?),
        };
        Ok(PageRequest { limit, after })
    }
}

/// `limit` of a list: an integer 1–500, default 50; anything else is a 422
/// naming `limit` (read as text so `-1` and `abc` get the same answer as
/// `0`).
pub fn parse_limit(limit: Option<&str>) -> Result<u64, ApiError> {
    let Some(text) = limit else {
        return Ok(50);
    };
    match text.trim().parse::<u64>() {
        Ok(limit) if (1..=500).contains(&limit) => Ok(limit),
        _ => Err(ApiError::validation(
            "limit",
            "must be an integer between 1 and 500",
        )),
    }
}

/// The key cursors are signed with: set when the application is built
/// (from the token secret, so every instance of one deployment signs
/// alike); a random key until then (the `openapi` command never pages).
static CURSOR_KEY: std::sync::RwLock<Option<[u8; 32]>> = std::sync::RwLock::new(None);

/// Derives the cursor key from `secret` (the JWT signing secret, which all
/// instances share) and installs it. Domain-separated from token signing.
pub fn set_cursor_secret(secret: &[u8]) {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"kommunrapport cursor key v1\0");
    hasher.update(secret);
    let key: [u8; 32] = hasher.finalize().into();
    if let Ok(mut slot) = CURSOR_KEY.write() {
        *slot = Some(key);
    }
}

fn cursor_mac(id: &Uuid) -> [u8; 16] {
    use hmac::{Hmac, Mac};
    let key = CURSOR_KEY.read().ok().and_then(|k| *k).unwrap_or_else(|| {
        static FALLBACK: std::sync::LazyLock<[u8; 32]> = std::sync::LazyLock::new(|| {
            let mut key = [0u8; 32];
            key[..16].copy_from_slice(Uuid::now_v7().as_bytes());
            key[16..].copy_from_slice(Uuid::now_v7().as_bytes());
            key
        });
        *FALLBACK
    });
    let mut out = [0u8; 16];
    // HMAC takes a key of any length; this cannot fail.
    if let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&key) {
        mac.update(id.as_bytes());
        out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    }
    out
}

/// A cursor: the last id of the page and an HMAC-SHA256 of it (truncated
/// to 128 bits), so a client can only continue where a list stopped.
pub fn encode_cursor(id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(&cursor_mac(&id));
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(text: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    if bytes.len() != 32 {
        return None;
    }
    let id = Uuid::from_slice(&bytes[..16]).ok()?;
    constant_time_eq(&bytes[16..], &cursor_mac(&id)).then_some(id)
}

/// Equal without an early exit, so timing says nothing about a forgery.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

fn tag_matches(header_value: &str, version: i32) -> bool {
    header_value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag(version))
}

/// What a 428 says.
pub const IF_MATCH_MISSING: &str =
    "send If-Match with the ETag you read, so no one else's change is overwritten";

/// The version a write is conditioned on: 428 without `If-Match`, 412 when
/// it does not match the current version.
pub fn check_if_match(req: &HttpRequest, current_version: i32) -> Result<(), ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or_else(|| ApiError::PreconditionRequired(IF_MATCH_MISSING.into()))?
        .to_str()
        .map_err(|_| ApiError::BadRequest("If-Match is not valid text".into()))?;
    if tag_matches(value, current_version) {
        Ok(())
    } else {
        Err(ServiceError::PreconditionFailed(format!(
            "the resource has changed (now version {current_version}); read it again and retry"
        ))
        .into())
    }
}

/// A resource response with its ETag; `304 Not Modified` when the client's
/// `If-None-Match` already names this version.
pub fn versioned<T: Serialize>(
    req: &HttpRequest,
    status: StatusCode,
    version: i32,
    body: &T,
) -> HttpResponse {
    let tag = etag(version);
    let not_modified = status == StatusCode::OK
        && req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| tag_matches(v, version));
    if not_modified {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::CACHE_CONTROL, CACHE_REVALIDATE))
            .finish();
    }
    let mut response = HttpResponse::build(status);
    response.insert_header((header::ETAG, tag));
    if status == StatusCode::OK {
        response.insert_header((header::CACHE_CONTROL, CACHE_REVALIDATE));
    }
    response.json(body)
}

/// A 201 response with `Location`.
pub fn created<T: Serialize>(req: &HttpRequest, version: i32, id: Uuid, body: &T) -> HttpResponse {
    let mut response = versioned(req, StatusCode::CREATED, version, body);
    let location = format!("{}/{id}", req.path().trim_end_matches('/'));
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// For PATCH fields that can be cleared: absent → None, null → Some(None).
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The request id of the current request (accepted from `X-Request-Id` or
/// generated), put there by the request logging in `startup`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The audit actor of this request.
pub fn actor(
    req: &HttpRequest,
    principal: &crate::auth::Principal,
    kommun_id: Uuid,
) -> crate::service::audit::Actor {
    use actix_web::HttpMessage;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    crate::service::audit::Actor::new(principal, kommun_id, request_id)
}

/// A computed view with a strong ETag from its bytes: derived figures can
/// change without the resource's own version changing.
pub fn computed<T: Serialize>(req: &HttpRequest, body: &T) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| ServiceError::Unexpected(format!("serialise: {e}")))?;
    Ok(computed_bytes(req, bytes, "application/json"))
}

/// [`computed`] for a body already made, of any content type.
pub fn computed_bytes(req: &HttpRequest, bytes: Vec<u8>, content_type: &str) -> HttpResponse {
    let tag = strong_etag(&bytes);
    with_etag(req, tag, CACHE_REVALIDATE, |ok| {
        ok.content_type(content_type).body(bytes)
    })
}

/// `Cache-Control` of a read whose answer can change: a client may keep it
/// but asks again (with `If-None-Match`) before using it. `private`: the
/// answer is for the caller's token only.
pub const CACHE_REVALIDATE: &str = "private, no-cache";

/// A strong ETag for exactly these bytes: the first 128 bits of their
/// SHA-256, stable across builds and instances.
pub fn strong_etag(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for b in &digest[..16] {
        tag.push_str(&format!("{b:02x}"));
    }
    tag.push('"');
    tag
}

/// Whether `If-None-Match` names `tag` (the weak comparison RFC 9110 asks
/// for here: `W/"x"` matches `"x"`) or is `*`.
pub fn none_match(req: &HttpRequest, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let tag = bare(tag);
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || bare(t) == tag))
}

/// 304 when `If-None-Match` matches `tag`, otherwise 200 with the body
/// `ok` adds; both with the ETag and `cache_control`.
pub fn with_etag(
    req: &HttpRequest,
    tag: String,
    cache_control: &'static str,
    ok: impl FnOnce(&mut actix_web::HttpResponseBuilder) -> HttpResponse,
) -> HttpResponse {
    if none_match(req, &tag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish();
    }
    ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache_control)))
}

/// The version an optional `If-Match` names, for writes that check it
/// inside their transaction: None without the header or with `*` (any
/// current version, as [`check_if_match`] treats it), 400 for anything but
/// one ETag.
pub fn optional_if_match_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("If-Match is not valid text".into()))?
        .trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i32>()
        .map(Some)
        .map_err(|_| ApiError::BadRequest("If-Match must be * or an ETag such as \"2\"".into()))
}

/// `If-Match` when the client sent one (workflow steps accept it optionally).
pub fn check_optional_if_match(req: &HttpRequest, current_version: i32) -> Result<(), ApiError> {
    if req.headers().contains_key(header::IF_MATCH) {
        check_if_match(req, current_version)
    } else {
        Ok(())
    }
}

/// Path prefix of the endpoints that take files, with their own body limit.
pub const IMPORTS_PATH: &str = "/api/v1/imports/";

/// The body limit for a request path: `MAX_IMPORT_BYTES` for imports,
/// `MAX_BODY_BYTES` for everything else.
pub fn body_limit(path: &str, settings: &crate::config::Settings) -> usize {
    if path.starts_with(IMPORTS_PATH) {
        settings.max_import_bytes
    } else {
        settings.max_body_bytes
    }
}

/// Reads the body chunk by chunk, stopping with 413 as soon as it passes
/// `limit` (nothing beyond the limit is buffered).
pub async fn read_body_limited(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let payload = actix_web::web::Payload::from_request(req, payload)
        .await
        .map_err(|_| super::streamed_body::unreadable())?;
    super::streamed_body::read_whole(req, payload, limit).await
}

/// A body that does not parse as JSON: 400.
pub fn not_json(e: serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("the body is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[allow(dead_code)]
        name: String,
    }
    impl Input for Sample {}

    #[test]
    fn a_nul_character_is_a_field_error_naming_its_path() {
        let err = parse_input::<Sample>(br#"{"name": "ab\u0000cd"}"#).unwrap_err();
        match err {
            ApiError::Service(ServiceError::Validation(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].field, "name");
                assert!(errors[0].message.contains("NUL"));
            }
            other => panic!("{other:?}"),
        }
        let mut out = Vec::new();
        nul_fields(
            &serde_json::json!({"items": [{"a": "x"}, {"a": "\u{0}"}]}),
            "",
            &mut out,
        );
        assert_eq!(out[0].field, "items[1].a");
    }

    #[test]
    fn a_member_sent_twice_is_named() {
        assert_eq!(
            duplicate_member(br#"{"code":"A","code":"B"}"#).as_deref(),
            Some("code")
        );
        assert_eq!(
            duplicate_member(br#"{"values":[{"amount":1},{"amount":1,"amount":2}]}"#).as_deref(),
            Some("values[1].amount")
        );
        assert_eq!(duplicate_member(br#"{"a":{"b":1},"b":{"a":2.5}}"#), None);
        let err = parse_input::<Sample>(br#"{"name":"a","name":"b"}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Service(ServiceError::Validation(e)) if e[0].field == "name")
        );
    }

    #[test]
    fn cursor_round_trips() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        assert_eq!(decode_cursor("not a cursor"), None);
        // Any other bytes of the right shape are refused: the MAC must match.
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode(id.as_bytes())), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode([7u8; 32])), None);
    }

    #[test]
    fn read_only_fields_are_named() {
        let err = parse_input::<Sample>(br#"{"name":"x","id":"1"}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Service(ServiceError::Validation(ref e)) if e[0].field == "id")
        );
    }

    #[test]
    fn malformed_is_400_and_wrong_type_is_422() {
        assert!(matches!(
            parse_input::<Sample>(b"{"),
            Err(ApiError::BadRequest(_))
        ));
        let err = parse_input::<Sample>(br#"{"name": 3}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Service(ServiceError::Validation(ref e)) if e[0].field == "name")
        );
    }

    #[test]
    fn if_match_accepts_weak_and_star() {
        assert!(tag_matches("W/\"3\"", 3));
        assert!(tag_matches("\"2\", \"3\"", 3));
        assert!(tag_matches("*", 9));
        assert!(!tag_matches("\"2\"", 3));
    }

    #[test]
    fn limits_are_checked() {
        let params = PageParams {
            limit: Some("0".into()),
            cursor: None,
        };
        assert!(params.parse().is_err());
        let params = PageParams {
            limit: Some("501".into()),
            cursor: None,
        };
        assert!(params.parse().is_err());
    }
}
