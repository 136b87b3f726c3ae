//! The guard every request passes before its handler: the method must be
//! one the path takes (405 with `Allow` otherwise), and the caller must be
//! authenticated and of a role that may do the operation on some target of
//! its kind ([`crate::auth::may_attempt`]) before any body, query or path
//! id is read. A caller who may not do an operation learns nothing about
//! its input: not its rules, not whether an id exists. The handler then
//! authorises the actual target (a nämnd, a report in its state).
//!
//! One table names every operation with what it needs; a test checks that
//! it names exactly the operations of the OpenAPI document.

use actix_web::{
    Error, FromRequest, HttpMessage, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
};

use std::{collections::HashSet, sync::OnceLock};

use crate::{
    auth::{Action, Kind, Principal, may_attempt},
    error::ApiError,
};

/// What an operation needs before its input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// No token (health; the calendar feed, opened by its own secret).
    Anyone,
    /// A principal whose role may do the action on some target of the kind.
    May(Action, Kind),
}

/// Every operation: method, path pattern, what it needs.
#[rustfmt::skip]
pub const OPERATIONS: &[(Method, &str, Needs)] = &[
    (Method::GET, "/health/live", Needs::Anyone),
    (Method::GET, "/health/ready", Needs::Anyone),
    (Method::GET, "/api/v1/kommuner", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/kommuner", Needs::May(Action::Create, Kind::Kommun)),
    (Method::GET, "/api/v1/kommuner/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PATCH, "/api/v1/kommuner/{id}", Needs::May(Action::Update, Kind::Kommun)),
    (Method::GET, "/api/v1/namnder", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/namnder", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/namnder/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PATCH, "/api/v1/namnder/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/namnder/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/periods", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/periods", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/periods/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::DELETE, "/api/v1/periods/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::POST, "/api/v1/periods/{id}/close", Needs::May(Action::Update, Kind::Structure)),
    (Method::POST, "/api/v1/periods/{id}/reopen", Needs::May(Action::Update, Kind::Structure)),
    (Method::GET, "/api/v1/reports", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/reports", Needs::May(Action::Create, Kind::Report)),
    (Method::GET, "/api/v1/reports/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::DELETE, "/api/v1/reports/{id}", Needs::May(Action::Delete, Kind::Report)),
    (Method::GET, "/api/v1/reports/{id}/action-plans", Needs::May(Action::Read, Kind::Plan)),
    (Method::GET, "/api/v1/reports/{id}/versions", Needs::May(Action::Read, Kind::Plan)),
    (Method::GET, "/api/v1/reports/{id}/versions/{number}", Needs::May(Action::Read, Kind::Plan)),
    (Method::GET, "/api/v1/reports/{id}/diff", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/reports/{id}/action-plans", Needs::May(Action::Create, Kind::Report)),
    (Method::PATCH, "/api/v1/reports/{id}/action-plans/{plan_id}", Needs::May(Action::Update, Kind::Report)),
    (Method::DELETE, "/api/v1/reports/{id}/action-plans/{plan_id}", Needs::May(Action::Delete, Kind::Report)),
    (Method::POST, "/api/v1/reports/{id}/submit", Needs::May(Action::Submit, Kind::Report)),
    (Method::POST, "/api/v1/reports/{id}/approve", Needs::May(Action::Approve, Kind::Report)),
    (Method::POST, "/api/v1/reports/{id}/return", Needs::May(Action::Return, Kind::Report)),
    (Method::POST, "/api/v1/reports/{id}/reopen", Needs::May(Action::Reopen, Kind::Report)),
    (Method::GET, "/api/v1/reports/{id}/sections", Needs::May(Action::Read, Kind::Plan)),
    (Method::PUT, "/api/v1/reports/{id}/sections/{key}", Needs::May(Action::Update, Kind::Report)),
    (Method::GET, "/api/v1/reports/{id}/assessments", Needs::May(Action::Read, Kind::Plan)),
    (Method::PUT, "/api/v1/reports/{id}/assessments/{goal_id}", Needs::May(Action::Update, Kind::Report)),
    (Method::GET, "/api/v1/reports/{id}/assignment-statuses", Needs::May(Action::Read, Kind::Plan)),
    (Method::PUT, "/api/v1/reports/{id}/assignment-statuses/{assignment_id}", Needs::May(Action::Update, Kind::Report)),
    (Method::GET, "/api/v1/reports/{id}/{kind}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PUT, "/api/v1/reports/{id}/{kind}", Needs::May(Action::Update, Kind::Report)),
    (Method::GET, "/api/v1/budget-lines", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/budget-lines", Needs::May(Action::Create, Kind::NamndFigures)),
    (Method::GET, "/api/v1/budget-lines/{id}", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::PATCH, "/api/v1/budget-lines/{id}", Needs::May(Action::Update, Kind::NamndFigures)),
    (Method::DELETE, "/api/v1/budget-lines/{id}", Needs::May(Action::Delete, Kind::NamndFigures)),
    (Method::GET, "/api/v1/budget-lines/{id}/values", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::PUT, "/api/v1/budget-lines/{id}/values", Needs::May(Action::Update, Kind::NamndFigures)),
    (Method::GET, "/api/v1/volume-measures", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::POST, "/api/v1/volume-measures", Needs::May(Action::Create, Kind::NamndFigures)),
    (Method::GET, "/api/v1/volume-measures/{id}", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::PATCH, "/api/v1/volume-measures/{id}", Needs::May(Action::Update, Kind::NamndFigures)),
    (Method::DELETE, "/api/v1/volume-measures/{id}", Needs::May(Action::Delete, Kind::NamndFigures)),
    (Method::GET, "/api/v1/volume-measures/{id}/values", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::PUT, "/api/v1/volume-measures/{id}/values", Needs::May(Action::Update, Kind::NamndFigures)),
    (Method::GET, "/api/v1/volume-measures/{id}/figures", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::GET, "/api/v1/key-figures", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::POST, "/api/v1/key-figures", Needs::May(Action::Create, Kind::NamndFigures)),
    (Method::GET, "/api/v1/key-figures/table", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::GET, "/api/v1/key-figures/{id}", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::PATCH, "/api/v1/key-figures/{id}", Needs::May(Action::Update, Kind::NamndFigures)),
    (Method::DELETE, "/api/v1/key-figures/{id}", Needs::May(Action::Delete, Kind::NamndFigures)),
    (Method::GET, "/api/v1/goal-areas", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/goal-areas", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/goal-areas/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PATCH, "/api/v1/goal-areas/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/goal-areas/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/goals", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/goals", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/goals/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PATCH, "/api/v1/goals/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/goals/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/indicators", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/indicators", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/indicators/table", Needs::May(Action::Read, Kind::Plan)),
    (Method::GET, "/api/v1/indicators/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PATCH, "/api/v1/indicators/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/indicators/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::PUT, "/api/v1/indicators/{id}/overrides/{year}", Needs::May(Action::Update, Kind::Structure)),
    (Method::PUT, "/api/v1/indicators/{id}/riktvarden", Needs::May(Action::Update, Kind::Structure)),
    (Method::PUT, "/api/v1/indicators/{id}/values", Needs::May(Action::Update, Kind::IndicatorValues)),
    (Method::GET, "/api/v1/assignments", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/assignments", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/assignments/{id}", Needs::May(Action::Read, Kind::Plan)),
    (Method::PATCH, "/api/v1/assignments/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/assignments/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/kommun/{kind}", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/kommun/submissions", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/kommun/prognossakerhet", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/kommun/goal-matrix", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/kommun/indicators", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/kommun/assignments", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/audit", Needs::May(Action::Read, Kind::AuditLog)),
    (Method::GET, "/api/v1/changes", Needs::May(Action::Read, Kind::ChangeFeed)),
    (Method::POST, "/api/v1/imports/kolada", Needs::May(Action::Update, Kind::IndicatorValues)),
    (Method::POST, "/api/v1/imports/kolada/fetch", Needs::May(Action::Update, Kind::IndicatorValues)),
    (Method::GET, "/api/v1/exports/kolada", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/imports/flat", Needs::May(Action::Update, Kind::NamndFigures)),
    (Method::GET, "/api/v1/exports/flat", Needs::May(Action::Read, Kind::NamndFigures)),
    (Method::POST, "/api/v1/imports/sie", Needs::May(Action::Create, Kind::FigureImport)),
    (Method::GET, "/api/v1/dimension-mappings", Needs::May(Action::Read, Kind::DimensionMappings)),
    (Method::POST, "/api/v1/dimension-mappings", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/dimension-mappings/{id}", Needs::May(Action::Read, Kind::DimensionMappings)),
    (Method::PATCH, "/api/v1/dimension-mappings/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/dimension-mappings/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/deadlines", Needs::May(Action::Read, Kind::Structure)),
    (Method::POST, "/api/v1/deadlines", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/deadlines/{id}", Needs::May(Action::Read, Kind::Structure)),
    (Method::PATCH, "/api/v1/deadlines/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/deadlines/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/obligation-rules", Needs::May(Action::Read, Kind::Structure)),
    (Method::POST, "/api/v1/obligation-rules", Needs::May(Action::Create, Kind::Structure)),
    (Method::GET, "/api/v1/obligation-rules/{id}", Needs::May(Action::Read, Kind::Structure)),
    (Method::PATCH, "/api/v1/obligation-rules/{id}", Needs::May(Action::Update, Kind::Structure)),
    (Method::DELETE, "/api/v1/obligation-rules/{id}", Needs::May(Action::Delete, Kind::Structure)),
    (Method::GET, "/api/v1/webhooks", Needs::May(Action::Read, Kind::Webhooks)),
    (Method::POST, "/api/v1/webhooks", Needs::May(Action::Create, Kind::Webhooks)),
    (Method::GET, "/api/v1/webhooks/{id}", Needs::May(Action::Read, Kind::Webhooks)),
    (Method::PATCH, "/api/v1/webhooks/{id}", Needs::May(Action::Update, Kind::Webhooks)),
    (Method::DELETE, "/api/v1/webhooks/{id}", Needs::May(Action::Delete, Kind::Webhooks)),
    (Method::GET, "/api/v1/webhooks/{id}/deliveries", Needs::May(Action::Read, Kind::Webhooks)),
    (Method::POST, "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay", Needs::May(Action::Create, Kind::Webhooks)),
    (Method::GET, "/api/v1/kommun/obligations", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/reports/{id}/obligations", Needs::May(Action::Read, Kind::Report)),
    (Method::GET, "/api/v1/imports/kolada/sync", Needs::May(Action::Read, Kind::IndicatorValues)),
    (Method::POST, "/api/v1/imports/kolada/sync", Needs::May(Action::Update, Kind::IndicatorValues)),
    (Method::PATCH, "/api/v1/imports/kolada/sync", Needs::May(Action::Update, Kind::Plan)),
    (Method::GET, "/api/v1/indicators/{id}/values/history", Needs::May(Action::Read, Kind::Plan)),
    (Method::POST, "/api/v1/indicators/from-kolada", Needs::May(Action::Create, Kind::Plan)),
    (Method::GET, "/api/v1/reports/{id}/document", Needs::May(Action::Read, Kind::Report)),
    (Method::GET, "/api/v1/kommun/document", Needs::May(Action::Read, Kind::Consolidated)),
    (Method::GET, "/api/v1/calendar-feeds", Needs::May(Action::Read, Kind::CalendarFeeds)),
    (Method::POST, "/api/v1/calendar-feeds", Needs::May(Action::Create, Kind::CalendarFeeds)),
    (Method::GET, "/api/v1/calendar-feeds/{id}", Needs::May(Action::Read, Kind::CalendarFeeds)),
    (Method::DELETE, "/api/v1/calendar-feeds/{id}", Needs::May(Action::Delete, Kind::CalendarFeeds)),
    // The one operation without a bearer token: a calendar client sends
    // the feed's secret in the query, which the handler checks.
    (Method::GET, "/api/v1/calendar.ics", Needs::Anyone),
];

fn pattern_matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') && !s.is_empty() => {}
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

/// The operation a request is for: among the patterns its path matches,
/// the most literal ones (`/indicators/table` rather than
/// `/indicators/{id}`), with its method. `Err(allow)` when that path
/// exists without this method; `Ok(None)` for a path the table does not
/// know (documentation, unknown paths: their own handlers answer).
pub fn operation_of(method: &Method, path: &str) -> Result<Option<Needs>, String> {
    matched_operation(method, path).map(|found| found.map(|(_, needs)| needs))
}

/// [`operation_of`] with the pattern that matched.
fn matched_operation(method: &Method, path: &str) -> Result<Option<(&'static str, Needs)>, String> {
    let wildcards = |pattern: &str| pattern.matches('{').count();
    let matching: Vec<&'static (Method, &'static str, Needs)> = OPERATIONS
        .iter()
        .filter(|(_, pattern, _)| pattern_matches(pattern, path))
        .collect();
    let Some(fewest) = matching.iter().map(|(_, p, _)| wildcards(p)).min() else {
        return Ok(None);
    };
    let literal: Vec<&'static (Method, &'static str, Needs)> = matching
        .into_iter()
        .filter(|(_, p, _)| wildcards(p) == fewest)
        .collect();
    if let Some((_, pattern, needs)) = literal.iter().find(|(m, _, _)| m == method) {
        return Ok(Some((pattern, *needs)));
    }
    let mut allow: Vec<&str> = Vec::new();
    for (m, _, _) in &literal {
        if !allow.contains(&m.as_str()) {
            allow.push(m.as_str());
        }
    }
    Err(allow.join(", "))
}

/// The operations whose document requires `If-Match` ("METHOD /pattern"),
/// read from the finished document once ([`learn_preconditions`]).
static IF_MATCH_REQUIRED: OnceLock<HashSet<String>> = OnceLock::new();

/// Notes which operations the document says need `If-Match`, so the guard
/// can tell a request that lacks it what it lacks rather than the state of
/// the resource (a locked report's 409 came first before).
pub fn learn_preconditions(doc: &serde_json::Value) {
    IF_MATCH_REQUIRED.get_or_init(|| {
        let mut required = HashSet::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let needs_if_match = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| {
                        p["in"] == "header"
                            && p["name"]
                                .as_str()
                                .is_some_and(|n| n.eq_ignore_ascii_case("If-Match"))
                            && p["required"] == true
                    });
                if needs_if_match {
                    required.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        required
    });
}

fn lacks_required_if_match(req: &ServiceRequest, pattern: &str) -> bool {
    let key = format!("{} {pattern}", req.method());
    IF_MATCH_REQUIRED
        .get()
        .is_some_and(|required| required.contains(&key))
        && !req.headers().contains_key(header::IF_MATCH)
}

pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (pattern, needs) = match matched_operation(req.method(), req.path()) {
        Ok(Some((pattern, needs))) => (Some(pattern), Some(needs)),
        Ok(None) => (None, None),
        Err(allow) => {
            let err = ApiError::MethodNotAllowed { allow };
            return Ok(req.into_response(err.error_response()));
        }
    };
    if let Some(Needs::May(action, kind)) = needs {
        let principal = match Principal::from_request(req.request(), &mut Payload::None).await {
            Ok(p) => p,
            Err(err) => return Ok(req.into_response(err.error_response())),
        };
        if let Err(err) = may_attempt(&principal, action, kind) {
            return Ok(req.into_response(ApiError::from(err).error_response()));
        }
        // The handler's Principal extractor takes this one (the token is
        // checked and the request counted against the rate limit once).
        req.extensions_mut().insert(principal);
    }
    // A write that lacks its required If-Match is answered 428 by its
    // handler, after the target is authorised (403/404 first). The
    // target's state is checked with the authorisation, so a locked report
    // answers 409 before the handler reaches If-Match: such a request is
    // told what it lacks, not the state (nothing is written either way).
    let lacks_if_match = pattern.is_some_and(|pattern| lacks_required_if_match(&req, pattern));
    let response = next.call(req).await?.map_into_boxed_body();
    if lacks_if_match && response.status() == StatusCode::CONFLICT {
        let err = ApiError::PreconditionRequired(crate::api::common::IF_MATCH_MISSING.into());
        let request = response.request().clone();
        return Ok(ServiceResponse::new(request, err.error_response()));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_document_is_in_the_table_and_no_other() {
        let doc = serde_json::to_value(crate::api::openapi_document()).unwrap_or_default();
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let mut table: Vec<String> = OPERATIONS
            .iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect();
        documented.sort();
        table.sort();
        assert_eq!(documented, table);
    }

    #[test]
    fn the_most_literal_pattern_wins_and_other_methods_are_listed() {
        assert_eq!(
            operation_of(&Method::GET, "/api/v1/kommun/goal-matrix"),
            Ok(Some(Needs::May(Action::Read, Kind::Consolidated)))
        );
        assert_eq!(
            operation_of(&Method::POST, "/api/v1/kommun/goal-matrix"),
            Err("GET".into())
        );
        assert_eq!(
            operation_of(&Method::PUT, "/api/v1/namnder/x"),
            Err("GET, PATCH, DELETE".into())
        );
        // Not the methods of /indicators/{id}: that path is another resource.
        assert_eq!(
            operation_of(&Method::PATCH, "/api/v1/indicators/table"),
            Err("GET".into())
        );
        assert_eq!(
            operation_of(&Method::PUT, "/api/v1/reports/x/submit"),
            Err("POST".into())
        );
        assert_eq!(
            operation_of(&Method::PUT, "/api/v1/reports/x/drift"),
            Ok(Some(Needs::May(Action::Update, Kind::Report)))
        );
        assert_eq!(operation_of(&Method::GET, "/api/v1/nothing"), Ok(None));
        assert_eq!(operation_of(&Method::GET, "/api/v1/namnder/"), Ok(None));
    }
}
