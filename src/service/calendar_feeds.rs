//! Calendar feeds: the process calendar (deadlines and obligations) of a
//! kommun or of some of its nämnder as iCalendar, for calendar clients
//! that cannot send a bearer token.
//!
//! A feed belongs to the user (token subject) who made it. Its URL carries
//! a random secret of 32 bytes; only the secret's SHA-256 is stored, so
//! the database alone does not give the URLs away. The secret opens this
//! feed and nothing else: it is not a token, and no other endpoint reads
//! it. Revoking a feed deletes it; its URL then answers 404 like an
//! unknown one. Creating and revoking are audited writes.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    audit::Actor,
    crud::{self, PageRequest},
    error::ServiceError,
    obligations,
    write::audited,
};
use crate::{
    document::report::type_label,
    domain::{calendar::CalendarEvent, process::DeadlineKind, structure::ReportType},
    entity::{calendar_feed, deadline, kommun, namnd, period},
};

super::write::tenant_entity!(calendar_feed, "calendar feed", "calendar_feed");

/// The SHA-256 of a feed secret, hex: what is stored and looked up.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new secret: 32 random bytes, URL-safe base64 (43 characters).
fn new_secret() -> Result<String, ServiceError> {
    Ok(URL_SAFE_NO_PAD.encode(super::webhooks::random_key()?))
}

/// A new feed (its scope already authorised).
pub struct FeedSpec {
    /// The owner: the token's subject, and its role.
    pub subject: String,
    pub role: String,
    pub name: Option<String>,
    /// Nämnd codes; None: the whole kommun.
    pub namnder: Option<Vec<String>>,
}

/// The nämnd codes a feed shows; None: every nämnd of the kommun.
pub fn scope(feed: &calendar_feed::Model) -> Result<Option<Vec<String>>, ServiceError> {
    feed.namnder
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| ServiceError::Unexpected(format!("stored feed scope: {e}")))
}

/// Creates a feed; returns it with its secret (shown this once). 422 on
/// `namnd` when a code names no nämnd of the kommun.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    spec: FeedSpec,
) -> Result<(calendar_feed::Model, String), ServiceError> {
    let secret = new_secret()?;
    let hash = secret_hash(&secret);
    let namnder = spec
        .namnder
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ServiceError::Unexpected(format!("feed scope: {e}")))?;
    let model = audited(db, actor, async |w| {
        for code in spec.namnder.iter().flatten() {
            let known = namnd::Entity::find()
                .filter(namnd::Column::KommunId.eq(w.kommun_id()))
                .filter(namnd::Column::Code.eq(code.as_str()))
                .one(w.db())
                .await?;
            if known.is_none() {
                return Err(ServiceError::validation(
                    "namnd",
                    format!("no nämnd with code {code} in your kommun"),
                ));
            }
        }
        w.insert_new(calendar_feed::ActiveModel {
            subject: Set(spec.subject),
            role: Set(spec.role),
            name: Set(spec.name),
            namnder: Set(namnder),
            secret_hash: Set(hash),
            ..Default::default()
        })
        .await
    })
    .await?;
    Ok((model, secret))
}

/// One page of `subject`'s feeds.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    subject: &str,
    page: &PageRequest,
) -> Result<(Vec<calendar_feed::Model>, Option<Uuid>), ServiceError> {
    let condition = Condition::all().add(calendar_feed::Column::Subject.eq(subject));
    crud::list::<calendar_feed::Entity>(db, kommun_id, condition, page).await
}

/// Revokes (deletes) `subject`'s feed `id`, at `expected_version` when
/// given (412 otherwise); another user's feed is not found.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    subject: &str,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), ServiceError> {
    audited(db, actor, async |w| {
        let current = crud::get::<calendar_feed::Entity>(w.db(), w.kommun_id(), id).await?;
        if current.subject != subject {
            return Err(crud::not_found::<calendar_feed::Entity>(id));
        }
        let version = expected_version.unwrap_or(current.version);
        w.delete::<calendar_feed::Entity>(&current, version).await
    })
    .await
}

/// The feed a secret opens, if any.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_secret(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<calendar_feed::Model>, ServiceError> {
    Ok(calendar_feed::Entity::find()
        .filter(calendar_feed::Column::SecretHash.eq(secret_hash(secret)))
        .one(db)
        .await?)
}

fn kind_label(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Underlag => "Underlag",
        DeadlineKind::Namndbeslut => "Nämndbeslut",
        DeadlineKind::Inlamning => "Inlämning",
        DeadlineKind::Ks => "KS",
        DeadlineKind::Kf => "KF",
    }
}

