//! What a report is shown as: the report itself, the report with the parts
//! `include` asks for, and the names of those parts. Below the handlers of
//! `reports` and of its decided versions, which both use them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{action_plans::ActionPlanDto, sections::SectionDto};
use crate::api::figures::TableDto;
use crate::{
    domain::structure::{ReportStatus, ReportType},
    entity::{namnd, period, report},
    error::ApiError,
    service::reports::ReportContext,
};

/// A report (without its content; see `include`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON",
    "period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183", "period": "Helår 2024", "start_date": "2024-01-01", "end_date": "2024-12-31",
    "type": "arsredovisning", "status": "godkand", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
    "status_reason": null, "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z",
    "version": 3, "created_at": "2025-01-15T09:00:00Z", "updated_at": "2025-02-27T15:00:00Z"
}))]
pub struct ReportDto {
    pub id: Uuid,
    pub namnd_id: Uuid,
    pub namnd: String,
    pub period_id: Uuid,
    /// Label of the period, e.g. "Delår 2024".
    pub period: String,
    /// The first day of the report's period.
    pub start_date: NaiveDate,
    /// The last day of the report's period.
    pub end_date: NaiveDate,
    #[serde(rename = "type")]
    pub report_type: ReportType,
    pub status: ReportStatus,
    /// The nämnd's decision date, set on approval.
    pub beslut_datum: Option<NaiveDate>,
    /// The decision's paragraph, e.g. "§ 22".
    pub beslut_paragraf: Option<String>,
    /// Why it was returned or reopened.
    pub status_reason: Option<String>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ReportDto {
    pub(crate) fn new(
        r: &report::Model,
        namnd: &namnd::Model,
        period: &period::Model,
    ) -> Result<Self, ApiError> {
        let spec = crate::service::periods::spec_of(period)?;
        Ok(ReportDto {
            id: r.id,
            namnd_id: r.namnd_id,
            namnd: namnd.code.clone(),
            period_id: r.period_id,
            period: spec.label(),
            start_date: spec.start_date(),
            end_date: spec.end_date(),
            report_type: r.report_type,
            status: r.status,
            beslut_datum: r.beslut_datum,
            beslut_paragraf: r.beslut_paragraf.clone(),
            status_reason: r.status_reason.clone(),
            submitted_at: r.submitted_at,
            approved_at: r.approved_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    pub fn of(ctx: &ReportContext) -> Result<Self, ApiError> {
        Self::new(&ctx.report, &ctx.namnd, &ctx.period)
    }
}

/// A report with the parts asked for in `include`. Every part is always
/// present: a part asked for holds its content (an empty list when there is
/// none, never null); a part not asked for is null.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"report": {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON",
        "period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183", "period": "Helår 2024", "start_date": "2024-01-01", "end_date": "2024-12-31",
        "type": "arsredovisning", "status": "godkand", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
        "status_reason": null, "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z",
        "version": 3, "created_at": "2025-01-15T09:00:00Z", "updated_at": "2025-02-27T15:00:00Z"},
    "basis": "live", "decided_version": null, "changed_since_decision": null,
    "sections": [], "drift": null, "investering": null, "action_plans": [], "assessments": null,
    "assignment_statuses": null, "volume_measures": [], "key_figures": null, "indicators": null}))]
