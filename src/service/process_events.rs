//! The process scheduler: announces the events of the follow-up process
//! that no user's write causes, so webhook subscribers (and readers of
//! `GET /changes`) are told of them.
//!
//! - `deadline.pass`: a deadline's date has passed (the day after it),
//!   with where each nämnd it concerns stands (on time, late, missing).
//! - `obligation.create`: an obligation came into being (it is derived on
//!   read: a report was approved with a prognos below a rule's threshold,
//!   or a rule was added that an approved report falls under).
//!
//! Each is announced once: an announcement inserts a row keyed by
//! `(kommun, kind, subject)` with `ON CONFLICT DO NOTHING` in the same
//! audited write that records the event (audit log, change feed, webhook
//! outbox). Two instances that find the same event at once both try; the
//! unique key lets one insert, and the other's write records nothing. So
//! every instance may run the scheduler.
//!
//! Only recent events are announced ([`LOOKBACK_DAYS`]): a deadline that
//! passed at most that many days ago, an obligation due at most that many
//! days ago or later. A new installation, or one that was down for a
//! while, does not flood its subscribers with last year's calendar.

use chrono::{Duration, NaiveDate};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    audit::Actor, consolidation, deadlines, error::ServiceError, obligations, write::audited,
};
use crate::{
    domain::{
        process::{DeadlineKind, DeadlineState},
        structure::ReportType,
    },
    entity::{deadline, kommun, process_announcement},
};

/// How far back an event is still announced.
pub const LOOKBACK_DAYS: i64 = 7;

/// The principal of the scheduler's writes.
pub const PRINCIPAL: &str = "process-events";

const DEADLINE_PASS: &str = "deadline_pass";
const OBLIGATION_CREATE: &str = "obligation_create";

/// A nämnd against a deadline that has passed.
#[derive(Debug, Serialize)]
pub struct NamndAtDeadline {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub state: DeadlineState,
    pub met_on: Option<NaiveDate>,
    pub days_late: Option<i64>,
}

/// The detail of `deadline.pass`.
#[derive(Debug, Serialize)]
pub struct DeadlinePassed {
    pub deadline_id: Uuid,
    pub period_id: Uuid,
    #[serde(rename = "type")]
    pub report_type: ReportType,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    pub namnd_id: Option<Uuid>,
    /// Every nämnd the deadline applies to (a nämnd with a date of its own
    /// for the step is under that one instead), with its state; empty for
    /// KS and KF.
    pub namnder: Vec<NamndAtDeadline>,
    /// The codes of those that were late or are missing.
    pub late: Vec<String>,
    pub missing: Vec<String>,
}

/// The detail of `obligation.create`.
#[derive(Debug, Serialize)]
pub struct ObligationCreated {
    pub report_id: Uuid,
    pub rule_id: Uuid,
    pub rule_name: String,
    pub namnd_id: Uuid,
    pub namnd: String,
    pub approved_at: chrono::DateTime<chrono::Utc>,
    pub prognos_avvikelse: rust_decimal::Decimal,
    pub prognos_avvikelse_procent: Option<rust_decimal::Decimal>,
    pub due_date: NaiveDate,
    pub state: DeadlineState,
}

/// What one run announced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunOutcome {
    pub deadlines_passed: usize,
    pub obligations_created: usize,
}

fn actor(kommun_id: Uuid) -> Actor {
    Actor {
        kommun_id,
        principal: PRINCIPAL.into(),
        role: "system".into(),
        request_id: None,
    }
}

async fn announced(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    kind: &str,
    key: &str,
) -> Result<bool, ServiceError> {
    Ok(process_announcement::Entity::find()
        .filter(process_announcement::Column::KommunId.eq(kommun_id))
        .filter(process_announcement::Column::Kind.eq(kind))
        .filter(process_announcement::Column::SubjectKey.eq(key))
        .one(db)
        .await?
        .is_some())
}

