//! Query parameters hold no NUL: no text column of either database stores
//! U+0000 (PostgreSQL refuses it, and its error is neither contention nor
//! a fault of the service). A parameter holding one is the caller's input
//! error: 422 naming it, for every operation at once, as the document's
//! pattern on every string parameter says. Runs inside the guard, so a
//! caller who may not do the operation learns nothing about its input.

use crate::error::ServiceError;
use actix_web::{
    Error, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};

use crate::error::{ApiError, FieldError};
use crate::service::checks::NUL_MESSAGE;

/// The parameters of `query` whose name or value holds NUL, once each.
fn with_nul(query: &str) -> Vec<FieldError> {
    let mut named: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !name.contains('\0') && !value.contains('\0') {
            continue;
        }
        // A NUL in the name itself is shown as U+FFFD by the problem.
        if !named.iter().any(|n| *n == name) {
            named.push(name.into_owned());
        }
    }
    named
        .into_iter()
        .map(|name| FieldError::new(name, NUL_MESSAGE))
        .collect()
}

pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Fast path: a NUL arrives percent-encoded. Only the API's operations
    // read their query (the probes take none; the calendar feed's secret
    // is looked up, and an unknown one is 404 whatever it holds).
    let reads_query = req.path().starts_with("/api/") && req.path() != "/api/v1/calendar.ics";
    if !reads_query || !req.query_string().contains("%00") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let errors = with_nul(req.query_string());
    if errors.is_empty() {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let response = ApiError::Service(ServiceError::Validation(errors)).error_response();
    Ok(req.into_response(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_holding_nul_is_named_once() {
        let fields: Vec<String> = with_nul("q=a%00b&year=2024&namnd=%00&q=%00")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["q", "namnd"]);
        assert!(with_nul("q=abc&year=2024").is_empty());
        assert!(with_nul("q=%zz").is_empty());
    }
}
