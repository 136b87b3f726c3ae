//! Assignments (uppdrag) of the kommun plan with their responsible nämnder,
//! and per report the status each nämnd gives them.

use super::linked::{Linked, answered_by, link_table, read_links, replace_links};
use super::write::{Resource, audited};
use crate::service::checks::check_date;
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    audit::Actor,
    checks::{check_at_most, check_text},
    goals::{check_goal_area, check_responsibility, check_responsible},
    reports::ReportContext,
    search::any_contains_folded,
};
use crate::{
    entity::{assignment, assignment_namnd, assignment_status, goal},
    service::crud::PageRequest,
    service::error::{FieldError, ServiceError, UniqueKey},
};

super::write::tenant_entity!(assignment, "assignment", "assignment");
link_table!(assignment_namnd, AssignmentId => assignment_id, NamndId => namnd_id);
super::write::tenant_entity!(assignment_status, "assignment status", "assignment_status");

pub use crate::domain::structure::AssignmentStatus;

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentSpec {
    pub plan: Option<String>,
    pub goal_area_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub huvudansvar: Option<Uuid>,
    pub medansvariga: Vec<Uuid>,
    pub alla_namnder: bool,
    pub planned_start: Option<NaiveDate>,
    pub slutdatum: Option<NaiveDate>,
    pub sarskilt: bool,
    pub position: Option<i32>,
}

pub fn check_spec(spec: &AssignmentSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("title", &spec.title, 2000, &mut errors);
    check_at_most("plan", spec.plan.as_deref(), 200, &mut errors);
    check_responsibility(
        spec.huvudansvar,
        &spec.medansvariga,
        spec.alla_namnder,
        true,
        &mut errors,
    );
    check_date("start_date", spec.planned_start, &mut errors);
    check_date("end_date", spec.slutdatum, &mut errors);
    if let (Some(s), Some(e)) = (spec.planned_start, spec.slutdatum)
        && s > e
    {
        errors.push(FieldError::new("end_date", "must not be before start_date"));
    }
    errors
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignmentFull {
    pub model: assignment::Model,
    pub medansvariga: Vec<Uuid>,
}

impl Resource for AssignmentFull {
    const TYPE: &'static str = "assignment";
    fn resource_id(&self) -> Uuid {
        self.model.id
    }
}

impl AssignmentFull {
    pub fn concerns(&self, namnd_id: Uuid) -> bool {
        self.model.alla_namnder
            || self.model.huvudansvar_id == Some(namnd_id)
            || self.medansvariga.contains(&namnd_id)
    }

    pub fn spec(&self) -> AssignmentSpec {
        let m = &self.model;
        AssignmentSpec {
            plan: m.plan.clone(),
            goal_area_id: m.goal_area_id,
            goal_id: m.goal_id,
            title: m.title.clone(),
            description: m.description.clone(),
            huvudansvar: m.huvudansvar_id,
            medansvariga: self.medansvariga.clone(),
            alla_namnder: m.alla_namnder,
            planned_start: m.planned_start,
            slutdatum: m.slutdatum,
            sarskilt: m.sarskilt,
            position: Some(m.position),
        }
    }
}

impl Linked for AssignmentFull {
    type Entity = assignment::Entity;
    type Spec = AssignmentSpec;

    /// Attaches the medansvariga (one query).
    async fn with_links(
        db: &impl ConnectionTrait,
        kommun_id: Uuid,
        models: Vec<assignment::Model>,
    ) -> Result<Vec<AssignmentFull>, ServiceError> {
        let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
        let mut links = read_links::<assignment_namnd::Entity>(db, kommun_id, &ids).await?;
        Ok(models
            .into_iter()
            .map(|model| AssignmentFull {
                medansvariga: links.remove(&model.id).unwrap_or_default(),
                model,
            })
            .collect())
    }

    async fn check_refs(
        txn: &DatabaseTransaction,
        kommun_id: Uuid,
        _: Option<Uuid>,
        spec: &AssignmentSpec,
    ) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        check_goal_area(txn, kommun_id, spec.goal_area_id, &mut errors).await?;
        if let Some(g) = spec.goal_id
            && super::crud::find::<goal::Entity>(txn, kommun_id, g)
                .await?
                .is_none()
        {
            errors.push(FieldError::new(
                "goal_id",
                format!("no goal with id {g} in this kommun"),
            ));
        }
        let (huvudansvar, medansvariga) = (spec.huvudansvar, &spec.medansvariga);
        check_responsible(txn, kommun_id, huvudansvar, medansvariga, &mut errors).await?;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(errors))
        }
    }

    fn columns(spec: &AssignmentSpec) -> Result<assignment::ActiveModel, ServiceError> {
        Ok(assignment::ActiveModel {
            plan: Set(spec.plan.clone()),
            goal_area_id: Set(spec.goal_area_id),
            goal_id: Set(spec.goal_id),
            title: Set(spec.title.clone()),
            description: Set(spec.description.clone()),
            huvudansvar_id: Set(spec.huvudansvar),
            alla_namnder: Set(spec.alla_namnder),
            planned_start: Set(spec.planned_start),
            slutdatum: Set(spec.slutdatum),
            sarskilt: Set(spec.sarskilt),
            ..Default::default()
        })
    }

    fn position(spec: &AssignmentSpec) -> Option<i32> {
        spec.position
    }

    async fn write_links(
        txn: &DatabaseTransaction,
        kommun_id: Uuid,
        id: Uuid,
        spec: &AssignmentSpec,
    ) -> Result<(), ServiceError> {
        let namnder = &spec.medansvariga;
        replace_links::<assignment_namnd::Entity>(txn, kommun_id, id, namnder).await
    }
}

