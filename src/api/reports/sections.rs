//! `/reports/{id}/sections`: the report's narrative sections (markdown).
use crate::api::common::ApiQuery;
use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::common::{ApiJson, Input, Page};
use crate::api::decided::BasisQuery;
use crate::api::decided::part_page;
use crate::api::resource::Ctx;
use crate::service::checks::{check_markdown, check_text};
use crate::{
    entity::report_section,
    error::{ApiError, FieldError},
    service::reports::{self},
};

/// A narrative section (markdown).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "verksamhetsrapport", "title": "Verksamhetsrapport", "body": "Under året har …", "position": 3, "version": 2, "updated_at": "2025-02-01T10:00:00Z"}))]
pub struct SectionDto {
    pub key: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub position: i32,
    pub version: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<report_section::Model> for SectionDto {
    fn from(s: report_section::Model) -> Self {
        SectionDto {
            key: s.key,
            title: s.title,
            body: s.body,
            position: s.position,
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}

/// List a report's sections.
#[utoipa::path(tag = "reports", params(("id" = Uuid, Path, description = "Report id"), BasisQuery),
    responses((status = 200, description = "Sections in order, all on one page", body = Page<SectionDto>)))]
#[get("/reports/{id}/sections")]
pub async fn list_sections(
    cx: Ctx,
    id: web::Path<Uuid>,
    basis: ApiQuery<BasisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let rows = async |db: &sea_orm::DatabaseConnection, report_id| {
        let rows = reports::sections(db, report_id).await?;
        Ok(rows.into_iter().map(SectionDto::from).collect())
    };
    part_page(&state, &principal, *id, basis.basis, "sections", rows).await
}

/// A section's new content; absent fields are kept (a new section needs a title).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Under året har verksamheten …"}))]
pub struct PutSection {
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    pub position: Option<i32>,
}

impl Input for PutSection {
    const READ_ONLY: &'static [&'static str] = &["key", "version", "updated_at"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(title) = &self.title {
            check_text("title", title, 200, &mut errors);
        }
        if let Some(body) = &self.body {
            check_markdown("body", body, &mut errors);
        }
        errors
    }
}

/// Create or change a section (while the report is utkast). `If-Match`
/// (the section's ETag) guards a change when given.
#[utoipa::path(tag = "reports", request_body = PutSection,
    params(("id" = Uuid, Path, description = "Report id"), ("key" = String, Path, pattern = r"^[a-z0-9_]{1,60}$", description = "Section key, 1–60 characters a–z, 0–9 and _, e.g. verksamhetsrapport"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the section")),
    responses(
        (status = 200, description = "Changed", body = SectionDto, headers(("ETag" = String))),
        (status = 201, description = "Created", body = SectionDto, headers(("ETag" = String))),
        crate::api::responses::NotADraft,
        (status = 412, description = "The section changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::api::responses::Invalid,
    ))]
#[put("/reports/{id}/sections/{key}")]
pub async fn put_section(
    cx: Ctx,
    path: web::Path<(Uuid, String)>,
    body: ApiJson<PutSection>,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let valid_key = !key.is_empty()
        && key.len() <= 60
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_key {
        return Err(ApiError::validation(
            "key",
            "must be 1–60 characters a–z, 0–9 and _",
        ));
    }
    let (ctx, expected, actor) = cx.report_put(id).await?;
    let body = body.0;
    let write = reports::SectionWrite {
        title: body.title.map(|t| t.trim().to_string()),
        body: body.body,
        position: body.position,
    };
    let (model, created) =
        reports::put_section(cx.db(), &actor, &ctx, &key, write, expected).await?;
    let dto = SectionDto::from(model);
    Ok(cx.put(created, dto.version, &dto))
}