fn kind_description(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Underlag => "Nämndens underlag till förvaltningen (rapporten inlämnad)",
        DeadlineKind::Namndbeslut => "Nämndens beslut om rapporten",
        DeadlineKind::Inlamning => "Den beslutade rapporten till kommunledningsförvaltningen",
        DeadlineKind::Ks => "Kommunstyrelsen",
        DeadlineKind::Kf => "Kommunfullmäktige",
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The calendar of a feed as of `today`: its name and its events (the
/// kommun's deadlines for every nämnd and those of the feed's nämnder,
/// then the obligations of its nämnder), by date.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn events(
    db: &impl ConnectionTrait,
    feed: &calendar_feed::Model,
    today: NaiveDate,
) -> Result<(String, Vec<CalendarEvent>), ServiceError> {
    let kommun_id = feed.kommun_id;
    let scope = scope(feed)?;
    let in_scope = |code: &str| scope.as_ref().is_none_or(|s| s.iter().any(|c| c == code));
    let kommun = kommun::Entity::find_by_id(kommun_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("no such calendar feed".into()))?;
    let namnder = super::namnder::by_id(db, kommun_id).await?;
    let periods: std::collections::HashMap<Uuid, period::Model> = period::Entity::find()
        .filter(period::Column::KommunId.eq(kommun_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let deadlines = deadline::Entity::find()
        .filter(deadline::Column::KommunId.eq(kommun_id))
        .order_by_asc(deadline::Column::DueDate)
        .order_by_asc(deadline::Column::Id)
        .all(db)
        .await?;
    let mut events = Vec::new();
    for d in deadlines {
        let namnd = d.namnd_id.and_then(|id| namnder.get(&id));
        if namnd.is_some_and(|n| !in_scope(&n.code)) {
            continue;
        }
        let Some(period) = periods.get(&d.period_id) else {
            continue;
        };
        let spec = super::periods::spec_of(period)?;
        // "Delårsrapport 2024", "Månadsrapport Mars 2024" (as reports are titled).
        let when = match d.report_type {
            ReportType::Arsredovisning | ReportType::Plan | ReportType::Delarsrapport => {
                spec.year.to_string()
            }
            _ => spec.label(),
        };
        let what = format!("{} {when}", type_label(d.report_type.as_str()));
        let (summary, whom) = match namnd {
            Some(n) => (
                format!("{}: {what} – {}", kind_label(d.kind), n.code),
                n.name.clone(),
            ),
            None if d.kind.is_namnd_step() => (
                format!("{}: {what}", kind_label(d.kind)),
                "Alla nämnder".to_string(),
            ),
            None => (
                format!("{}: {what}", kind_label(d.kind)),
                kommun.name.clone(),
            ),
        };
        events.push(CalendarEvent {
            uid: format!("deadline-{}@kommunrapport", d.id),
            date: d.due_date,
            summary,
            description: Some(format!("{}. {what}. {whom}.", kind_description(d.kind))),
            stamp: d.updated_at,
        });
    }
    for o in obligations::of_kommun(db, kommun_id, true, today).await? {
        if !in_scope(&o.namnd) {
            continue;
        }
        let mut description = format!(
            "Åtgärdsplan enligt regeln \"{}\": helårsprognosen avviker {} kr från budget",
            o.rule_name,
            o.prognos_avvikelse.normalize()
        );
        if let Some(p) = o.prognos_avvikelse_procent {
            description.push_str(&format!(" ({} %)", p.normalize()));
        }
        description.push_str(&format!(
            ". Rapporten godkänd {}.",
            o.approved_at.date_naive()
        ));
        if let Some(met) = o.met_on {
            description.push_str(&format!(" Uppfylld {met}."));
        }
        events.push(CalendarEvent {
            uid: format!("obligation-{}-{}@kommunrapport", o.report_id, o.rule_id),
            date: o.due_date,
            summary: format!("Åtgärdsplan: {} ({})", o.namnd, o.rule_name),
            description: Some(description),
            stamp: midnight(
                o.met_on
                    .unwrap_or(o.approved_at.date_naive())
                    .max(o.approved_at.date_naive()),
            ),
        });
    }
    events.sort_by(|a, b| (a.date, &a.uid).cmp(&(b.date, &b.uid)));
    let name = match &scope {
        None => format!("Uppföljning {}", kommun.name),
        Some(codes) => format!("Uppföljning {} {}", kommun.name, codes.join(", ")),
    };
    Ok((name, events))
}