pub struct ReportDetail {
    pub report: ReportDto,
    /// `beslutad`: an approved report as its nämnd decided it (its latest
    /// decided version); `live`: today's figures (drafts, and `basis=live`).
    pub basis: crate::api::decided::Basis,
    /// The latest decided version of an approved report; null otherwise.
    pub decided_version: Option<crate::api::decided::VersionDto>,
    /// With `basis=beslutad`: whether today's figures differ from the
    /// decided ones (see `GET /reports/{id}/diff`).
    pub changed_since_decision: Option<bool>,
    /// `include=sections`: as `GET /reports/{id}/sections` lists them.
    pub sections: Option<Vec<SectionDto>>,
    /// `include=drift`: as `GET /reports/{id}/drift`.
    pub drift: Option<TableDto>,
    /// `include=investering`: as `GET /reports/{id}/investering`.
    pub investering: Option<TableDto>,
    /// `include=action_plans`: as `GET /reports/{id}/action-plans` lists them.
    pub action_plans: Option<Vec<ActionPlanDto>>,
    /// `include=assessments`: as `GET /reports/{id}/assessments`.
    pub assessments: Option<crate::api::assessments::AssessmentList>,
    /// `include=assignment_statuses`: as `GET /reports/{id}/assignment-statuses`.
    pub assignment_statuses: Option<crate::api::assignments::AssignmentStatusList>,
    /// `include=volume_measures`: the nämnd's volume measures for the
    /// report period (see `VolumeRow`).
    #[schema(value_type = Option<Vec<crate::api::volume_measures::VolumeRow>>)]
    pub volume_measures: Option<serde_json::Value>,
    /// `include=key_figures`: the nämnd's staff key figures, the report
    /// year and the year before (see `KeyFigureRow`).
    #[schema(value_type = Option<Vec<crate::api::key_figures::KeyFigureRow>>)]
    pub key_figures: Option<serde_json::Value>,
    /// `include=indicators`: the indicator values of the nämnd's goals for
    /// the report year, as `GET /indicators/table?year=…&namnd=…` shows them.
    pub indicators: Option<crate::api::indicators::AppendixDto>,
}

/// A part of a report that `include` adds to `GET /reports/{id}`, named
/// after the path it has as a resource of its own, in snake_case
/// (`/reports/{id}/action-plans` → `action_plans`, `/volume-measures` →
/// `volume_measures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(example = "drift")]
pub enum IncludePart {
    /// The narrative sections (`/reports/{id}/sections`).
    Sections,
    /// The driftredovisning (`/reports/{id}/drift`).
    Drift,
    /// The investeringsredovisning (`/reports/{id}/investering`).
    Investering,
    /// The åtgärdsplan (`/reports/{id}/action-plans`).
    ActionPlans,
    /// The bedömning of the nämnd's goals (`/reports/{id}/assessments`).
    Assessments,
    /// The status of the nämnd's uppdrag (`/reports/{id}/assignment-statuses`).
    AssignmentStatuses,
    /// The volume measures for the period (`/volume-measures`).
    VolumeMeasures,
    /// The staff key figures (`/key-figures`).
    KeyFigures,
    /// The indicator values behind the nämnd's goals (`/indicators`).
    Indicators,
}

impl IncludePart {
    pub const ALL: [IncludePart; 9] = [
        IncludePart::Sections,
        IncludePart::Drift,
        IncludePart::Investering,
        IncludePart::ActionPlans,
        IncludePart::Assessments,
        IncludePart::AssignmentStatuses,
        IncludePart::VolumeMeasures,
        IncludePart::KeyFigures,
        IncludePart::Indicators,
    ];

    /// The value in `include`, the member in the response and the part of
    /// a decided version.
    pub fn as_str(self) -> &'static str {
        match self {
            IncludePart::Sections => "sections",
            IncludePart::Drift => "drift",
            IncludePart::Investering => "investering",
            IncludePart::ActionPlans => "action_plans",
            IncludePart::Assessments => "assessments",
            IncludePart::AssignmentStatuses => "assignment_statuses",
            IncludePart::VolumeMeasures => "volume_measures",
            IncludePart::KeyFigures => "key_figures",
            IncludePart::Indicators => "indicators",
        }
    }

    /// The parts a query string asks for in `include` (comma-separated,
    /// repeated, or both), each once and in a stable order however often
    /// and in whatever order they are asked for.
    pub fn from_query(query: &str) -> Result<Vec<IncludePart>, ApiError> {
        let values = crate::api::common::query_values(query, "include");
        let mut parts = Vec::new();
        let names = values
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim);
        for name in names {
            if name.is_empty() {
                continue;
            }
            let Some(part) = Self::ALL.into_iter().find(|p| p.as_str() == name) else {
                let known: Vec<&str> = Self::ALL.iter().map(|p| p.as_str()).collect();
                return Err(ApiError::validation(
                    "include",
                    format!("unknown part {name:?}; use {}", known.join(", ")),
                ));
            };
            parts.push(part);
        }
        parts.sort_unstable();
        parts.dedup();
        Ok(parts)
    }
}
