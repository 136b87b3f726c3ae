//! The incremental Kolada sync of one kommun: every indicator with a
//! Kolada id, values updated since the last successful sync's date
//! (`from_date`), imported with source `kolada` (manual values kept).
//!
//! One run at a time per kommun across every instance sharing the
//! database: a run first claims the kommun's lease with one `UPDATE …
//! WHERE lease_until IS NULL OR lease_until < now`; only the instance whose
//! update changed the row runs, and the lease expires by itself if that
//! instance dies. The lease is coordination, not kommun data, so claiming
//! it is not an audit entry; the run's outcome is (`kolada_sync`, with the
//! values it changed, in one transaction).

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    audit::Actor,
    error::ServiceError,
    import_readers::{ParsedKolada, ReadError, parse_kolada},
    imports::{self, KoladaImportOptions, KoladaOutcome},
    kolada_comparisons as comparisons,
    kolada_fetch::{self, FetchRequest},
    write::{Write, audited},
};
use crate::{
    domain::ValueSource,
    entity::{kolada_sync, kommun},
};

/// How long a claimed run may take before another instance may take over.
pub const LEASE: ChronoDuration = ChronoDuration::minutes(30);

/// The principal of a sync's writes.
pub const SYNC_PRINCIPAL: &str = "kolada-sync";

/// What to sync.
pub struct SyncRequest<'a> {
    pub base_url: &'a str,
    pub kommun_id: Uuid,
    pub kommun_code: &'a str,
    /// Who asked: a request's actor, or the background task's.
    pub actor: &'a Actor,
}

/// What a run did.
#[derive(Debug)]
pub struct SyncRun {
    pub state: kolada_sync::Model,
    /// None when the run failed (`state.last_error` says why).
    pub outcome: Option<KoladaOutcome>,
    /// Comparison values (country, group) added, revised or removed.
    pub comparisons_changed: usize,
}

/// The actor of the background sync of a kommun.
pub fn background_actor(kommun_id: Uuid) -> Actor {
    Actor {
        kommun_id,
        principal: SYNC_PRINCIPAL.into(),
        role: "system".into(),
        request_id: None,
    }
}

/// The kommun's sync state (a fresh one when it never ran).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn state(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<kolada_sync::Model, ServiceError> {
    Ok(find(db, kommun_id)
        .await?
        .unwrap_or_else(|| fresh(kommun_id)))
}

fn fresh(kommun_id: Uuid) -> kolada_sync::Model {
    kolada_sync::Model {
        id: Uuid::now_v7(),
        kommun_id,
        last_from_date: None,
        last_started_at: None,
        last_finished_at: None,
        last_success_at: None,
        last_rows_changed: 0,
        last_pages: 0,
        last_retries: 0,
        last_error: None,
        runs: 0,
        failures: 0,
        lease_holder: None,
        lease_until: None,
        comparison_group_id: None,
        comparison_group_name: None,
    }
}

async fn find(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<Option<kolada_sync::Model>, ServiceError> {
    Ok(kolada_sync::Entity::find()
        .filter(kolada_sync::Column::KommunId.eq(kommun_id))
        .one(db)
        .await?)
}

/// Sets (None: clears) the municipality group the kommun compares itself
/// with. Another group than before clears `last_from_date`, so the next run
/// fetches everything, the new group's values included. Only these columns
/// are written: a run holding the lease meanwhile keeps it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_comparison_group(
    db: &DatabaseConnection,
    actor: &Actor,
    group: Option<comparisons::Peer>,
) -> Result<kolada_sync::Model, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        let existing = find(txn, kommun_id).await?;
        let before = existing.clone().unwrap_or_else(|| fresh(kommun_id));
        let mut after = before.clone();
        after.comparison_group_id = group.as_ref().map(|g| g.municipality.clone());
        after.comparison_group_name = group.as_ref().map(|g| g.name.clone());
        if after.comparison_group_id != before.comparison_group_id {
            after.last_from_date = None;
        }
        if after == before {
            return Ok(after);
        }
        if existing.is_none() {
            let row: kolada_sync::ActiveModel = after.clone().into();
            kolada_sync::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(|e| match e.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::Conflict(
                        "the Kolada sync of your kommun was changed at the same time; retry".into(),
                    ),
                    _ => e.into(),
                })?;
            w.record(
                "kolada_sync",
                Some(after.id),
                "create",
                None::<&()>,
                Some(&after),
            )?;
        } else {
            kolada_sync::Entity::update_many()
                .col_expr(
                    kolada_sync::Column::ComparisonGroupId,
                    Expr::value(after.comparison_group_id.clone()),
                )
                .col_expr(
                    kolada_sync::Column::ComparisonGroupName,
                    Expr::value(after.comparison_group_name.clone()),
                )
                .col_expr(
                    kolada_sync::Column::LastFromDate,
                    Expr::value(after.last_from_date),
                )
                .filter(kolada_sync::Column::Id.eq(before.id))
                .exec(txn)
                .await?;
            w.record(
                "kolada_sync",
                Some(before.id),
                "update",
                Some(&before),
                Some(&after),
            )?;
        }
        Ok(after)
    })
    .await
}