#[derive(Default)]
pub struct AssignmentFilter {
    pub goal_area_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    pub namnd_id: Option<Uuid>,
    pub sarskilt: Option<bool>,
    pub q: Option<String>,
}

async fn condition(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &AssignmentFilter,
) -> Result<Condition, ServiceError> {
    let mut condition = Condition::all();
    if let Some(a) = filter.goal_area_id {
        condition = condition.add(assignment::Column::GoalAreaId.eq(a));
    }
    if let Some(g) = filter.goal_id {
        condition = condition.add(assignment::Column::GoalId.eq(g));
    }
    if let Some(s) = filter.sarskilt {
        condition = condition.add(assignment::Column::Sarskilt.eq(s));
    }
    if let Some(q) = &filter.q {
        let columns = [assignment::Column::Title, assignment::Column::Description];
        condition = condition.add(any_contains_folded(db.get_database_backend(), columns, q));
    }
    if let Some(n) = filter.namnd_id {
        let columns = [
            assignment::Column::HuvudansvarId,
            assignment::Column::AllaNamnder,
            assignment::Column::Id,
        ];
        let answered = answered_by::<assignment_namnd::Entity, _>(db, kommun_id, columns, n);
        condition = condition.add(answered.await?);
    }
    Ok(condition)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &AssignmentFilter,
    page: &PageRequest,
) -> Result<(Vec<AssignmentFull>, Option<Uuid>), ServiceError> {
    let condition = condition(db, kommun_id, filter).await?;
    let (rows, next) =
        super::crud::list::<assignment::Entity>(db, kommun_id, condition, page).await?;
    Ok((AssignmentFull::with_links(db, kommun_id, rows).await?, next))
}

// ---------------------------------------------------------------------------
// Statuses per report

pub struct StatusRow {
    pub assignment: AssignmentFull,
    pub status: Option<assignment_status::Model>,
}

/// Every assignment the report's nämnd answers for, with its status in the
/// report (three queries).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_report(
    db: &impl ConnectionTrait,
    ctx: &ReportContext,
) -> Result<Vec<StatusRow>, ServiceError> {
    let kommun_id = ctx.report.kommun_id;
    let filter = AssignmentFilter {
        namnd_id: Some(ctx.namnd.id),
        ..Default::default()
    };
    let condition = condition(db, kommun_id, &filter).await?;
    let rows = assignment::Entity::find()
        .filter(assignment::Column::KommunId.eq(kommun_id))
        .filter(condition)
        .order_by_asc(assignment::Column::Position)
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    let assignments = AssignmentFull::with_links(db, kommun_id, rows).await?;
    let mut statuses: HashMap<Uuid, assignment_status::Model> = assignment_status::Entity::find()
        .filter(assignment_status::Column::KommunId.eq(kommun_id))
        .filter(assignment_status::Column::ReportId.eq(ctx.report.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.assignment_id, s))
        .collect();
    Ok(assignments
        .into_iter()
        .map(|a| StatusRow {
            status: statuses.remove(&a.model.id),
            assignment: a,
        })
        .collect())
}

const UQ_STATUS: UniqueKey = UniqueKey {
    name: "uq_assignment_status_report_assignment",
    table: "assignment_status",
    columns: &["report_id", "assignment_id"],
};

/// Creates or changes the report nämnd's status of an assignment.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_status(
    db: &DatabaseConnection,
    actor: &Actor,
    ctx: &ReportContext,
    assignment_id: Uuid,
    status: Option<AssignmentStatus>,
    comment: Option<String>,
    expected_version: Option<i32>,
) -> Result<(assignment_status::Model, bool), ServiceError> {
    let kommun_id = ctx.report.kommun_id;
    audited(db, actor, async |w| {
        super::reports::lock_allowing(w, ctx.report.id, crate::auth::Action::Update).await?;
        let txn = w.db();
        let a = super::linked::get::<AssignmentFull>(txn, kommun_id, assignment_id).await?;
        if !a.concerns(ctx.namnd.id) {
            return Err(ServiceError::validation(
                "assignment_id",
                format!("{} is not responsible for this assignment", ctx.namnd.code),
            ));
        }
        let find = Condition::all()
            .add(assignment_status::Column::ReportId.eq(ctx.report.id))
            .add(assignment_status::Column::AssignmentId.eq(assignment_id));
        let columns = assignment_status::ActiveModel {
            status: Set(status),
            comment: Set(comment),
            ..Default::default()
        };
        let keyed = async |mut row: assignment_status::ActiveModel| {
            row.report_id = Set(ctx.report.id);
            row.assignment_id = Set(assignment_id);
            Ok(row)
        };
        let key = (&UQ_STATUS, "status");
        w.put_keyed(find, expected_version, key, columns, keyed)
            .await
    })
    .await
}
