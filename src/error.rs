//! One error type for the whole API, rendered as RFC 9457
//! `application/problem+json`. Internal causes are logged, never sent.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::error::cause_chain;
pub use crate::service::error::{FieldError, ServiceError, UniqueKey, unique_violation};

/// One invalid field of a request.
#[derive(ToSchema)]
#[schema(as = FieldError, example = json!({"field": "code", "message": "must be 1–20 characters: A–Z, 0–9, / and -"}))]
#[allow(dead_code)]
pub struct FieldErrorSchema {
    /// Path of the field in the request (`items[3].amount`), or the query parameter.
    field: String,
    message: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Invalid request",
    "status": 422,
    "detail": "1 field is invalid",
    "errors": [{"field": "code", "message": "must be 1–20 characters: A–Z, 0–9, / and -"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The fields at fault; empty when the problem is not about a field.
    /// Always present, as every field of an answer is (the document
    /// requires it).
    #[schema(value_type = Vec<FieldErrorSchema>)]
    pub errors: Vec<FieldError>,
}

/// What a request can fail with: the service's failures
/// ([`ServiceError`], wrapped as they are) and what only HTTP knows
/// (malformed requests, authentication, content negotiation, limits).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// A query parameter that does not parse as its type (400), named in
    /// `errors` as a validation error names its field.
    #[error("malformed query parameter: {}: {}", .0.field, .0.message)]
    BadQuery(FieldError),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The path exists, the method does not: the methods it takes, as the
    /// `Allow` header lists them.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    /// `Accept` allows none of the forms the operation answers in.
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    #[error("payload too large")]
    PayloadTooLarge(String),
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("If-Match required")]
    PreconditionRequired(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::validation(field, message).into()
    }

    pub fn not_found(what: &str) -> Self {
        ServiceError::not_found(what).into()
    }

    /// The service's failure this is, if it is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            ApiError::Service(err) => Some(err),
            _ => None,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) | ApiError::BadQuery(_) => ("bad-request", "Malformed request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::NotAcceptable(_) => ("not-acceptable", "Not acceptable"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::PreconditionRequired(_) => ("if-match-required", "Precondition required"),
            ApiError::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            ApiError::Service(err) => match err {
                ServiceError::Forbidden(_) => ("forbidden", "Not allowed"),
                ServiceError::NotFound(_) => ("not-found", "Not found"),
                ServiceError::Conflict(_) | ServiceError::Taken(_) => ("conflict", "Conflict"),
                ServiceError::PreconditionFailed(_) => ("stale-version", "Precondition failed"),
                ServiceError::Validation(_) => ("validation", "Invalid request"),
                ServiceError::Unavailable(_) => ("unavailable", "Service unavailable"),
                ServiceError::Contended(_) => ("write-conflict", "Concurrent write conflict"),
                ServiceError::BadGateway(_) => ("bad-gateway", "Upstream server failed"),
                ServiceError::GatewayTimeout(_) => ("gateway-timeout", "Upstream server timed out"),
                ServiceError::Db(_) | ServiceError::Unexpected(_) => ("internal", "Internal error"),
            },
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::NotAcceptable(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::PreconditionRequired(d) => d.clone(),
            ApiError::BadQuery(error) => {
                format!("invalid query parameter {}: {}", error.field, error.message)
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("rate limit exceeded; retry after {retry_after_secs} s")
            }
            ApiError::MethodNotAllowed { allow } => {
                format!("this path takes {allow}")
            }
            ApiError::Service(err) => match err {
                ServiceError::Forbidden(d)
                | ServiceError::NotFound(d)
                | ServiceError::Conflict(d)
                | ServiceError::PreconditionFailed(d)
                | ServiceError::BadGateway(d)
                | ServiceError::GatewayTimeout(d) => d.clone(),
                ServiceError::Taken(error) => format!("{}: {}", error.field, error.message),
                ServiceError::Validation(errors) => match errors.len() {
                    1 => format!("{}: {}", errors[0].field, errors[0].message),
                    n => format!("{n} fields are invalid"),
                },
                ServiceError::Unavailable(_) => "the database is unavailable; retry later".into(),
                ServiceError::Contended(_) => {
                    "a concurrent write held the data this request needed; nothing was changed; retry"
                        .into()
                }
                ServiceError::Db(_) | ServiceError::Unexpected(_) => {
                    "an unexpected error occurred; it has been logged".into()
                }
            },
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let errors: Vec<FieldError> = match self {
            ApiError::Service(ServiceError::Validation(errors)) => errors.clone(),
            ApiError::Service(ServiceError::Taken(error)) | ApiError::BadQuery(error) => {
                vec![error.clone()]
            }
            _ => Vec::new(),
        };
        Problem {
            type_: format!("/problems/{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: without_nul(self.detail()),
            errors: errors
                .into_iter()
                .map(|e| FieldError::new(without_nul(e.field), without_nul(e.message)))
                .collect(),
        }
    }
}

/// Text of the caller's own input quoted back (a member name, a value)
/// may hold NUL, which no answer carries (the document's strings exclude
/// it): U+FFFD stands in.
pub fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError::from(ServiceError::from(err))
    }
}

