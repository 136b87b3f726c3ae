//! The authenticated caller, extracted from the `Authorization: Bearer` header.

use crate::error::ServiceError;
use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};

use crate::{
    auth::{Claims, Principal, token::Refused},
    error::ApiError,
    state::AppState,
};

/// The bearer token of the request. A missing or malformed header gets the
/// same 401 as a bad token (the `WWW-Authenticate: Bearer` header names the
/// scheme).
fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let text = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or(Refused)?;
    let (scheme, token) = text.split_once(' ').ok_or(Refused)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Refused.into());
    }
    Ok(token.trim().to_string())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ServiceError::Unexpected("application state missing".into()))?;
            // Already checked by the guard before the request's input was read.
            if let Some(principal) = req.extensions().get::<Principal>().cloned() {
                return Ok(principal);
            }
            // Claims already validated by the idempotency layer, or the token.
            let validated = req.extensions().get::<Claims>().cloned();
            let claims = match validated {
                Some(claims) => claims,
                None => state.tokens.validate(&bearer_token(&req)?).await?,
            };
            state.check_rate(&format!("{}:{}", claims.kommun, claims.sub))?;
            let kommun_id = state.kommun_id(&claims.kommun).await?;
            Ok(Principal {
                subject: claims.sub,
                role: claims.role,
                kommun_code: claims.kommun,
                kommun_id,
                namnder: claims.namnder,
            })
        })
    }
}
