//! `GET /api/v1/audit`: the audit log for admin and revisor. Nothing in the
//! API writes, changes or deletes it; services append to it in the same
//! transaction as each change.

use crate::api::common::ApiQuery;
use crate::api::resource::audit_target;
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{Page, PageParams};
use crate::api::resource::Ctx;
use crate::{entity::audit_log, error::ApiError, service::audit};

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "occurred_at": "2025-02-27T15:00:00Z", "principal": "anna.sekreterare",
    "role": "namndsekreterare", "resource_type": "report", "resource_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "action": "approve",
    "before": {"status": "for_beslut", "version": 2}, "after": {"status": "godkand", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22", "version": 3},
    "request_id": "01a207b9-eb68-772c-8345-147210193ad8"
}))]
pub struct AuditEntry {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The token's subject.
    pub principal: String,
    pub role: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub action: String,
    /// The resource before the change (a list for a set of values); null
    /// for a create.
    #[schema(schema_with = super::schema::any_json)]
    pub before: Option<serde_json::Value>,
    /// The resource after the change; null for a delete.
    #[schema(schema_with = super::schema::any_json)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

fn parse_json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

impl From<audit_log::Model> for AuditEntry {
    fn from(m: audit_log::Model) -> Self {
        AuditEntry {
            id: m.id,
            occurred_at: m.occurred_at,
            principal: m.principal,
            role: m.role,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            action: m.action,
            before: parse_json(m.before_json),
            after: parse_json(m.after_json),
            request_id: m.request_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `report`, `budget_table`, `report_section`.
    #[param(example = "report")]
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    /// The subject of the token that made the change.
    pub principal: Option<String>,
    /// From this time (inclusive), RFC 3339.
    pub from: Option<DateTime<Utc>>,
    /// Until this time (exclusive), RFC 3339.
    pub to: Option<DateTime<Utc>>,
}

/// Read the audit log, oldest first (admin, revisor).
#[utoipa::path(tag = "audit", params(AuditQuery, PageParams),
    responses((status = 200, description = "One page of entries", body = Page<AuditEntry>)))]
#[get("/audit")]
pub async fn list_audit(
    cx: Ctx,
    query: ApiQuery<AuditQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(audit_target, &page)? else {
        return Ok(super::resource::empty_page::<AuditEntry>());
    };
    let filter = audit::AuditFilter {
        resource_type: query.resource_type.clone(),
        resource_id: query.resource_id,
        principal: query.principal.clone(),
        from: query.from,
        to: query.to,
    };
    let (rows, next) = audit::list(cx.db(), kommun_id, &filter, &page).await?;
    let items = rows.into_iter().map(AuditEntry::from).collect();
    Ok(super::resource::page::<AuditEntry>(items, next))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit);
}
