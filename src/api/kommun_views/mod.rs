//! `/api/v1/kommun/…`: consolidated, read-only views over every nämnd for
//! the kommunledningsförvaltning (kommunledning, admin, revisor), as JSON or
//! as CSV for Excel (`?format=csv`).

pub mod forecasts;
pub mod plan;
pub mod submission_view;
pub mod tables;

pub use forecasts::forecast_accuracy;
pub use plan::{assignment_overview, goal_matrix, indicator_overview};
pub use submission_view::submissions;
pub use tables::kommun_table;

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::read_cache::Snapshot;
use crate::{
    auth::{Action, Principal, authorize},
    domain::{ReportPeriod, structure::PeriodSpec},
    error::ApiError,
    service::kommun_views as views,
    state::AppState,
};

/// JSON (default) or CSV for Excel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "csv")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

/// Authorises a kommun view, takes the kommun's change number (before
/// anything the view shows is read: see [`Snapshot`]) and reads the period.
async fn view_period(
    state: &AppState,
    principal: &Principal,
    period_id: Uuid,
) -> Result<(Uuid, PeriodSpec, ReportPeriod, Snapshot), ApiError> {
    authorize(
        principal,
        Action::Read,
        crate::api::resource::consolidated_target(principal),
    )?;
    let kommun_id = principal.require_kommun()?;
    let snapshot = Snapshot::take(state, kommun_id).await?;
    let (spec, report_period) = views::view_period(&state.db, kommun_id, period_id).await?;
    Ok((kommun_id, spec, report_period, snapshot))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(submissions)
        .service(forecast_accuracy)
        .service(goal_matrix)
        .service(indicator_overview)
        .service(assignment_overview)
        .service(kommun_table);
}
