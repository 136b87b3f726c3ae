//! `/api/v1/reports/{id}/assessments`: the report nämnd's bedömning and
//! comment for each goal it answers for (in a delårsrapport the expected
//! fulfilment), beside the bedömning suggested from the goal's indicators.

use crate::api::common::ApiQuery;
use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    common::{ApiJson, Input},
    goals::GoalDto,
    indicators::{BedomningDto, RiktvardeDto, YearValueDto},
    resource::Ctx,
};
use crate::service::checks::check_markdown;
use crate::{
    auth::Action,
    domain::{Bedomning, Trend},
    error::{ApiError, FieldError},
    service::{assessments, reports::ReportContext},
};

/// The nämnd's assessment of a goal in a report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"goal_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "bedomning": "rod",
    "comment": "- Resultatet i brukarundersökningen minskade.", "version": 1, "updated_at": "2025-02-01T10:00:00Z"}))]
pub struct AssessmentDto {
    pub goal_id: Uuid,
    /// In a delårsrapport: the expected fulfilment.
    pub bedomning: Bedomning,
    /// Markdown.
    pub comment: String,
    pub version: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl AssessmentDto {
    fn new(m: &crate::entity::assessment::Model) -> Self {
        AssessmentDto {
            goal_id: m.goal_id,
            bedomning: m.bedomning,
            comment: m.comment.clone(),
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

/// An indicator of the goal with its figures for the report year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "name": "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)",
    "utfall": {"year": 2024, "value": 83}, "riktvarde": {"year": 2024, "value": 90, "text": null}, "trend": "forsamrad",
    "bedomning": {"computed": "rod", "final": "rod", "override_reason": null}}))]
pub struct GoalIndicatorDto {
    pub id: Uuid,
    pub name: String,
    /// The utfall used (latest available up to the report year).
    pub utfall: Option<YearValueDto>,
    pub riktvarde: Option<RiktvardeDto>,
    /// Final trend.
    pub trend: Trend,
    pub bedomning: BedomningDto,
}

/// A goal of the report's nämnd with its assessment and the suggestion.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "goal": {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "kind": "kommun", "title": "Ökad nöjdhet med hemtjänsten"},
    "role": "huvudansvar",
    "assessment": {"goal_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "bedomning": "rod", "comment": "…", "version": 1, "updated_at": "2025-02-01T10:00:00Z"},
    "suggested_bedomning": "rod",
    "indicators": []
}))]
pub struct AssessmentRowDto {
    pub goal: GoalDto,
    /// The nämnd's part: `huvudansvar`, `medansvarig` or `alla_namnder`.
    pub role: String,
    /// Null until the nämnd has assessed the goal in this report.
    pub assessment: Option<AssessmentDto>,
    /// From the indicators' final bedömning for the report year: none
    /// assessed → ingen, all gron → gron, all rod → rod, otherwise gul.
    pub suggested_bedomning: Bedomning,
    pub indicators: Vec<GoalIndicatorDto>,
}

/// The assessments of a report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd": "VON", "year": 2024, "items": []}))]
pub struct AssessmentList {
    pub report_id: Uuid,
    pub namnd: String,
    /// The report year the suggestions are computed for.
    pub year: i32,
    pub items: Vec<AssessmentRowDto>,
}

/// The goals the report's nämnd answers for, each with its assessment in
/// the report and the suggestion from its indicators (not paginated).
#[utoipa::path(tag = "assessments", params(("id" = Uuid, Path, description = "Report id"), super::decided::BasisQuery),
    responses((status = 200, description = "The assessments", body = AssessmentList, headers(("ETag" = String)))))]
#[get("/reports/{id}/assessments")]
pub async fn list_assessments(
    cx: Ctx,
    id: web::Path<Uuid>,
    basis: ApiQuery<super::decided::BasisQuery>,
) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(*id, Action::Read).await?;
    let (req, state, _) = cx.into_parts();
    let live = async || assessment_list(&state.db, &ctx).await;
    super::decided::part_or_live(&req, &state, &ctx, basis.basis, "assessments", live).await
}

