//! Reports as decided, for each part. Approving a report stores everything
//! it shows as a decided version ([`crate::api::reports::document`]); reads
//! of an approved report and of its parts serve that version
//! ([`part_or_live`]) unless `basis=live` asks for today's figures. The
//! whole report's decided read, the versions, their canonical bytes with
//! `Content-Digest` and the diff are in [`crate::api::reports::decisions`],
//! above the parts they are made of.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::{common::computed, figures::Unit};
use crate::{
    domain::structure::ReportStatus,
    error::ApiError,
    service::{
        reports::ReportContext,
        versions::{self, ParsedVersion, VersionMeta},
    },
    state::AppState,
};

/// Which figures a read of an approved report shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(example = "beslutad")]
pub enum Basis {
    /// As the nämnd decided them (the latest decided version); the default.
    /// A report that was never approved is always live.
    #[default]
    Beslutad,
    /// Today's figures.
    Live,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BasisQuery {
    /// `beslutad` (default): an approved report as decided; `live`: today's figures.
    pub basis: Option<Basis>,
}

/// Which decided version a response shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"number": 1, "sha256": "9f2c…", "prev_sha256": null,
    "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22", "diarienummer": null,
    "decided_at": "2025-02-27T15:00:00Z", "decided_by": "anna.sekreterare"}))]
pub struct VersionDto {
    /// 1 for the first approval; n+1 after a reopen and a new approval.
    pub number: i32,
    /// SHA-256 (hex) of the version's canonical JSON.
    pub sha256: String,
    /// The previous version's hash; null for version 1.
    pub prev_sha256: Option<String>,
    pub beslut_datum: NaiveDate,
    pub beslut_paragraf: String,
    pub diarienummer: Option<String>,
    pub decided_at: DateTime<Utc>,
    /// The token subject that recorded the approval.
    pub decided_by: String,
}

impl From<&VersionMeta> for VersionDto {
    fn from(v: &VersionMeta) -> Self {
        VersionDto {
            number: v.number,
            sha256: v.sha256.clone(),
            prev_sha256: v.prev_sha256.clone(),
            beslut_datum: v.beslut_datum,
            beslut_paragraf: v.beslut_paragraf.clone(),
            diarienummer: v.diarienummer.clone(),
            decided_at: v.decided_at,
            decided_by: v.decided_by.clone(),
        }
    }
}

/// The decided version an approved report's read serves, with its
/// document; `None` for live reads and reports never approved.
pub struct Decided {
    pub version: VersionMeta,
    pub document: Arc<ParsedVersion>,
}

/// A report's `part` with the ETag of its content: as decided when the
/// report reads as its decided version, else what `live` makes now.
pub async fn part_or_live<T: Serialize>(
    req: &HttpRequest,
    state: &AppState,
    ctx: &ReportContext,
    basis: Option<Basis>,
    part: &str,
    live: impl AsyncFnOnce() -> Result<T, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if let Some(d) = decided(state, ctx, basis).await? {
        return computed(req, &d.part(part, Unit::Kr));
    }
    computed(req, &live().await?)
}

pub async fn decided(
    state: &AppState,
    ctx: &ReportContext,
    basis: Option<Basis>,
) -> Result<Option<Decided>, ApiError> {
    if basis.unwrap_or_default() == Basis::Live || ctx.status != ReportStatus::Godkand {
        return Ok(None);
    }
    let Some(version) = versions::latest_meta(&state.db, ctx.report.id).await? else {
        return Ok(None);
    };
    // A version never changes: its parts are parsed once and then copied.
    let document = versions::parsed(&state.db, &state.versions, &version).await?;
    Ok(Some(Decided { version, document }))
}

impl Decided {
    /// A part of the decided report as stored JSON (`drift` in `unit`,
    /// `sections`, …).
    pub fn part(&self, key: &str, unit: Unit) -> &RawValue {
        match key {
            "drift" => self.document.part(&format!("drift.{}", unit_key(unit))),
            "investering" => self
                .document
                .part(&format!("investering.{}", unit_key(unit))),
            _ => self.document.part(key),
        }
    }
}

fn unit_key(unit: Unit) -> &'static str {
    match unit {
        Unit::Kr => "kr",
        Unit::Tkr => "tkr",
    }
}

/// What a read of a report says about its basis.
#[derive(Debug, Serialize)]
pub struct Header {
    pub basis: Basis,
    pub decided_version: Option<VersionDto>,
    pub changed_since_decision: Option<bool>,
}

/// All of a report's `part` on one page: as decided when the report reads
/// as its decided version, else the rows `live` reads now.
pub async fn part_page<T: Serialize>(
    state: &AppState,
    principal: &crate::auth::Principal,
    id: uuid::Uuid,
    basis: Option<Basis>,
    part: &str,
    live: impl AsyncFnOnce(&sea_orm::DatabaseConnection, uuid::Uuid) -> Result<Vec<T>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let ctx =
        super::resource::authorized_report(state, principal, id, crate::auth::Action::Read).await?;
    if let Some(d) = decided(state, &ctx, basis).await? {
        let items = d.part(part, Unit::Kr);
        return Ok(
            HttpResponse::Ok().json(serde_json::json!({"items": items, "next_cursor": null}))
        );
    }
    let items = live(&state.db, ctx.report.id).await?;
    // Every row on one page (a report has few); the list shape of every list.
    Ok(HttpResponse::Ok().json(super::common::Page {
        items,
        next_cursor: None,
    }))
}
