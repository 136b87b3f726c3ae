//! `/api/v1/calendar-feeds` and `/api/v1/calendar.ics`: the process
//! calendar for Outlook and other calendar clients, which cannot send a
//! bearer token. A user makes a feed (its URL is shown once, with a
//! random secret in `token`), subscribes to the URL in the calendar
//! client, and revokes it when done. The URL opens that feed and nothing
//! else: `/calendar.ics` is the only operation that takes no bearer
//! token, and the secret is no token anywhere else.

use crate::api::common::ApiQuery;
use crate::api::resource::calendar_feeds_target;
use crate::error::ServiceError;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{ApiJson, Input, Page, PageParams, computed_bytes, optional_if_match_version},
    resource::{self, Ctx, Item},
};
use crate::service::checks::check_at_most;
use crate::{
    auth::{Action, Principal},
    domain::calendar,
    entity::calendar_feed,
    error::{ApiError, FieldError},
    service::{
        calendar_feeds::{self, FeedSpec},
        crud,
    },
    state::AppState,
};

/// The path of the feed itself.
pub const FEED_PATH: &str = "/api/v1/calendar.ics";

/// A calendar feed. `url` only in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad9a0-6c1e-7f3a-8b2d-4e5f607182a1", "name": "Outlook", "namnder": ["VON"],
    "url": "https://kommunrapport.example.se/api/v1/calendar.ics?token=q9X2c4mYd0Lr7TQxE1b6VnK3sWf8Hj5oPa2Gu4Zi0Ck",
    "version": 1, "created_at": "2026-12-03T09:00:00Z", "updated_at": "2026-12-03T09:00:00Z"
}))]
pub struct CalendarFeedDto {
    pub id: Uuid,
    pub name: Option<String>,
    /// The nämnder it shows (their deadlines beside the kommun's, and
    /// their obligations); null: the whole kommun.
    pub namnder: Option<Vec<String>>,
    /// The feed's URL with its secret: in the answer to the creation only;
    /// keep it, it is never shown again (null in every other answer).
    /// Anyone with it can read the feed.
    pub url: Option<String>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn dto_of(m: calendar_feed::Model, url: Option<String>) -> Result<CalendarFeedDto, ApiError> {
    Ok(CalendarFeedDto {
        namnder: calendar_feeds::scope(&m)?,
        id: m.id,
        name: m.name,
        url,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A new feed of your own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Outlook"}))]
pub struct CreateCalendarFeed {
    /// Your name for it (up to 200 characters).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// One nämnd's code: its deadlines (beside the kommun's) and
    /// obligations. Left out: the whole kommun, or, for a nämnd-scoped
    /// role (redaktör, nämndsekreterare), the nämnder of your token.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub namnd: Option<String>,
}

impl Input for CreateCalendarFeed {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_at_most("name", self.name.as_deref(), 200, &mut errors);
        if self
            .namnd
            .as_ref()
            .is_some_and(|n| n.trim().is_empty() || n.len() > 40)
        {
            errors.push(FieldError::new("namnd", "must be a nämnd code such as VON"));
        }
        errors
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedListQuery {
    /// Items per page, 1–500 (default 50).
    #[param(value_type = Option<u64>, example = 50, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(example = "AZqTn2hGd0uN1l0wM2cGJw")]
    pub cursor: Option<String>,
}

/// The nämnder a feed of `principal` shows: the one asked for (a
/// nämnd-scoped role only its own: 403 otherwise), else the whole kommun,
/// or a nämnd-scoped role's own nämnder.
fn feed_scope(principal: &Principal, namnd: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let scoped = principal.role.is_namnd_scoped();
    match namnd.map(str::trim) {
        Some(code) if scoped && !principal.has_namnd(code) => {
            Err(ServiceError::Forbidden(format!(
                "role {} may make a feed of its own nämnder only ({})",
                principal.role,
                principal.namnder.join(", ")
            ))
            .into())
        }
        Some(code) => Ok(Some(vec![code.to_string()])),
        None if scoped => Ok(Some(principal.namnder.clone())),
        None => Ok(None),
    }
}

/// Make a calendar feed of your own (every role). The answer's `url`
/// (shown this once) opens the feed without a bearer token.
#[utoipa::path(tag = "calendar", request_body = CreateCalendarFeed,
    responses(
        (status = 201, description = "Created; `url` holds the secret", body = CalendarFeedDto, headers(("ETag" = String), ("Location" = String))),
        (status = 422, description = "A nämnd code not of your kommun, or a name too long", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/calendar-feeds")]
pub async fn create_calendar_feed(
    cx: Ctx,
    body: ApiJson<CreateCalendarFeed>,
) -> Result<HttpResponse, ApiError> {
    cx.authorized(Action::Create, calendar_feeds_target)?;
    let b = body.0;
    let principal = &cx.principal;
    let spec = FeedSpec {
        subject: principal.subject.clone(),
        role: principal.role.to_string(),
        name: b
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        namnder: feed_scope(principal, b.namnd.as_deref())?,
    };
    let (model, secret) = calendar_feeds::create(cx.db(), &cx.actor()?, spec).await?;
    let info = cx.req.connection_info();
    let url = format!(
        "{}://{}{FEED_PATH}?token={secret}",
        info.scheme(),
        info.host()
    );
    let dto = dto_of(model, Some(url))?;
    Ok(cx.created(dto.version, dto.id, &dto))
}

/// List your own calendar feeds (without their URLs), oldest first.
#[utoipa::path(tag = "calendar", params(FeedListQuery),
    responses((status = 200, description = "One page of your feeds", body = Page<CalendarFeedDto>)))]
#[get("/calendar-feeds")]
pub async fn list_calendar_feeds(
    cx: Ctx,
    query: ApiQuery<FeedListQuery>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Read, calendar_feeds_target)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let subject = &cx.principal.subject;
    let (rows, next) = calendar_feeds::list(cx.db(), kommun_id, subject, &page).await?;
    let items = rows.into_iter().map(|m| dto_of(m, None));
    Ok(resource::page(items.collect::<Result<Vec<_>, _>>()?, next))
}

/// The caller's own calendar feeds: another's is not found.
pub struct CalendarFeeds;

impl Item for CalendarFeeds {
    type Current = calendar_feed::Model;
    type Dto = CalendarFeedDto;
    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<calendar_feed::Model, ApiError> {
        let model = cx
            .row::<calendar_feed::Entity>(id, action, calendar_feeds_target)
            .await?;
        if model.subject != cx.principal.subject {
            return Err(crud::not_found::<calendar_feed::Entity>(id).into());
        }
        Ok(model)
    }
    fn id(current: &calendar_feed::Model) -> Uuid {
        current.id
    }
    fn version(current: &calendar_feed::Model) -> i32 {
        current.version
    }
    async fn dto(_: &Ctx, current: calendar_feed::Model) -> Result<CalendarFeedDto, ApiError> {
        dto_of(current, None)
    }
}

crate::api::resource::item_routes! {
    CalendarFeeds, CalendarFeedDto, "calendar", "/calendar-feeds/{id}", "Feed id";
    get: /// Read one of your calendar feeds (without its URL).
        get_calendar_feed "The feed";
}

/// Revoke one of your calendar feeds: its URL answers 404 from now on.
/// `If-Match` is optional.
#[utoipa::path(tag = "calendar",
    params(("id" = Uuid, Path, description = "Feed id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 204, description = "Revoked"),
        crate::api::responses::Stale,
    ))]
#[delete("/calendar-feeds/{id}")]
pub async fn delete_calendar_feed(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    cx.authorized(Action::Delete, calendar_feeds_target)?;
    let expected = optional_if_match_version(&cx.req)?;
    let (actor, subject) = (cx.actor()?, &cx.principal.subject);
    calendar_feeds::revoke(cx.db(), &actor, subject, *id, expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    pub token: Option<String>,
}

/// The process calendar of a feed as iCalendar (RFC 5545): an all-day
/// event per deadline and per obligation (åtgärdsplan due). Needs no bearer
/// token: the feed's secret in `token` opens it (and only it). A revoked
/// or unknown secret is 404. Honours `If-None-Match` (304).
#[utoipa::path(tag = "calendar", security(("calendar_feed" = [])),
    responses(
        (status = 200, description = "The calendar", headers(("ETag" = String)),
            content((String = "text/calendar", example = json!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kommunrapport//Uppföljningsprocessen//SV\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Uppföljning Katrineholms kommun VON\r\nBEGIN:VEVENT\r\nUID:deadline-019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190@kommunrapport\r\nDTSTAMP:20261203T090000Z\r\nDTSTART;VALUE=DATE:20250207\r\nDTEND;VALUE=DATE:20250208\r\nSUMMARY:Inlämning: Årsredovisning 2024 – VON\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No feed with this secret (never made, or revoked)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/calendar.ics")]
pub async fn get_calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let unknown = || {
        ApiError::Service(ServiceError::NotFound(
            "no calendar feed with this URL (it may have been revoked)".into(),
        ))
    };
    let secret = query
        .token
        .as_deref()
        .filter(|t| !t.is_empty() && t.len() <= 200);
    let Some(secret) = secret else {
        return Err(unknown());
    };
    let Some(feed) = calendar_feeds::by_secret(&state.db, secret).await? else {
        return Err(unknown());
    };
    let today = crate::service::clock::now().date_naive();
    let (name, events) = calendar_feeds::events(&state.db, &feed, today).await?;
    let text = calendar::render(&name, &events);
    Ok(computed_bytes(
        &req,
        text.into_bytes(),
        "text/calendar; charset=utf-8",
    ))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_calendar_feed)
        .service(list_calendar_feeds);
    item_services(cfg);
    cfg.service(delete_calendar_feed).service(get_calendar);
}
