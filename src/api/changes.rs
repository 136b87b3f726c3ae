//! `GET /api/v1/changes`: the change feed. Every change in the kommun
//! (resource type, id, action, version, time) in commit order, for
//! frontends and integrations that keep a copy in sync: follow
//! `next_cursor` and no change is skipped or repeated. See
//! [`crate::service::changes`] for how the order is kept.

use crate::api::common::ApiQuery;
use crate::api::resource::change_feed_target;
use actix_web::{HttpResponse, get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::parse_limit;
use crate::api::resource::Ctx;
use crate::{auth::Action, entity::change_feed, error::ApiError, service::changes};

/// One change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 1042, "cursor": "AAAAAAAABBI", "resource_type": "report",
    "resource_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "action": "approve", "version": 3,
    "occurred_at": "2025-02-27T15:00:00Z"
}))]
pub struct ChangeDto {
    /// Position in your kommun's feed: strictly increasing in commit order.
    pub seq: i64,
    /// Pass as `since` to continue after this change.
    pub cursor: String,
    /// e.g. `report`, `namnd`, `indicator_values`, `budget_table`.
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    /// e.g. `create`, `update`, `delete`, `submit`, `approve`, `import`.
    pub action: String,
    /// The resource's version after the change; null when the change has
    /// none (deletes, tables of values).
    pub version: Option<i32>,
    pub occurred_at: DateTime<Utc>,
}

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"seq": 1042, "cursor": "AAAAAAAABBI", "resource_type": "report",
        "resource_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "action": "approve", "version": 3,
        "occurred_at": "2025-02-27T15:00:00Z"}],
    "next_cursor": "AAAAAAAABBI", "has_more": false
}))]
pub struct ChangePage {
    pub items: Vec<ChangeDto>,
    /// Always present: the cursor of the last item, or the one you sent when
    /// nothing new has happened. Pass it as `since` for the next page, or to
    /// poll for new changes later.
    pub next_cursor: String,
    /// True when more changes follow at once; false when you have caught up.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// `next_cursor` (or an item's `cursor`) of an earlier answer; absent:
    /// from the first change.
    #[param(
        example = "AAAAAAAABBI",
        pattern = r"^([A-Za-f][A-Za-z0-9_-]{9}[AEIMQUYcgkosw048])?$"
    )]
    pub since: Option<String>,
    /// Changes per page, 1–500 (default 50).
    #[param(value_type = Option<u64>, example = 100, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// Only changes of this resource type.
    #[param(example = "report")]
    pub resource_type: Option<String>,
}

fn encode_seq(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(seq.to_be_bytes())
}

fn decode_seq(text: &str) -> Option<i64> {
    let bytes: [u8; 8] = URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()?;
    Some(i64::from_be_bytes(bytes)).filter(|seq| *seq >= 0)
}

/// The number after which to read: 0 without a cursor.
fn since(query: &ChangesQuery) -> Result<i64, ApiError> {
    match query.since.as_deref() {
        None | Some("") => Ok(0),
        Some(text) => decode_seq(text).ok_or_else(|| {
            ApiError::validation("since", "is not a cursor returned by the change feed")
        }),
    }
}

impl From<change_feed::Model> for ChangeDto {
    fn from(m: change_feed::Model) -> Self {
        ChangeDto {
            seq: m.seq,
            cursor: encode_seq(m.seq),
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            action: m.action,
            version: m.version,
            occurred_at: m.occurred_at,
        }
    }
}

/// Every change in your kommun in commit order (admin, kommunledning,
/// revisor, integration). Start without `since`, then pass each answer's
/// `next_cursor`: every change is returned exactly once, in the order it was
/// committed, however many writers there are. When `has_more` is false you
/// have caught up; poll later with the same cursor. Nämnd-scoped roles and
/// läsare are refused (403): the feed names drafts of every nämnd.
#[utoipa::path(tag = "changes", params(ChangesQuery),
    responses(
        (status = 200, description = "One page of changes", body = ChangePage),
        (status = 422, description = "`since` is not a cursor of the feed, or `limit` is out of range", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/changes")]
pub async fn list_changes(
    cx: Ctx,
    query: ApiQuery<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    cx.check(Action::Read, change_feed_target)?;
    let (_, state, principal) = cx.into_parts();
    let limit = parse_limit(query.limit.as_deref())?;
    let after = since(&query)?;
    let mut rows = match principal.kommun_id {
        Some(kommun_id) => {
            let resource_type = query.resource_type.as_deref();
            changes::list(&state.db, kommun_id, after, resource_type, limit + 1).await?
        }
        None => Vec::new(),
    };
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let last = rows.last().map_or(after, |r| r.seq);
    Ok(HttpResponse::Ok().json(ChangePage {
        items: rows.into_iter().map(ChangeDto::from).collect(),
        next_cursor: encode_seq(last),
        has_more,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_changes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_lists_cursors() {
        for seq in [0, 1, 1042, i64::MAX] {
            assert_eq!(decode_seq(&encode_seq(seq)), Some(seq));
        }
        let uuid_cursor = super::super::common::encode_cursor(Uuid::now_v7());
        assert_eq!(decode_seq(&uuid_cursor), None);
        assert_eq!(decode_seq("not a cursor"), None);
        assert_eq!(
            decode_seq(&URL_SAFE_NO_PAD.encode((-1i64).to_be_bytes())),
            None
        );
    }
}
