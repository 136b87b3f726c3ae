//! Reports: creation with the standard sections, the workflow, sections and
//! action plans. Every write records an audit entry in its transaction.

use super::{
    versions,
    write::{Write, audited},
};
use crate::service::search::in_byte_order;
use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::Actor;
use crate::{
    auth::{Action, Principal, ReportState, Target, policy::state_allows},
    domain::structure::{PeriodSpec, ReportStatus, ReportType},
    entity::{action_plan, namnd, period, report, report_section, report_version},
    service::crud::PageRequest,
    service::error::{ServiceError, UniqueKey, unique_violation},
    service::{crud, periods},
};

super::write::tenant_entity!(report, "report", "report", before_delete = refuse_decided);
super::write::tenant_entity!(report_section, "section", "report_section");
super::write::tenant_entity!(
    action_plan,
    "action plan",
    "action_plan",
    before_delete = in_a_draft
);

const UQ_SECTION: UniqueKey = UniqueKey {
    name: "uq_report_section_report_key",
    table: "report_section",
    columns: &["report_id", "key"],
};

const UQ_REPORT: UniqueKey = UniqueKey {
    name: "uq_report_namnd_period_type",
    table: "report",
    columns: &["namnd_id", "period_id", "report_type"],
};

/// A report with the nämnd and period it belongs to.
#[derive(Debug, Clone)]
pub struct ReportContext {
    pub report: report::Model,
    pub namnd: namnd::Model,
    pub period: period::Model,
    pub spec: PeriodSpec,
    pub report_type: ReportType,
    pub status: ReportStatus,
}

impl ReportContext {
    pub fn state(&self) -> ReportState {
        state_of(self.status)
    }

    pub fn target<'a>(&'a self, principal: &'a Principal) -> Target<'a> {
        Target::Report {
            kommun: &principal.kommun_code,
            namnd: &self.namnd.code,
            state: self.state(),
        }
    }