impl From<crate::auth::Denied> for ApiError {
    fn from(denied: crate::auth::Denied) -> Self {
        ServiceError::from(denied).into()
    }
}

/// A bearer token that is missing, malformed or not valid: one 401 for
/// every reason (the reason goes to the debug log).
impl From<crate::auth::token::Refused> for ApiError {
    fn from(_: crate::auth::token::Refused) -> Self {
        ApiError::Unauthorized(crate::auth::token::REFUSED.into())
    }
}

/// An api error met inside a service call (a document the api builds for
/// a write): the service's own failure where it is one.
pub fn into_service(err: ApiError) -> ServiceError {
    match err {
        ApiError::Service(err) => err,
        other => ServiceError::Unexpected(other.to_string()),
    }
}

impl ResponseError for ApiError {
    /// Every way a request fails has its HTTP status here, and only here.
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::BadQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Service(err) => match err {
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Conflict(_) | ServiceError::Taken(_) => StatusCode::CONFLICT,
                ServiceError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
                ServiceError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::Unavailable(_) | ServiceError::Contended(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                ServiceError::BadGateway(_) => StatusCode::BAD_GATEWAY,
                ServiceError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
                ServiceError::Db(_) | ServiceError::Unexpected(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self.service() {
            Some(ServiceError::Db(err)) => {
                tracing::error!(error = %cause_chain(err), "request failed");
            }
            Some(ServiceError::Unexpected(_) | ServiceError::Unavailable(_)) => {
                tracing::error!(error = %self, "request failed");
            }
            Some(ServiceError::BadGateway(_) | ServiceError::GatewayTimeout(_)) => {
                tracing::warn!(error = %self, "upstream request failed");
            }
            Some(ServiceError::Contended(_)) => {
                tracing::warn!(error = %self, "write lost to a concurrent one")
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Service(ServiceError::Unavailable(_)) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Service(ServiceError::Contended(_)) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            _ => {}
        }
        let body = serde_json::to_string(&self.problem()).unwrap_or_else(|_| {
            r#"{"type":"/problems/internal","title":"Internal error","status":500,"detail":"error","errors":[]}"#
                .into()
        });
        response.body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status() {
        let cases: Vec<(ApiError, u16)> = vec![
            (ApiError::BadRequest("x".into()), 400),
            (ApiError::Unauthorized("x".into()), 401),
            (ApiError::Service(ServiceError::Forbidden("x".into())), 403),
            (ApiError::Service(ServiceError::NotFound("x".into())), 404),
            (ApiError::Service(ServiceError::Conflict("x".into())), 409),
            (
                ApiError::Service(ServiceError::Taken(FieldError::new("code", "taken"))),
                409,
            ),
            (
                ApiError::MethodNotAllowed {
                    allow: "GET".into(),
                },
                405,
            ),
            (
                ApiError::Service(ServiceError::PreconditionFailed("x".into())),
                412,
            ),
            (ApiError::PayloadTooLarge("x".into()), 413),
            (ApiError::UnsupportedMediaType("x".into()), 415),
            (ApiError::validation("f", "m"), 422),
            (ApiError::PreconditionRequired("x".into()), 428),
            (
                ApiError::TooManyRequests {
                    retry_after_secs: 3,
                },
                429,
            ),
            (
                ApiError::Service(ServiceError::Unavailable("x".into())),
                503,
            ),
            (ApiError::Service(ServiceError::Contended("x".into())), 503),
            (ApiError::Service(ServiceError::BadGateway("x".into())), 502),
            (
                ApiError::Service(ServiceError::GatewayTimeout("x".into())),
                504,
            ),
            (
                ApiError::Service(ServiceError::Db(DbErr::Custom("x".into()))),
                500,
            ),
            (ApiError::Service(ServiceError::Unexpected("x".into())), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
            assert_eq!(err.problem().status, status);
        }
    }

    #[test]
    fn internal_causes_are_not_sent() {
        let err = ApiError::Service(ServiceError::Db(DbErr::Custom(
            "secret table detail".into(),
        )));
        assert!(!err.problem().detail.contains("secret"));
    }

    #[test]
    fn a_taken_key_is_a_conflict_naming_its_field() {
        let problem = ApiError::Service(ServiceError::Taken(FieldError::new(
            "code",
            "already has this code",
        )))
        .problem();
        assert_eq!(problem.status, 409);
        assert_eq!(problem.type_, "/problems/conflict");
        assert_eq!(problem.detail, "code: already has this code");
        assert_eq!(
            problem.errors,
            vec![FieldError::new("code", "already has this code")]
        );
    }

    #[test]
    fn unauthorized_carries_www_authenticate() {
        let response = ApiError::Unauthorized("no token".into()).error_response();
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer"
        );
    }
}
