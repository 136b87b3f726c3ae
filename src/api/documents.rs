//! Report documents: a report, or the kommun's compilation of a period, as
//! an accessible web page (`text/html`) or a tagged PDF (`application/pdf`).
//! An approved report renders its decided version; anything else renders
//! today's figures and says "Utkast" on every page.

use crate::api::common::ApiQuery;
use crate::api::resource::consolidated_target;
use crate::error::ServiceError;
use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    decided,
    read_cache::{Answer, Snapshot},
    resource::authorized_report,
};
use crate::api::resource::Ctx;
use crate::{
    auth::Action,
    document::{
        self, Document, Meta, ReportDoc,
        kommun::{IndicatorLine, KommunInput, MatrixArea, MatrixGoal, NamndPart},
    },
    domain::structure::{ReportStatus, ReportType},
    entity::{namnd, report},
    error::{ApiError, FieldError},
    service::{
        consolidation, kommun_views as views, kommuner,
        reports::{self, ReportContext},
    },
    state::AppState,
};

/// A PDF file (schema only).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary, example = "%PDF-1.7 …")]
#[allow(dead_code)]
pub struct PdfFile(Vec<u8>);

/// The two forms of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Pdf,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `html` or `pdf`; overrides the `Accept` header. Without either, HTML.
    #[param(example = "html", pattern = "^(html|pdf)$")]
    pub format: Option<String>,
}

/// `?format=` first, then `Accept` (the first of `text/html` and
/// `application/pdf` it names with a non-zero q; anything else is HTML).
pub fn format_of(req: &HttpRequest, query: Option<&str>) -> Result<Format, ApiError> {
    match query {
        Some("html") => return Ok(Format::Html),
        Some("pdf") => return Ok(Format::Pdf),
        Some(_) => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "format",
                "must be html or pdf",
            )])
            .into());
        }
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best: Option<(f32, Format)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let media = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/pdf" => Format::Pdf,
            "text/html" | "application/xhtml+xml" => Format::Html,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, format));
        }
    }
    Ok(best.map(|(_, f)| f).unwrap_or(Format::Html))
}

/// The document of one report: its decided version when approved, else
/// today's figures marked as a draft.
pub async fn report_doc(
    state: &AppState,
    ctx: &ReportContext,
) -> Result<(ReportDoc, bool), ApiError> {
    let (value, draft): (Value, bool) = match decided::decided(state, ctx, None).await? {
        Some(d) => (
            crate::service::versions::read_document(&d.document.canonical)?,
            false,
        ),
        None => (
            super::reports::document(&state.db, ctx).await?,
            ctx.status != ReportStatus::Godkand,
        ),
    };
    let doc = ReportDoc::from_value(&value)
        .map_err(|e| ServiceError::Unexpected(format!("report document: {e}")))?;
    Ok((doc, draft))
}

pub async fn kommun_name(state: &AppState, code: &str) -> Result<String, ApiError> {
    Ok(kommuner::find_by_code(&state.db, code)
        .await?
        .map(|k| k.name)
        .unwrap_or_else(|| format!("Kommun {code}")))
}

/// Writes `doc` in `format` as the response.
pub async fn render(doc: Document, format: Format, file_stem: &str) -> Result<Answer, ApiError> {
    let (ext, content_type, body) = match format {
        Format::Html => ("html", "text/html; charset=utf-8", {
            document::html::page(&doc).into_bytes()
        }),
        Format::Pdf => {
            // Typesetting takes CPU for a while: off the request threads.
            let bytes = web::block(move || document::pdf::pdf(&doc))
                .await
                .map_err(|e| ServiceError::Unexpected(format!("typesetting: {e}")))?
                .map_err(ServiceError::Unexpected)?;
            ("pdf", "application/pdf", bytes)
        }
    };
    Ok(Answer {
        body,
        content_type,
        headers: vec![
            (header::VARY, "Accept".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_stem}.{ext}\""),
            ),
        ],
    })
}

