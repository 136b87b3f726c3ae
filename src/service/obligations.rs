//! Obligation rules and the obligations they create, derived on read.
//!
//! A rule of the kommun ("helårsprognos below −X % or −N kr of budget →
//! åtgärdsplan within D days of approval") applies to every approved
//! report whose drift total (today's figures) deviates that far. The
//! obligation is due D days after the report's approval and is met by the
//! first åtgärdsplan of the nämnd: one on the report itself (met at its
//! approval at the earliest), or one on a later report of the nämnd made
//! after the approval (the approved report is locked; the measures come in
//! the next one).

use super::write::{Columns, NewRow, RowChanges};
use std::str::FromStr;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{
    budget_lines,
    crud::{self, PageRequest},
    error::ServiceError,
    reports::{self, ReportContext},
    write::Write,
};
use crate::{
    domain::{
        BudgetLineKind,
        process::{DeadlineState, ObligationRule, deadline_state, obliges},
        structure::ReportStatus,
    },
    entity::{action_plan, obligation_rule, report},
};

super::write::tenant_entity!(obligation_rule, "obligation rule", "obligation_rule");

/// A rule as given (already checked).
pub struct RuleSpec {
    pub name: String,
    pub min_deviation_percent: Option<Decimal>,
    pub min_deviation_kr: Option<i64>,
    pub within_days: u32,
}

pub fn domain_rule(m: &obligation_rule::Model) -> Result<ObligationRule, ServiceError> {
    let percent = m
        .min_deviation_percent
        .as_deref()
        .map(Decimal::from_str)
        .transpose()
        .map_err(|e| ServiceError::Unexpected(format!("stored percent: {e}")))?;
    Ok(ObligationRule {
        min_percent: percent,
        min_kr: m.min_deviation_kr.map(Decimal::from),
        within_days: u32::try_from(m.within_days).unwrap_or(0),
    })
}

impl NewRow for RuleSpec {
    type Entity = obligation_rule::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<obligation_rule::Model, ServiceError> {
        w.insert_new(obligation_rule::ActiveModel {
            name: Set(self.name),
            min_deviation_percent: Set(self
                .min_deviation_percent
                .map(|d| d.normalize().to_string())),
            min_deviation_kr: Set(self.min_deviation_kr),
            within_days: Set(i32::try_from(self.within_days).unwrap_or(i32::MAX)),
            ..Default::default()
        })
        .await
    }
}

/// Changes; `None` leaves a field, `Some(None)` clears a threshold.
#[derive(Default)]
pub struct RuleChanges {
    pub name: Option<String>,
    pub min_deviation_percent: Option<Option<Decimal>>,
    pub min_deviation_kr: Option<Option<i64>>,
    pub within_days: Option<u32>,
}

impl RowChanges for RuleChanges {
    type Entity = obligation_rule::Entity;