/// The goals the report's nämnd answers for with their assessments and the
/// indicators behind the suggestions, as the report shows them.
pub async fn assessment_list(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &ReportContext,
) -> Result<AssessmentList, ApiError> {
    let rows = assessments::for_report(db, ctx).await?;
    let goals: Vec<_> = rows.iter().map(|r| r.goal.clone()).collect();
    let goals = super::linked::dtos(db, ctx.report.kommun_id, &goals).await?;
    let mut items = Vec::with_capacity(rows.len());
    for (r, goal) in rows.into_iter().zip(goals) {
        let role = if r.goal.model.huvudansvar_id == Some(ctx.namnd.id) {
            "huvudansvar"
        } else if r.goal.medansvariga.contains(&ctx.namnd.id) {
            "medansvarig"
        } else {
            "alla_namnder"
        };
        items.push(AssessmentRowDto {
            goal,
            role: role.to_string(),
            assessment: r.assessment.as_ref().map(AssessmentDto::new),
            suggested_bedomning: r.suggested,
            indicators: r
                .indicators
                .iter()
                .map(|(d, derived)| GoalIndicatorDto {
                    id: d.model.id,
                    name: d.model.name.clone(),
                    utfall: derived.utfall.map(YearValueDto::from),
                    riktvarde: match (derived.year, &derived.riktvarde) {
                        (Some(y), Some(t)) => Some(RiktvardeDto::new(y, t)),
                        _ => None,
                    },
                    trend: derived.trend.final_value(),
                    bedomning: BedomningDto::of(derived),
                })
                .collect(),
        });
    }
    Ok(AssessmentList {
        report_id: ctx.report.id,
        namnd: ctx.namnd.code.clone(),
        year: ctx.spec.year,
        items,
    })
}

/// The nämnd's assessment of a goal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bedomning": "gul", "comment": "- Andelen heltidsanställda ökar kontinuerligt."}))]
pub struct PutAssessment {
    /// gron, gul, rod or ingen; in a delårsrapport the expected fulfilment.
    pub bedomning: Bedomning,
    /// Markdown, at most 1 MB.
    #[serde(default)]
    pub comment: String,
}

impl Input for PutAssessment {
    const READ_ONLY: &'static [&'static str] =
        &["goal_id", "version", "updated_at", "suggested_bedomning"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_markdown("comment", &self.comment, &mut errors);
        errors
    }
}

/// Assess a goal in the report (the nämnd's redaktör, while utkast). Only
/// goals the nämnd answers for. `If-Match` guards a change when given.
#[utoipa::path(tag = "assessments", request_body = PutAssessment,
    params(("id" = Uuid, Path, description = "Report id"), ("goal_id" = Uuid, Path, description = "Goal id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the assessment")),
    responses(
        (status = 200, description = "Changed", body = AssessmentDto, headers(("ETag" = String))),
        (status = 201, description = "Created", body = AssessmentDto, headers(("ETag" = String))),
        crate::api::responses::NotADraft,
        (status = 412, description = "The assessment changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or a goal the nämnd does not answer for", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[put("/reports/{id}/assessments/{goal_id}")]
pub async fn put_assessment(
    cx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<PutAssessment>,
) -> Result<HttpResponse, ApiError> {
    let (id, goal_id) = path.into_inner();
    let (ctx, expected, actor) = cx.report_put(id).await?;
    let b = body.0;
    let (model, created) = assessments::put(
        cx.db(),
        &actor,
        &ctx,
        goal_id,
        b.bedomning,
        b.comment,
        expected,
    )
    .await?;
    let dto = AssessmentDto::new(&model);
    Ok(cx.put(created, dto.version, &dto))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_assessments).service(put_assessment);
}