/// A report as a document: cover (kommun, nämnd, type, period, decision),
/// contents, the text sections, driftredovisning, investeringar, volymmått,
/// personal, resultatmål with assessments, uppdrag, åtgärdsplan and the
/// indicator appendix, with charts (inline SVG, each with a title, a
/// summary and its data as a table). HTML (`Accept: text/html`,
/// `?format=html`, the default) or tagged PDF/UA-1 (`Accept:
/// application/pdf`, `?format=pdf`).
#[utoipa::path(tag = "reports",
    params(("id" = Uuid, Path, description = "Report id"), FormatQuery),
    responses(
        (status = 200, description = "The report as a document",
            content(
                (String = "text/html", example = "<!DOCTYPE html>\n<html lang=\"sv\">…"),
                (PdfFile = "application/pdf", example = "%PDF-1.7 …"),
            )),
        (status = 404, description = "Not found", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid format", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/reports/{id}/document")]
pub async fn get_report_document(
    cx: Ctx,
    id: web::Path<Uuid>,
    query: ApiQuery<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let snapshot = Snapshot::take(&state, principal.require_kommun()?).await?;
    let ctx = authorized_report(&state, &principal, *id, Action::Read).await?;
    let format = format_of(&req, query.format.as_deref())?;
    let key = format!("report/{}/document?{format:?}", ctx.report.id);
    snapshot
        .respond(&req, &state, key, || async {
            let (doc, draft) = report_doc(&state, &ctx).await?;
            let meta = Meta {
                kommun: kommun_name(&state, &principal.kommun_code).await?,
                namnd_name: ctx.namnd.name.clone(),
                draft,
            };
            let document = document::report::document(&doc, &meta);
            let stem = format!(
                "{}-{}-{}",
                ctx.namnd.code.replace('/', "-"),
                doc.report.report_type,
                ctx.period.end_date
            );
            render(document, format, &stem).await
        })
        .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KommunDocumentQuery {
    pub period_id: Uuid,
    /// The report type compiled, e.g. `arsredovisning`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub report_type: ReportType,
    /// `html` or `pdf`; overrides the `Accept` header. Without either, HTML.
    #[param(example = "pdf", pattern = "^(html|pdf)$")]
    pub format: Option<String>,
}

/// Reports' documents of the kommun's compilation read at once.
const REPORTS_AT_ONCE: usize = 4;

/// A nämnd's chapter of the compilation: its report's status, decision and
/// document (None when it has handed in no report).
async fn namnd_part(
    state: &AppState,
    n: namnd::Model,
    report: Option<report::Model>,
) -> Result<NamndPart, ApiError> {
    let (status, beslut, doc) = match report {
        None => ("saknas".to_string(), None, None),
        Some(r) => {
            let beslut = match (&r.beslut_datum, &r.beslut_paragraf) {
                (Some(d), Some(p)) => Some(format!("{d}, {p}")),
                _ => None,
            };
            let status = r.status.to_string();
            let ctx = reports::context_of(&state.db, r).await?;
            (status, beslut, Some(report_doc(state, &ctx).await?))
        }
    };
    Ok(NamndPart {
        code: n.code,
        name: n.name,
        status,
        beslut,
        report: doc,
    })
}

/// The kommun's compilation of a period (admin, kommunledning, revisor):
/// the kommun overview (drift and investering per nämnd with a chart of
/// each nämnd's avvikelse, the goal matrix, the indicator overview, the
/// nämnder's submission status), then each nämnd's report of `type` as a
/// chapter (decided when approved, else today's figures marked "Utkast").
/// HTML or tagged PDF/UA-1, as for one report.
#[utoipa::path(tag = "kommun", params(KommunDocumentQuery),
    responses(
        (status = 200, description = "The compilation as a document",
            content(
                (String = "text/html", example = "<!DOCTYPE html>\n<html lang=\"sv\">…"),
                (PdfFile = "application/pdf", example = "%PDF-1.7 …"),
            )),
        (status = 422, description = "Unknown period, or invalid format", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/document")]
pub async fn get_kommun_document(
    cx: Ctx,
    query: ApiQuery<KommunDocumentQuery>,
) -> Result<HttpResponse, ApiError> {
    cx.check(Action::Read, consolidated_target)?;
    let (req, state, principal) = cx.into_parts();
    let format = format_of(&req, query.format.as_deref())?;
    let kommun_id = principal.require_kommun()?;
    let snapshot = Snapshot::take(&state, kommun_id).await?;
    let key = format!(
        "kommun/document?{}&{:?}&{format:?}",
        query.period_id, query.report_type
    );
    snapshot
        .respond(&req, &state, key, || async {
            let (spec, _) = views::view_period(&state.db, kommun_id, query.period_id).await?;
            let report_type = query.report_type.as_str();
            let submissions =
                consolidation::submissions(&state.db, kommun_id, query.period_id, report_type)
                    .await?;
            // The reports' documents are read a few at a time, in order:
            // one's queries run while another's rows are turned into its
            // document (on SQLite the database's own thread, on PostgreSQL
            // further connections of the pool).
            let namnder: Vec<NamndPart> = futures_util::stream::iter(submissions)
                .map(|(n, report)| namnd_part(&state, n, report))
                .buffered(REPORTS_AT_ONCE)
                .try_collect()
                .await?;
            let goal_matrix = views::goal_matrix(
                &state.db,
                kommun_id,
                query.period_id,
                spec.year,
                report_type,
            )
            .await?
            .into_iter()
            .map(|a| MatrixArea {
                name: a.name,
                goals: a
                    .goals
                    .into_iter()
                    .map(|g| MatrixGoal {
                        title: g.title,
                        suggested: g.suggested.as_str().to_string(),
                        cells: g
                            .cells
                            .into_iter()
                            .map(|c| {
                                (
                                    c.namnd,
                                    c.role.to_string(),
                                    c.bedomning.map(|b| b.as_str().to_string()),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
            let indicators = views::indicator_overview(
                &state.db,
                kommun_id,
                views::IndicatorFilter {
                    year: Some(spec.year),
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .map(|r| IndicatorLine {
                name: r.name,
                goal_areas: r.goal_areas.join(", "),
                utfall_year: r.utfall_year,
                utfall: r.utfall,
                trend: r.trend.as_str().to_string(),
                riktvarde: r.riktvarde,
                bedomning: r.bedomning.as_str().to_string(),
            })
            .collect();
            let input = KommunInput {
                kommun: kommun_name(&state, &principal.kommun_code).await?,
                report_type: report_type.to_string(),
                period: spec.label(),
                year: spec.year,
                namnder,
                goal_matrix,
                indicators,
            };
            let document = document::kommun::document(&input);
            let stem = format!("{}-{}-{}", principal.kommun_code, report_type, spec.year);
            render(document, format, &stem).await
        })
        .await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_report_document)
        .service(get_kommun_document);
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accept(value: &str) -> Format {
        let req = TestRequest::default()
            .insert_header((header::ACCEPT, value))
            .to_http_request();
        format_of(&req, None).unwrap_or(Format::Html)
    }

    #[test]
    fn negotiates_html_and_pdf() {
        assert_eq!(accept("application/pdf"), Format::Pdf);
        assert_eq!(
            accept("text/html,application/xhtml+xml,*/*;q=0.8"),
            Format::Html
        );
        assert_eq!(accept("text/html;q=0.5, application/pdf"), Format::Pdf);
        assert_eq!(accept("application/json"), Format::Html);
        assert_eq!(accept("application/pdf;q=0"), Format::Html);
        let req = TestRequest::default().to_http_request();
        assert_eq!(format_of(&req, Some("pdf")).ok(), Some(Format::Pdf));
        assert!(format_of(&req, Some("docx")).is_err());
    }
}
