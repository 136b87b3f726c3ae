//! The process calendar: a kommun's deadlines per period and report type,
//! written through the one write path, and where each nämnd stands
//! against them (derived on read from its report's dates).

use super::write::{Columns, NewRow, RowChanges};
use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{
    crud::{self, PageRequest},
    error::ServiceError,
    write::Write,
};
use crate::{
    domain::{
        process::{DeadlineKind, DeadlineState, deadline_state},
        structure::ReportType,
    },
    entity::{deadline, namnd, period, report},
};

super::write::tenant_entity!(deadline, "deadline", "deadline");

/// A new deadline.
pub struct DeadlineSpec {
    pub period_id: Uuid,
    pub report_type: ReportType,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    pub namnd_id: Option<Uuid>,
}

/// 422 unless the period and nämnd are the kommun's, the report type is
/// made for the period, and a KS or KF date names no nämnd.
async fn check(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    spec: &DeadlineSpec,
) -> Result<(), ServiceError> {
    let period =
        crud::get_named::<period::Entity>(db, kommun_id, spec.period_id, "period_id").await?;
    let kind = super::periods::spec_of(&period)?.kind;
    if !spec.report_type.period_kinds().contains(&kind) {
        return Err(ServiceError::validation(
            "report_type",
            format!(
                "a {} is not made for a period of kind {kind}",
                spec.report_type
            ),
        ));
    }
    if let Some(namnd_id) = spec.namnd_id {
        if !spec.kind.is_namnd_step() {
            return Err(ServiceError::validation(
                "namnd_id",
                format!("{} is a date of the kommun, not of one nämnd", spec.kind),
            ));
        }
        crud::get_named::<namnd::Entity>(db, kommun_id, namnd_id, "namnd_id").await?;
    }
    Ok(())
}

impl NewRow for DeadlineSpec {
    type Entity = deadline::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<deadline::Model, ServiceError> {
        check(w.db(), w.kommun_id(), &self).await?;
        w.insert_new(deadline::ActiveModel {
            period_id: Set(self.period_id),
            report_type: Set(self.report_type),
            kind: Set(self.kind),
            due_date: Set(self.due_date),
            namnd_id: Set(self.namnd_id),
            ..Default::default()
        })
        .await
    }
}

/// Moves a deadline to another date (the only thing that changes; another
/// kind or period is another deadline).
pub struct DeadlineChanges {
    pub due_date: Option<NaiveDate>,
}

impl RowChanges for DeadlineChanges {
    type Entity = deadline::Entity;

    async fn columns(self, _: &Write<'_>, _: &deadline::Model) -> Columns<Self> {
        Ok(deadline::ActiveModel {
            due_date: self.due_date.map(Set).unwrap_or(NotSet),
            ..Default::default()
        })
    }
}

/// One page of the kommun's deadlines, optionally of one period and type.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Option<Uuid>,
    report_type: Option<ReportType>,
    page: &PageRequest,
) -> Result<(Vec<deadline::Model>, Option<Uuid>), ServiceError> {
    let mut condition = Condition::all();
    if let Some(p) = period_id {
        condition = condition.add(deadline::Column::PeriodId.eq(p));
    }
    if let Some(t) = report_type {
        condition = condition.add(deadline::Column::ReportType.eq(t));
    }
    crud::list::<deadline::Entity>(db, kommun_id, condition, page).await
}

/// Every deadline of a period and report type.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_period(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: ReportType,
) -> Result<Vec<deadline::Model>, ServiceError> {
    Ok(deadline::Entity::find()
        .filter(deadline::Column::KommunId.eq(kommun_id))
        .filter(deadline::Column::PeriodId.eq(period_id))
        .filter(deadline::Column::ReportType.eq(report_type))
        .order_by_asc(deadline::Column::DueDate)
        .order_by_asc(deadline::Column::Id)
        .all(db)
        .await?)
}

/// A nämnd against one of its deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamndDeadline {
    pub deadline_id: Uuid,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    /// When the nämnd met it, if it has.
    pub met_on: Option<NaiveDate>,
    pub state: DeadlineState,
    pub days_late: Option<i64>,
}

/// The date a report meets a step on.
fn met_on(kind: DeadlineKind, report: Option<&report::Model>) -> Option<NaiveDate> {
    let report = report?;
    match kind {
        DeadlineKind::Underlag => report.submitted_at.map(|t| t.date_naive()),
        DeadlineKind::Namndbeslut => report.beslut_datum,
        DeadlineKind::Inlamning => report.approved_at.map(|t| t.date_naive()),
        DeadlineKind::Ks | DeadlineKind::Kf => None,
    }
}

/// Where nämnd `namnd_id` with `report` stands against `deadlines` (those
/// of its period and type) as of `today`: per nämnd step, its own deadline
/// where it has one, else the kommun's.
pub fn namnd_deadlines(
    deadlines: &[deadline::Model],
    namnd_id: Uuid,
    report: Option<&report::Model>,
    today: NaiveDate,
) -> Vec<NamndDeadline> {
    let mut out = Vec::new();
    for kind in DeadlineKind::ALL
        .iter()
        .copied()
        .filter(|k| k.is_namnd_step())
    {
        let of_kind = deadlines.iter().filter(|d| d.kind == kind);
        let chosen = of_kind
            .clone()
            .find(|d| d.namnd_id == Some(namnd_id))
            .or_else(|| of_kind.clone().find(|d| d.namnd_id.is_none()));
        let Some(d) = chosen else { continue };
        let met = met_on(kind, report);
        let (state, days_late) = deadline_state(d.due_date, met, today);
        out.push(NamndDeadline {
            deadline_id: d.id,
            kind,
            due_date: d.due_date,
            met_on: met,
            state,
            days_late,
        });
    }
    out
}