/// Announces one event unless it has been: the announcement row and the
/// event's record in one write. True when this call announced it.
async fn announce<D: Serialize>(
    db: &DatabaseConnection,
    kommun_id: Uuid,
    kind: &'static str,
    key: String,
    event: (&'static str, Uuid, &'static str),
    detail: &D,
) -> Result<bool, ServiceError> {
    let (resource_type, resource_id, action) = event;
    audited(db, &actor(kommun_id), async |w| {
        let inserted = process_announcement::Entity::insert(process_announcement::ActiveModel {
            id: Set(Uuid::now_v7()),
            kommun_id: Set(kommun_id),
            kind: Set(kind.into()),
            subject_key: Set(key),
            announced_at: Set(crate::service::clock::now()),
        })
        .on_conflict(
            OnConflict::columns([
                process_announcement::Column::KommunId,
                process_announcement::Column::Kind,
                process_announcement::Column::SubjectKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(w.db())
        .await?;
        if inserted == 0 {
            // Another instance announced it first.
            return Ok(false);
        }
        w.record(
            resource_type,
            Some(resource_id),
            action,
            None::<&()>,
            Some(detail),
        )?;
        Ok(true)
    })
    .await
}

/// Where the nämnder stand against deadline `d`, as of `today`.
async fn passed(
    db: &impl ConnectionTrait,
    d: &deadline::Model,
    today: NaiveDate,
) -> Result<DeadlinePassed, ServiceError> {
    let mut namnder = Vec::new();
    if d.kind.is_namnd_step() {
        let of_period = deadlines::of_period(db, d.kommun_id, d.period_id, d.report_type).await?;
        let rows = consolidation::submissions(db, d.kommun_id, d.period_id, d.report_type.as_str())
            .await?;
        for (n, report) in rows {
            let states = deadlines::namnd_deadlines(&of_period, n.id, report.as_ref(), today);
            if let Some(s) = states.into_iter().find(|s| s.deadline_id == d.id) {
                namnder.push(NamndAtDeadline {
                    namnd_id: n.id,
                    namnd: n.code,
                    state: s.state,
                    met_on: s.met_on,
                    days_late: s.days_late,
                });
            }
        }
    }
    let codes = |state: DeadlineState| -> Vec<String> {
        namnder
            .iter()
            .filter(|n| n.state == state)
            .map(|n| n.namnd.clone())
            .collect()
    };
    Ok(DeadlinePassed {
        late: codes(DeadlineState::Late),
        missing: codes(DeadlineState::Missing),
        deadline_id: d.id,
        period_id: d.period_id,
        report_type: d.report_type,
        kind: d.kind,
        due_date: d.due_date,
        namnd_id: d.namnd_id,
        namnder,
    })
}

/// Announces what is due in one kommun as of `today`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_kommun(
    db: &DatabaseConnection,
    kommun_id: Uuid,
    today: NaiveDate,
) -> Result<RunOutcome, ServiceError> {
    let mut outcome = RunOutcome::default();
    let since = today - Duration::days(LOOKBACK_DAYS);
    let due = deadline::Entity::find()
        .filter(deadline::Column::KommunId.eq(kommun_id))
        .filter(deadline::Column::DueDate.lt(today))
        .filter(deadline::Column::DueDate.gte(since))
        .all(db)
        .await?;
    for d in due {
        let key = d.id.to_string();
        if announced(db, kommun_id, DEADLINE_PASS, &key).await? {
            continue;
        }
        let detail = passed(db, &d, today).await?;
        let event = ("deadline", d.id, "pass");
        if announce(db, kommun_id, DEADLINE_PASS, key, event, &detail).await? {
            outcome.deadlines_passed += 1;
        }
    }
    for o in obligations::of_kommun(db, kommun_id, true, today).await? {
        if o.due_date < since {
            continue;
        }
        let key = format!("{}/{}", o.report_id, o.rule_id);
        if announced(db, kommun_id, OBLIGATION_CREATE, &key).await? {
            continue;
        }
        let detail = ObligationCreated {
            report_id: o.report_id,
            rule_id: o.rule_id,
            rule_name: o.rule_name,
            namnd_id: o.namnd_id,
            namnd: o.namnd,
            approved_at: o.approved_at,
            prognos_avvikelse: o.prognos_avvikelse,
            prognos_avvikelse_procent: o.prognos_avvikelse_procent,
            due_date: o.due_date,
            state: o.state,
        };
        // The obligation's id in the feed: stable for its report and rule.
        let id = obligation_id(o.report_id, o.rule_id);
        let event = ("obligation", id, "create");
        if announce(db, kommun_id, OBLIGATION_CREATE, key, event, &detail).await? {
            outcome.obligations_created += 1;
        }
    }
    Ok(outcome)
}

/// A stable id for the obligation of a report under a rule: the report's
/// id with the rule's folded in (the obligation has no row of its own).
pub fn obligation_id(report_id: Uuid, rule_id: Uuid) -> Uuid {
    let mut bytes = *report_id.as_bytes();
    for (b, r) in bytes.iter_mut().zip(rule_id.as_bytes()) {
        *b ^= r;
    }
    // Mark it as a version 8 (custom) UUID of the RFC 4122 variant.
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// One round over every kommun. A kommun that fails is logged and the
/// others still run.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run(db: &DatabaseConnection, today: NaiveDate) -> RunOutcome {
    let kommuner = match kommun::Entity::find().all(db).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "process events: cannot list the kommuner");
            return RunOutcome::default();
        }
    };
    let mut total = RunOutcome::default();
    for k in kommuner {
        match run_kommun(db, k.id, today).await {
            Ok(o) => {
                total.deadlines_passed += o.deadlines_passed;
                total.obligations_created += o.obligations_created;
            }
            Err(e) => {
                tracing::warn!(kommun = %k.code, error = %e, "process events failed")
            }
        }
    }
    total
}

/// Runs [`run`] every `interval` (the first after one interval) until the
/// process ends.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_scheduler(db: DatabaseConnection, interval: std::time::Duration) {
    let start = tokio::time::Instant::now() + interval;
    let mut ticker = tokio::time::interval_at(start, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let outcome = run(&db, crate::service::clock::now().date_naive()).await;
        if outcome != RunOutcome::default() {
            tracing::info!(
                deadlines_passed = outcome.deadlines_passed,
                obligations_created = outcome.obligations_created,
                "process events announced"
            );
        }
    }
}