    async fn columns(self, _: &Write<'_>, current: &obligation_rule::Model) -> Columns<Self> {
        let percent = match self.min_deviation_percent {
            Some(p) => Some(p),
            None => domain_rule(current)?.min_percent.map(Some),
        };
        let kr = self.min_deviation_kr.unwrap_or(current.min_deviation_kr);
        if percent.flatten().is_none() && kr.is_none() {
            return Err(ServiceError::validation(
                "min_deviation_percent",
                "a rule needs min_deviation_percent or min_deviation_kr",
            ));
        }
        let active = obligation_rule::ActiveModel {
            name: self.name.map(Set).unwrap_or(NotSet),
            min_deviation_percent: self
                .min_deviation_percent
                .map(|p| Set(p.map(|d| d.normalize().to_string())))
                .unwrap_or(NotSet),
            min_deviation_kr: self.min_deviation_kr.map(Set).unwrap_or(NotSet),
            within_days: self
                .within_days
                .map(|d| Set(i32::try_from(d).unwrap_or(i32::MAX)))
                .unwrap_or(NotSet),
            ..Default::default()
        };
        Ok(active)
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    page: &PageRequest,
) -> Result<(Vec<obligation_rule::Model>, Option<Uuid>), ServiceError> {
    crud::list::<obligation_rule::Entity>(db, kommun_id, Condition::all(), page).await
}

/// An obligation of an approved report under one rule.
#[derive(Debug, Clone)]
pub struct Obligation {
    pub rule_id: Uuid,
    pub rule_name: String,
    pub report_id: Uuid,
    pub namnd_id: Uuid,
    pub namnd: String,
    /// When the report was approved.
    pub approved_at: chrono::DateTime<Utc>,
    /// helårsprognos − helårsbudget of the drift total, kronor.
    pub prognos_avvikelse: Decimal,
    pub prognos_avvikelse_procent: Option<Decimal>,
    pub due_date: NaiveDate,
    pub met_on: Option<NaiveDate>,
    /// The åtgärdsplan that met it.
    pub action_plan_id: Option<Uuid>,
    pub state: DeadlineState,
    pub days_late: Option<i64>,
}

impl Obligation {
    pub fn is_open(&self) -> bool {
        matches!(self.state, DeadlineState::Missing | DeadlineState::Pending)
    }
}

/// The first åtgärdsplan that meets an obligation of `report` approved on
/// `approved`: on the report itself, or on a later report of its nämnd.
async fn first_plan(
    db: &impl ConnectionTrait,
    report: &report::Model,
    approved: chrono::DateTime<Utc>,
) -> Result<Option<(Uuid, NaiveDate)>, ServiceError> {
    let later: Vec<Uuid> = report::Entity::find()
        .filter(report::Column::KommunId.eq(report.kommun_id))
        .filter(report::Column::NamndId.eq(report.namnd_id))
        .filter(report::Column::CreatedAt.gte(approved))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let own = action_plan::Entity::find()
        .filter(action_plan::Column::KommunId.eq(report.kommun_id))
        .filter(action_plan::Column::ReportId.eq(report.id))
        .order_by_asc(action_plan::Column::CreatedAt)
        .one(db)
        .await?
        .map(|p| (p.id, p.created_at.max(approved).date_naive()));
    let after = if later.is_empty() {
        None
    } else {
        action_plan::Entity::find()
            .filter(action_plan::Column::KommunId.eq(report.kommun_id))
            .filter(action_plan::Column::ReportId.is_in(later))
            .filter(action_plan::Column::CreatedAt.gte(approved))
            .order_by_asc(action_plan::Column::CreatedAt)
            .one(db)
            .await?
            .map(|p| (p.id, p.created_at.date_naive()))
    };
    Ok(match (own, after) {
        (Some(a), Some(b)) => Some(if a.1 <= b.1 { a } else { b }),
        (a, b) => a.or(b),
    })
}

/// The obligations of a report under the kommun's `rules` (none unless it
/// is approved), as of `today`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_report(
    db: &impl ConnectionTrait,
    ctx: &ReportContext,
    rules: &[obligation_rule::Model],
    today: NaiveDate,
) -> Result<Vec<Obligation>, ServiceError> {
    let approved = match (ctx.status, ctx.report.approved_at) {
        (ReportStatus::Godkand, Some(at)) => at,
        _ => return Ok(vec![]),
    };
    if rules.is_empty() {
        return Ok(vec![]);
    }
    let table = budget_lines::report_table(
        db,
        ctx.namnd.id,
        BudgetLineKind::Drift,
        ctx.report_period()?,
    )
    .await?;
    let deviation = table.total.prognos_avvikelse.map(|a| a.0);
    let budget = table.total.helarsbudget.map(|a| a.0);
    let mut out = Vec::new();
    let mut plan = None;
    for rule in rules {
        let Some((kr, percent)) = obliges(&domain_rule(rule)?, deviation, budget) else {
            continue;
        };
        if plan.is_none() {
            plan = Some(first_plan(db, &ctx.report, approved).await?);
        }
        let met = plan.flatten();
        let due = approved.date_naive() + chrono::Duration::days(i64::from(rule.within_days));
        let (state, days_late) = deadline_state(due, met.map(|m| m.1), today);
        out.push(Obligation {
            rule_id: rule.id,
            rule_name: rule.name.clone(),
            report_id: ctx.report.id,
            namnd_id: ctx.namnd.id,
            namnd: ctx.namnd.code.clone(),
            approved_at: approved,
            prognos_avvikelse: kr,
            prognos_avvikelse_procent: percent.map(|p| p.round_dp(1)),
            due_date: due,
            met_on: met.map(|m| m.1),
            action_plan_id: met.map(|m| m.0),
            state,
            days_late,
        });
    }
    Ok(out)
}

/// Every rule of the kommun.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rules_of(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<Vec<obligation_rule::Model>, ServiceError> {
    Ok(obligation_rule::Entity::find()
        .filter(obligation_rule::Column::KommunId.eq(kommun_id))
        .order_by_asc(obligation_rule::Column::Id)
        .all(db)
        .await?)
}

/// The obligations of every approved report of the kommun (only the open
/// ones unless `all`), by due date.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_kommun(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    all: bool,
    today: NaiveDate,
) -> Result<Vec<Obligation>, ServiceError> {
    let rules = rules_of(db, kommun_id).await?;
    if rules.is_empty() {
        return Ok(vec![]);
    }
    let approved = report::Entity::find()
        .filter(report::Column::KommunId.eq(kommun_id))
        .filter(report::Column::Status.eq(ReportStatus::Godkand))
        .order_by_asc(report::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for r in approved {
        let ctx = reports::context_of(db, r).await?;
        out.extend(
            of_report(db, &ctx, &rules, today)
                .await?
                .into_iter()
                .filter(|o| all || o.is_open()),
        );
    }
    out.sort_by_key(|a| (a.due_date, a.report_id));
    Ok(out)
}