    /// The domain's view of the report period.
    pub fn report_period(&self) -> Result<crate::domain::ReportPeriod, ServiceError> {
        let (first, last) = self.spec.months();
        crate::domain::ReportPeriod::new(self.spec.year, first, last)
            .map_err(|e| ServiceError::Unexpected(format!("report period: {e}")))
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn context_of(
    db: &impl ConnectionTrait,
    report: report::Model,
) -> Result<ReportContext, ServiceError> {
    let namnd = crud::get::<namnd::Entity>(db, report.kommun_id, report.namnd_id).await?;
    let period = crud::get::<period::Entity>(db, report.kommun_id, report.period_id).await?;
    Ok(ReportContext {
        spec: periods::spec_of(&period)?,
        report_type: report.report_type,
        status: report.status,
        report,
        namnd,
        period,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<ReportContext, ServiceError> {
    // One round trip: every read and write of a report starts here.
    let found = report::Entity::find_by_id(id)
        .filter(report::Column::KommunId.eq(kommun_id))
        .find_also_related(namnd::Entity)
        .find_also_related(period::Entity)
        .one(db)
        .await?;
    match found {
        Some((report, Some(namnd), Some(period))) => Ok(ReportContext {
            spec: periods::spec_of(&period)?,
            report_type: report.report_type,
            status: report.status,
            report,
            namnd,
            period,
        }),
        // Not found (or, against the foreign keys, without its nämnd or
        // period): the usual lookups say which.
        Some((report, _, _)) => context_of(db, report).await,
        None => context_of(db, crud::get::<report::Entity>(db, kommun_id, id).await?).await,
    }
}

/// Creates a report in `utkast` with the standard sections of its type.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    namnd: &namnd::Model,
    period: &period::Model,
    report_type: ReportType,
) -> Result<report::Model, ServiceError> {
    let spec = periods::spec_of(period)?;
    if !report_type.period_kinds().contains(&spec.kind) {
        let kinds: Vec<&str> = report_type
            .period_kinds()
            .iter()
            .map(|k| k.as_str())
            .collect();
        return Err(ServiceError::validation(
            "period_id",
            format!(
                "a {report_type} is made for a period of kind {}; {} is {}",
                kinds.join(" or "),
                spec.label(),
                spec.kind
            ),
        ));
    }
    audited(db, actor, async |w| {
        let txn = w.db();
        let id = Uuid::now_v7();
        let model = report::ActiveModel {
            id: Set(id),
            namnd_id: Set(namnd.id),
            period_id: Set(period.id),
            report_type: Set(report_type),
            status: Set(ReportStatus::Utkast),
            beslut_datum: Set(None),
            beslut_paragraf: Set(None),
            status_reason: Set(None),
            submitted_at: Set(None),
            approved_at: Set(None),
            diarienummer: Set(None),
            ..Default::default()
        };
        let created = report::Entity::insert(crud::new_row(model, actor.kommun_id)?)
            .exec_with_returning(txn)
            .await
            .map_err(|e| match unique_violation(e, &UQ_REPORT, "type", "") {
                ServiceError::Taken(_) => ServiceError::Conflict(format!(
                    "{} already has a {report_type} for {}",
                    namnd.code,
                    spec.label()
                )),
                other => other,
            })?;
        let sections = report_type
            .standard_sections()
            .iter()
            .enumerate()
            .map(|(i, (key, title))| {
                let section = report_section::ActiveModel {
                    report_id: Set(id),
                    key: Set((*key).into()),
                    title: Set((*title).into()),
                    body: Set(String::new()),
                    position: Set(i as i32 + 1),
                    ..Default::default()
                };
                crud::new_row(section, actor.kommun_id)
            })
            .collect::<Result<Vec<_>, _>>()?;
        report_section::Entity::insert_many(sections)
            .exec_without_returning(txn)
            .await?;
        w.created(&created)?;
        Ok(created)
    })
    .await
}

/// A workflow step: the new status and what is recorded with it.
pub enum Transition {
    Submit,
    Approve {
        beslut_datum: NaiveDate,
        beslut_paragraf: String,
        diarienummer: Option<String>,
    },
    Return {
        reason: String,
    },
    Reopen {
        reason: String,
    },
}

impl Transition {
    /// The action the policy checks for this step.
    fn action(&self) -> Action {
        match self {
            Transition::Submit => Action::Submit,
            Transition::Approve { .. } => Action::Approve,
            Transition::Return { .. } => Action::Return,
            Transition::Reopen { .. } => Action::Reopen,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve { .. } => "approve",
            Transition::Return { .. } => "return",
            Transition::Reopen { .. } => "reopen",
        }
    }
}

/// The policy's name for a report's status.
fn state_of(status: ReportStatus) -> ReportState {
    match status {
        ReportStatus::Utkast => ReportState::Utkast,
        ReportStatus::ForBeslut => ReportState::ForBeslut,
        ReportStatus::Godkand => ReportState::Godkand,
    }
}

/// Report `report_id` as it is inside this write, locked until the write
/// commits (PostgreSQL; SQLite writes one at a time), once its state still
/// allows `action` (409 otherwise). The policy checked the state before the
/// write began; checking it again on the row the write holds means that a
/// part written while someone submits or approves the report at the same
/// moment does not land in a report that is no longer a draft (nor after
/// its decided version was frozen), and that of two steps at once only one
/// is taken, the other told why.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lock_allowing(
    w: &Write<'_>,
    report_id: Uuid,
    action: Action,
) -> Result<report::Model, ServiceError> {
    let report = crud::get_locked::<report::Entity>(w.db(), w.kommun_id(), report_id).await?;
    state_allows(action, state_of(report.status))?;
    Ok(report)
}

/// Applies a workflow step the policy has allowed, if the report is still
/// at `expected_version`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    ctx: &ReportContext,
    step: Transition,
) -> Result<report::Model, ServiceError> {
    audited(db, actor, async |w| take_step(w, ctx, &step).await).await
}

/// Approves the report and freezes what it shows as its next decided
/// version, in the same transaction: `document` builds, on the approving
/// transaction, everything the approved report shows.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    ctx: &ReportContext,
    decision: versions::Decision,
    document: impl AsyncFnOnce(
        &sea_orm::DatabaseTransaction,
        &report::Model,
    ) -> Result<serde_json::Value, ServiceError>,
) -> Result<(report::Model, report_version::Model), ServiceError> {
    let step = Transition::Approve {
        beslut_datum: decision.beslut_datum,
        beslut_paragraf: decision.beslut_paragraf.clone(),
        diarienummer: decision.diarienummer.clone(),
    };
    audited(db, actor, async |w| {
        let after = take_step(w, ctx, &step).await?;
        let shown = document(w.db(), &after).await?;
        let version = versions::freeze(w, &after, &decision, &shown).await?;
        Ok((after, version))
    })
    .await
}

async fn take_step(
    w: &Write<'_>,
    ctx: &ReportContext,
    step: &Transition,
) -> Result<report::Model, ServiceError> {
    let now = crate::service::clock::now();
    let mut changes = report::ActiveModel {
        updated_at: Set(now),
        ..Default::default()
    };
    match step {
        Transition::Submit => {
            changes.status = Set(ReportStatus::ForBeslut);
            changes.submitted_at = Set(Some(now));
            changes.status_reason = Set(None);
        }
        Transition::Approve {
            beslut_datum,
            beslut_paragraf,
            diarienummer,
        } => {
            changes.status = Set(ReportStatus::Godkand);
            changes.beslut_datum = Set(Some(*beslut_datum));
            changes.beslut_paragraf = Set(Some(beslut_paragraf.clone()));
            changes.diarienummer = Set(diarienummer.clone());
            changes.approved_at = Set(Some(now));
            changes.status_reason = Set(None);
        }
        Transition::Return { reason } | Transition::Reopen { reason } => {
            changes.status = Set(ReportStatus::Utkast);
            changes.status_reason = Set(Some(reason.clone()));
            if matches!(step, Transition::Reopen { .. }) {
                changes.beslut_datum = Set(None);
                changes.beslut_paragraf = Set(None);
                changes.diarienummer = Set(None);
                changes.approved_at = Set(None);
            }
        }
    }
    lock_allowing(w, ctx.report.id, step.action()).await?;
    let before = &ctx.report;
    let after = crud::update_versioned::<report::Entity, _>(
        w.db(),
        w.kommun_id(),
        before.id,
        before.version,
        changes,
    )
    .await?;
    w.record(
        "report",
        Some(before.id),
        step.name(),
        Some(before),
        Some(&after),
    )?;
    Ok(after)
}

/// Which reports a principal may see in lists.
pub enum Visibility {
    All,
    ApprovedOnly,
    OwnOrApproved(Vec<Uuid>),
}

#[derive(Default)]
pub struct ReportFilter {
    pub namnd_id: Option<Uuid>,
    pub period_id: Option<Uuid>,
    pub report_type: Option<ReportType>,
    pub status: Option<ReportStatus>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &ReportFilter,
    visibility: &Visibility,
    page: &PageRequest,
) -> Result<(Vec<report::Model>, Option<Uuid>), ServiceError> {
    let approved = report::Column::Status.eq(ReportStatus::Godkand);
    let mut condition = match visibility {
        Visibility::All => Condition::all(),
        Visibility::ApprovedOnly => Condition::all().add(approved),
        Visibility::OwnOrApproved(ids) => Condition::all().add(
            Condition::any()
                .add(approved)
                .add(report::Column::NamndId.is_in(ids.clone())),
        ),
    };
    if let Some(id) = filter.namnd_id {
        condition = condition.add(report::Column::NamndId.eq(id));
    }
    if let Some(id) = filter.period_id {
        condition = condition.add(report::Column::PeriodId.eq(id));
    }
    if let Some(t) = filter.report_type {
        condition = condition.add(report::Column::ReportType.eq(t));
    }
    if let Some(s) = filter.status {
        condition = condition.add(report::Column::Status.eq(s));
    }
    crud::list::<report::Entity>(db, kommun_id, condition, page).await
}

/// A report goes with its sections and action plans, but not once it has
/// been decided: its decided versions are kept.
async fn refuse_decided(w: &Write<'_>, current: &report::Model) -> Result<(), ServiceError> {
    lock_allowing(w, current.id, Action::Delete).await?;
    if versions::latest(w.db(), current.id).await?.is_some() {
        return Err(ServiceError::Conflict(
            "the report was once decided and its decided versions are kept; \
             reopen and change it instead of deleting it"
                .into(),
        ));
    }
    Ok(())
}

/// An åtgärdsplan row is deleted only while its report is a draft, checked
/// on the report as the delete holds it (see [`lock_allowing`]).
async fn in_a_draft(w: &Write<'_>, current: &action_plan::Model) -> Result<(), ServiceError> {
    lock_allowing(w, current.report_id, Action::Delete)
        .await
        .map(drop)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn sections(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Vec<report_section::Model>, ServiceError> {
    Ok(report_section::Entity::find()
        .filter(report_section::Column::ReportId.eq(report_id))
        .order_by_asc(report_section::Column::Position)
        .order_by_asc(in_byte_order(db, report_section::Column::Key))
        .all(db)
        .await?)
}

/// What a section write sets; absent fields keep their value.
pub struct SectionWrite {
    pub title: Option<String>,
    pub body: Option<String>,
    pub position: Option<i32>,
}

/// Creates or changes the section `key` of a report. `expected_version`
/// guards a change when the client sent If-Match.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_section(
    db: &DatabaseConnection,
    actor: &Actor,
    ctx: &ReportContext,
    key: &str,
    write: SectionWrite,
    expected_version: Option<i32>,
) -> Result<(report_section::Model, bool), ServiceError> {
    audited(db, actor, async |w| {
        lock_allowing(w, ctx.report.id, Action::Update).await?;
        let find = Condition::all()
            .add(report_section::Column::ReportId.eq(ctx.report.id))
            .add(report_section::Column::Key.eq(key));
        let columns = report_section::ActiveModel {
            title: write.title.map(Set).unwrap_or_default(),
            body: write.body.map(Set).unwrap_or_default(),
            position: write.position.map(Set).unwrap_or_default(),
            ..Default::default()
        };
        let keyed = async |mut row: report_section::ActiveModel| {
            if row.title.is_not_set() {
                return Err(ServiceError::validation(
                    "title",
                    "is required for a new section",
                ));
            }
            if row.body.is_not_set() {
                row.body = Set(String::new());
            }
            if row.position.is_not_set() {
                // A new section the client does not place goes last.
                let sections = sections(w.db(), ctx.report.id).await?;
                let last = sections.iter().map(|s| s.position).max();
                row.position = Set(crud::position_after(last, 0));
            }
            row.report_id = Set(ctx.report.id);
            row.key = Set(key.to_string());
            Ok(row)
        };
        w.put_keyed(
            find,
            expected_version,
            (&UQ_SECTION, "section"),
            columns,
            keyed,
        )
        .await
    })
    .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn action_plans(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Vec<action_plan::Model>, ServiceError> {
    Ok(action_plan::Entity::find()
        .filter(action_plan::Column::ReportId.eq(report_id))
        .order_by_asc(action_plan::Column::Position)
        .order_by_asc(action_plan::Column::Id)
        .all(db)
        .await?)
}

/// The four columns of an åtgärdsplan row.
#[derive(Debug, Clone, Serialize)]
pub struct ActionPlanFields {
    pub avvikelse: String,
    pub atgard: String,
    pub ekonomisk_effekt: String,
    pub verksamhetseffekt: String,
    pub position: Option<i32>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_action_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    ctx: &ReportContext,
    fields: ActionPlanFields,
) -> Result<action_plan::Model, ServiceError> {
    audited(db, actor, async |w| {
        lock_allowing(w, ctx.report.id, Action::Update).await?;
        let txn = w.db();
        let position = match fields.position {
            Some(p) => p,
            None => {
                let plans = action_plans(txn, ctx.report.id).await?;
                crud::position_after(plans.iter().map(|p| p.position).max(), 0)
            }
        };
        let model = action_plan::ActiveModel {
            report_id: Set(ctx.report.id),
            avvikelse: Set(fields.avvikelse),
            atgard: Set(fields.atgard),
            ekonomisk_effekt: Set(fields.ekonomisk_effekt),
            verksamhetseffekt: Set(fields.verksamhetseffekt),
            position: Set(position),
            ..Default::default()
        };
        w.insert_new(model).await
    })
    .await
}

/// The action plan `id` of this report, or 404.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn action_plan_of(
    db: &impl ConnectionTrait,
    ctx: &ReportContext,
    id: Uuid,
) -> Result<action_plan::Model, ServiceError> {
    let plan = crud::get::<action_plan::Entity>(db, ctx.report.kommun_id, id).await?;
    if plan.report_id == ctx.report.id {
        Ok(plan)
    } else {
        Err(crud::not_found::<action_plan::Entity>(id))
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_action_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    current: &action_plan::Model,
    fields: ActionPlanFields,
) -> Result<action_plan::Model, ServiceError> {
    audited(db, actor, async |w| {
        lock_allowing(w, current.report_id, Action::Update).await?;
        let txn = w.db();
        let changes = action_plan::ActiveModel {
            avvikelse: Set(fields.avvikelse),
            atgard: Set(fields.atgard),
            ekonomisk_effekt: Set(fields.ekonomisk_effekt),
            verksamhetseffekt: Set(fields.verksamhetseffekt),
            position: fields.position.map(Set).unwrap_or_default(),
            updated_at: Set(crate::service::clock::now()),
            ..Default::default()
        };
        let after = crud::update_versioned::<action_plan::Entity, _>(
            txn,
            actor.kommun_id,
            current.id,
            current.version,
            changes,
        )
        .await?;
        w.record(
            "action_plan",
            Some(current.id),
            "update",
            Some(current),
            Some(&after),
        )?;
        Ok(after)
    })
    .await
}

/// Ids of the nämnder with these codes in the kommun.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn namnd_ids(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    codes: &[String],
) -> Result<Vec<Uuid>, ServiceError> {
    Ok(namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .filter(namnd::Column::Code.is_in(codes.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect())
}