/// Claims the kommun's lease for `holder` until `now + LEASE`: true when
/// this call got it, false when another run holds it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    db: &DatabaseConnection,
    actor: &Actor,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        if find(txn, kommun_id).await?.is_none() {
            // Two instances may both insert: the unique index on kommun_id
            // refuses the second, which then finds the lease taken below
            // (a retry reads the row).
            let row: kolada_sync::ActiveModel = fresh(kommun_id).into();
            kolada_sync::Entity::insert(row)
                .on_conflict_do_nothing_on([kolada_sync::Column::KommunId])
                .exec_without_returning(txn)
                .await?;
        }
        let claimed = kolada_sync::Entity::update_many()
            .col_expr(kolada_sync::Column::LeaseHolder, Expr::value(holder))
            .col_expr(kolada_sync::Column::LeaseUntil, Expr::value(now + LEASE))
            .col_expr(kolada_sync::Column::LastStartedAt, Expr::value(now))
            .filter(kolada_sync::Column::KommunId.eq(kommun_id))
            .filter(
                Condition::any()
                    .add(kolada_sync::Column::LeaseUntil.is_null())
                    .add(kolada_sync::Column::LeaseUntil.lt(now)),
            )
            .exec(txn)
            .await?;
        Ok(claimed.rows_affected == 1)
    })
    .await
}

