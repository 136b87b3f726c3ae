//! A nämnd's assessment of the goals it answers for, per report: its
//! bedömning and comment, beside the bedömning suggested from the goals'
//! indicators for the report's year (`domain::suggest_goal_bedomning`).

use super::write::audited;
use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::{
    audit::Actor,
    goals::{self, GoalFull},
    indicators::{self, Derived, FigureValue, IndicatorData},
    reports::ReportContext,
};
use crate::{
    domain::{Bedomning, suggest_goal_bedomning},
    entity::assessment,
    service::error::{ServiceError, UniqueKey},
};

super::write::tenant_entity!(assessment, "assessment", "assessment");

const UQ: UniqueKey = UniqueKey {
    name: "uq_assessment_report_goal",
    table: "assessment",
    columns: &["report_id", "goal_id"],
};

/// A goal of the report's nämnd with its assessment (if made) and the
/// suggestion from its indicators.
pub struct AssessmentRow {
    pub goal: GoalFull,
    pub assessment: Option<assessment::Model>,
    pub suggested: Bedomning,
    /// The goal's indicators with their figures for the report year.
    pub indicators: Vec<(IndicatorData<FigureValue>, Derived)>,
}

/// Per goal: the suggested bedömning and the indicators behind it.
pub type Suggestions = HashMap<Uuid, (Bedomning, Vec<(IndicatorData<FigureValue>, Derived)>)>;

/// The suggestion for each goal from its indicators' final bedömning for
/// `year`, with the indicators' figures. Four queries whatever the number of
/// goals.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn suggestions(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    goals: &[GoalFull],
    year: i32,
) -> Result<Suggestions, ServiceError> {
    let ids: BTreeSet<Uuid> = goals
        .iter()
        .flat_map(|g| g.indicator_ids.iter().copied())
        .collect();
    let models = indicators::models_of(db, kommun_id, &ids).await?;
    let data: HashMap<Uuid, IndicatorData<FigureValue>> =
        indicators::load_figures(db, kommun_id, models, indicators::TargetYears::Only(year))
            .await?
            .into_iter()
            .map(|d| (d.model.id, d))
            .collect();
    let mut out = HashMap::new();
    for g in goals {
        let mut rows = Vec::new();
        for id in &g.indicator_ids {
            if let Some(d) = data.get(id) {
                let derived = indicators::derive(d, Some(year))?;
                rows.push((d.clone(), derived));
            }
        }
        let suggested = suggest_goal_bedomning(rows.iter().map(|(_, d)| d.bedomning.final_value()));
        out.insert(g.model.id, (suggested, rows));
    }
    Ok(out)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_report(
    db: &impl ConnectionTrait,
    ctx: &ReportContext,
) -> Result<Vec<AssessmentRow>, ServiceError> {
    let kommun_id = ctx.report.kommun_id;
    let goals = goals::of_namnd(db, kommun_id, ctx.namnd.id).await?;
    let mut assessments: HashMap<Uuid, assessment::Model> = assessment::Entity::find()
        .filter(assessment::Column::KommunId.eq(kommun_id))
        .filter(assessment::Column::ReportId.eq(ctx.report.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.goal_id, a))
        .collect();
    let mut suggestions = suggestions(db, kommun_id, &goals, ctx.spec.year).await?;
    Ok(goals
        .into_iter()
        .map(|goal| {
            let (suggested, indicators) = suggestions
                .remove(&goal.model.id)
                .unwrap_or((Bedomning::Ingen, Vec::new()));
            AssessmentRow {
                assessment: assessments.remove(&goal.model.id),
                suggested,
                indicators,
                goal,
            }
        })
        .collect())
}

/// Ids of the goals assessed with `bedomning` in the report.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn goals_with(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    report_id: Uuid,
    bedomning: Bedomning,
) -> Result<Vec<Uuid>, ServiceError> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::KommunId.eq(kommun_id))
        .filter(assessment::Column::ReportId.eq(report_id))
        .filter(assessment::Column::Bedomning.eq(bedomning))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.goal_id)
        .collect())
}

/// Creates or changes the nämnd's assessment of `goal_id` in the report
/// (the caller has authorized the write). Returns the row and whether it
/// was created. 422 when the nämnd does not answer for the goal; 412 when
/// `expected_version` is stale.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put(
    db: &DatabaseConnection,
    actor: &Actor,
    ctx: &ReportContext,
    goal_id: Uuid,
    bedomning: Bedomning,
    comment: String,
    expected_version: Option<i32>,
) -> Result<(assessment::Model, bool), ServiceError> {
    let kommun_id = ctx.report.kommun_id;
    audited(db, actor, async |w| {
        super::reports::lock_allowing(w, ctx.report.id, crate::auth::Action::Update).await?;
        let txn = w.db();
        let goal = super::linked::get::<goals::GoalFull>(txn, kommun_id, goal_id).await?;
        if !goal.concerns(ctx.namnd.id) {
            return Err(ServiceError::validation(
                "goal_id",
                format!(
                    "{} has neither huvudansvar nor medansvar for this goal",
                    ctx.namnd.code
                ),
            ));
        }
        let find = Condition::all()
            .add(assessment::Column::ReportId.eq(ctx.report.id))
            .add(assessment::Column::GoalId.eq(goal_id));
        let columns = assessment::ActiveModel {
            bedomning: Set(bedomning),
            comment: Set(comment),
            ..Default::default()
        };
        let keyed = async |mut row: assessment::ActiveModel| {
            row.report_id = Set(ctx.report.id);
            row.goal_id = Set(goal_id);
            Ok(row)
        };
        w.put_keyed(find, expected_version, (&UQ, "assessment"), columns, keyed)
            .await
    })
    .await
}
