//! Parts of a report computed by other resources (volume measures, staff
//! key figures, the indicator appendix).

use super::{indicators::AppendixDto, key_figures::KeyFigureRow, volume_measures::VolumeRow};
use crate::error::ServiceError;
use crate::{
    error::ApiError,
    service::{key_figures, reports::ReportContext, volumes},
};

fn json<T: serde::Serialize>(rows: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(rows)
        .map_err(|e| ApiError::Service(ServiceError::Unexpected(format!("serialise: {e}"))))
}

/// Volymmått for the report period: period value, prognos, the same period
/// last year and the whole last year.
pub async fn volume_measures(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &ReportContext,
) -> Result<serde_json::Value, ApiError> {
    let rows =
        volumes::volume_rows(db, ctx.report.kommun_id, ctx.namnd.id, ctx.report_period()?).await?;
    json(&rows.into_iter().map(VolumeRow::from).collect::<Vec<_>>())
}

/// Staff key figures of the report year and the year before.
pub async fn key_figures(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &ReportContext,
) -> Result<serde_json::Value, ApiError> {
    let rows =
        key_figures::key_figure_rows(db, ctx.report.kommun_id, ctx.namnd.id, ctx.spec.year).await?;
    json(&rows.into_iter().map(KeyFigureRow::from).collect::<Vec<_>>())
}

/// The indicator values behind the nämnd's goals for the report year, as
/// the appendix of an årsredovisning shows them.
pub async fn indicators(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &ReportContext,
) -> Result<AppendixDto, ApiError> {
    use chrono::Datelike;
    super::indicators::appendix_table(
        db,
        ctx.report.kommun_id,
        Some(ctx.period.end_date.year()),
        None,
        Some(&ctx.namnd.code),
    )
    .await
}