/// Runs the sync of one kommun: claims the lease (409 when another run
/// holds it), fetches what changed since the last successful run, imports
/// it and records the outcome. A fetch that fails is recorded in the state
/// (`last_error`) and returned as the error.
#[tracing::instrument(level = "debug", skip_all, fields(kommun_id = %request.kommun_id))]
pub async fn run(
    db: &DatabaseConnection,
    request: &SyncRequest<'_>,
) -> Result<SyncRun, ServiceError> {
    let actor = request.actor;
    let holder = format!("{}-{}", SYNC_PRINCIPAL, Uuid::now_v7());
    let started = crate::service::clock::now();
    if !claim(db, actor, &holder, started).await? {
        return Err(ServiceError::Conflict(
            "a Kolada sync of your kommun is already running; try again when it has finished"
                .into(),
        ));
    }
    let before = state(db, request.kommun_id).await?;
    let peers = comparisons::peers(&before);
    let municipalities: Vec<String> = std::iter::once(request.kommun_code.to_string())
        .chain(peers.iter().map(|p| p.municipality.clone()))
        .collect();
    let kpis: Vec<String> = imports::indicators_by_kpi(db, request.kommun_id, None)
        .await?
        .into_iter()
        .filter_map(|m| m.kolada_id)
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let fetched = if kpis.is_empty() {
        Ok(kolada_fetch::Fetched::default())
    } else {
        kolada_fetch::fetch(&FetchRequest {
            base_url: request.base_url,
            kpis: &kpis,
            municipalities: &municipalities,
            years: &[],
            from_date: before.last_from_date,
        })
        .await
    };
    let parsed = fetched.and_then(|f| {
        let document = serde_json::json!({ "values": f.entries });
        let parsed = parse_checked(&document, request.kommun_code)?;
        let compared = peers
            .iter()
            .map(|p| {
                Ok((
                    p.clone(),
                    parse_checked(&document, &p.municipality)?.entries,
                ))
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok((parsed, compared, f.pages, f.retries))
    });
    let options = KoladaImportOptions {
        source: ValueSource::Kolada,
        fetched_at: Some(started),
        overwrite_manual: false,
    };
    let result = audited(db, actor, async |w| {
        let mut compared_changes = 0;
        let outcome = match &parsed {
            Ok((p, compared, pages, retries)) => {
                let outcome = imports::write_kolada(w, &p.entries, &options).await?;
                compared_changes = comparisons::write(w, &peers, compared, started).await?;
                Some((outcome, *pages, *retries))
            }
            Err(_) => None,
        };
        let error = parsed.as_ref().err().map(ToString::to_string);
        let run = Run {
            kommun_id: request.kommun_id,
            holder: &holder,
            started,
            group: before.comparison_group_id.as_deref(),
        };
        let state = finish(w, &run, outcome.as_ref(), error).await?;
        Ok(SyncRun {
            state,
            outcome: outcome.map(|(o, _, _)| o),
            comparisons_changed: compared_changes,
        })
    })
    .await;
    match (result, parsed) {
        (Ok(_), Err(e)) => Err(e),
        (Ok(run), Ok(_)) => Ok(run),
        (Err(e), _) => {
            // The import failed: release the lease and say why.
            let message = e.to_string();
            let run = Run {
                kommun_id: request.kommun_id,
                holder: &holder,
                started,
                group: before.comparison_group_id.as_deref(),
            };
            let _ = audited(db, actor, async |w| {
                finish(w, &run, None, Some(message)).await
            })
            .await;
            Err(e)
        }
    }
}

fn read_error(e: ReadError) -> ServiceError {
    match e {
        ReadError::Invalid(errors) => ServiceError::BadGateway(format!(
            "the Kolada server sent something that is not Kolada data ({})",
            errors
                .first()
                .map(|f| format!("{}: {}", f.field, f.message))
                .unwrap_or_default()
        )),
        ReadError::NotJson(e) => ServiceError::BadGateway(format!(
            "the Kolada server sent something that is not JSON: {e}"
        )),
    }
}

/// A Kolada document's entries of `municipality`; invalid entries are the
/// server's fault (502).
fn parse_checked(
    document: &serde_json::Value,
    municipality: &str,
) -> Result<ParsedKolada, ServiceError> {
    let parsed = parse_kolada(document, municipality).map_err(read_error)?;
    if let Some(first) = parsed.errors.first() {
        return Err(ServiceError::BadGateway(format!(
            "the Kolada server sent {} invalid entries (first: {}: {})",
            parsed.errors.len(),
            first.field,
            first.message
        )));
    }
    Ok(parsed)
}

/// The run being finished.
struct Run<'a> {
    kommun_id: Uuid,
    holder: &'a str,
    started: DateTime<Utc>,
    /// The comparison group the run fetched.
    group: Option<&'a str>,
}

/// Records the end of a run and releases the lease (only if still ours).
/// A run that fetched another comparison group than the one now set (it
/// was changed meanwhile) keeps `last_from_date`, so the next run fetches
/// the new group's values in full.
async fn finish(
    w: &Write<'_>,
    run: &Run<'_>,
    outcome: Option<&(KoladaOutcome, usize, usize)>,
    error: Option<String>,
) -> Result<kolada_sync::Model, ServiceError> {
    let Run {
        kommun_id,
        holder,
        started,
        group,
    } = *run;
    let txn = w.db();
    let before = state(txn, kommun_id).await?;
    let now = crate::service::clock::now();
    let mut after = before.clone();
    after.last_finished_at = Some(now);
    after.runs = before.runs.saturating_add(1);
    match (outcome, &error) {
        (Some((o, pages, retries)), None) => {
            if before.comparison_group_id.as_deref() == group {
                after.last_from_date = Some(started.date_naive());
            }
            after.last_success_at = Some(now);
            after.last_rows_changed = i32::try_from(o.changes.len()).unwrap_or(i32::MAX);
            after.last_pages = i32::try_from(*pages).unwrap_or(i32::MAX);
            after.last_retries = i32::try_from(*retries).unwrap_or(i32::MAX);
            after.last_error = None;
        }
        _ => {
            after.last_rows_changed = 0;
            after.last_error = Some(error.unwrap_or_else(|| "the sync failed".into()));
            after.failures = before.failures.saturating_add(1);
        }
    }
    if before.lease_holder.as_deref() == Some(holder) {
        after.lease_holder = None;
        after.lease_until = None;
    }
    let active = kolada_sync::ActiveModel {
        id: Set(before.id),
        kommun_id: Set(kommun_id),
        last_from_date: Set(after.last_from_date),
        last_started_at: Set(after.last_started_at),
        last_finished_at: Set(after.last_finished_at),
        last_success_at: Set(after.last_success_at),
        last_rows_changed: Set(after.last_rows_changed),
        last_pages: Set(after.last_pages),
        last_retries: Set(after.last_retries),
        last_error: Set(after.last_error.clone()),
        runs: Set(after.runs),
        failures: Set(after.failures),
        lease_holder: Set(after.lease_holder.clone()),
        lease_until: Set(after.lease_until),
        comparison_group_id: Set(after.comparison_group_id.clone()),
        comparison_group_name: Set(after.comparison_group_name.clone()),
    };
    kolada_sync::Entity::update(active).exec(txn).await?;
    w.record(
        "kolada_sync",
        Some(before.id),
        "sync",
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// The kommuner with at least one indicator with a Kolada id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn kommuner_to_sync(db: &DatabaseConnection) -> Result<Vec<kommun::Model>, ServiceError> {
    use crate::entity::indicator;
    let ids: std::collections::BTreeSet<Uuid> = indicator::Entity::find()
        .filter(indicator::Column::KoladaId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.kommun_id)
        .collect();
    Ok(kommun::Entity::find()
        .filter(kommun::Column::Id.is_in(ids))
        .all(db)
        .await?)
}
