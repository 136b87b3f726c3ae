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

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::csv;
use super::read_cache::{Answer, Snapshot, json, request_key};
use super::resource::Ctx;
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

/// A view of one period and report type.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodViewQuery {
    pub period_id: Uuid,
    /// The report type whose reports (and their assessments and statuses)
    /// are shown.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub report_type: crate::domain::structure::ReportType,
    pub format: Option<Format>,
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

/// What a view of one period of the kommun is made from.
struct PeriodView {
    req: HttpRequest,
    state: web::Data<AppState>,
    kommun_id: Uuid,
    period_id: Uuid,
    spec: PeriodSpec,
    period: ReportPeriod,
}

/// Answers a view of one period: authorised, then the kept answer when the
/// kommun has not changed since it was made, else `produce`'s. The answer
/// is kept by the request (path, query, `Accept`) and `also`, what else it
/// depends on.
async fn period_view(
    cx: Ctx,
    period_id: Uuid,
    also: &str,
    produce: impl AsyncFnOnce(&PeriodView) -> Result<Answer, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let (kommun_id, spec, period, snapshot) = view_period(&state, &principal, period_id).await?;
    let key = request_key(&req) + also;
    let view = PeriodView {
        req,
        state,
        kommun_id,
        period_id,
        spec,
        period,
    };
    snapshot
        .respond(&view.req, &view.state, key, || produce(&view))
        .await
}

/// A view's answer as asked for (`?format=`, else `Accept`): `body` as
/// JSON, or the CSV document `file` with `headers` and the rows `cells`
/// makes.
fn json_or_csv<T: Serialize>(
    req: &HttpRequest,
    format: Option<Format>,
    body: &T,
    (file, headers): (&str, &[&str]),
    cells: impl FnOnce() -> Vec<Vec<String>>,
) -> Result<Answer, ApiError> {
    if csv::wanted(req, format.map(|f| f == Format::Csv))? {
        return Ok(csv::answer(file, headers, &cells()));
    }
    json(body)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(submissions)
        .service(forecast_accuracy)
        .service(goal_matrix)
        .service(indicator_overview)
        .service(assignment_overview)
        .service(kommun_table);
}
