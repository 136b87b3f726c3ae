//! A report's decided versions as a whole: the document a version keeps
//! (made from every part's live answer), the read of an approved report as
//! decided, whether today's figures differ from it, and the versions' list,
//! content and diff. Above the parts it is made of; the parts themselves
//! answer as decided through [`crate::api::decided`].

use std::collections::BTreeSet;

use actix_web::{HttpResponse, get, web};
use base64::{Engine, engine::general_purpose::STANDARD};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    action_plans::ActionPlanDto,
    dto::{IncludePart, ReportDto},
    sections::SectionDto,
    tables::table,
};
use crate::api::{
    assessments::assessment_list,
    assignments::status_list,
    audit::AuditEntry,
    common::{computed, with_etag},
    decided::{Basis, Decided, Header, VersionDto},
    figures::Unit,
    report_parts,
    resource::Ctx,
};
use crate::{
    auth::Action,
    domain::{BudgetLineKind, structure::ReportStatus},
    error::{ApiError, ServiceError},
    service::{audit, reports, reports::ReportContext, versions},
    state::AppState,
};

fn to_value<T: Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::Service(ServiceError::Unexpected(format!("serialise: {e}"))))
}

/// Everything the report of `ctx` shows, as a decided version keeps it:
/// the header with the decision, the sections, drift and investering (in kr
/// and tkr, with every derived figure), åtgärdsplaner, volymmått, staff
/// figures, the assessments with their suggested bedömning and the
/// indicators behind them, the uppdrag with their status, and the indicator
/// appendix of the report's year for the nämnd's goals.
pub async fn document(db: &impl ConnectionTrait, ctx: &ReportContext) -> Result<Value, ApiError> {
    let mut tables = serde_json::Map::new();
    for (key, kind) in [
        ("drift", BudgetLineKind::Drift),
        ("investering", BudgetLineKind::Investering),
    ] {
        tables.insert(
            key.into(),
            json!({
                "kr": to_value(&table(db, ctx, kind, Unit::Kr).await?)?,
                "tkr": to_value(&table(db, ctx, kind, Unit::Tkr).await?)?,
            }),
        );
    }
    let sections: Vec<SectionDto> = reports::sections(db, ctx.report.id)
        .await?
        .into_iter()
        .map(SectionDto::from)
        .collect();
    let plans: Vec<ActionPlanDto> = reports::action_plans(db, ctx.report.id)
        .await?
        .into_iter()
        .map(ActionPlanDto::from)
        .collect();
    let mut doc = json!({
        "report": to_value(&ReportDto::of(ctx)?)?,
        "sections": to_value(&sections)?,
        "action_plans": to_value(&plans)?,
        "volume_measures": report_parts::volume_measures(db, ctx).await?,
        "key_figures": report_parts::key_figures(db, ctx).await?,
        "assessments": to_value(&assessment_list(db, ctx).await?)?,
        "assignment_statuses": to_value(&status_list(db, ctx).await?)?,
        "indicators": to_value(&report_parts::indicators(db, ctx).await?)?,
    });
    if let Value::Object(map) = &mut doc {
        map.extend(tables);
    }
    Ok(doc)
}

/// A read of an approved report as decided: the report, the header, then
/// each asked part, copied from the stored version without re-parsing it.
pub struct DecidedRead<'a> {
    pub decided: &'a Decided,
    pub header: &'a Header,
    pub includes: &'a [IncludePart],
    pub unit: Unit,
}

impl Serialize for DecidedRead<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("report", self.decided.part("report", self.unit))?;
        map.serialize_entry("basis", &self.header.basis)?;
        map.serialize_entry("decided_version", &self.header.decided_version)?;
        map.serialize_entry(
            "changed_since_decision",
            &self.header.changed_since_decision,
        )?;
        // Every part is present: the asked ones as decided, the others null.
        for part in IncludePart::ALL {
            let name = part.as_str();
            if self.includes.contains(&part) {
                map.serialize_entry(name, self.decided.part(name, self.unit))?;
            } else {
                map.serialize_entry(name, &())?;
            }
        }
        map.end()
    }
}

/// Whether the live figures behind an approved report differ from its
/// decided version. Rebuilding the live document costs a whole report, so
/// the answer is kept per report until the kommun's change feed moves.
pub async fn changed_since_decision(
    state: &AppState,
    ctx: &ReportContext,
    decided: &Decided,
) -> Result<bool, ApiError> {
    let seq = decided.version.kommun_seq.unwrap_or(0);
    let key = (ctx.report.id, decided.version.number);
    if let Some(changed) = state.decided_checks.get(key, seq) {
        return Ok(changed);
    }
    let mut live = document(&state.db, ctx).await?;
    let stored = versions::read_document(&decided.document.canonical)?;
    // A version decided before a part or a field existed is compared on
    // what it has, exactly as the diff compares it.
    only_parts_of(&stored, &mut live);
    let changed = !figure_differences(&stored, &live).is_empty();
    state.decided_checks.put(key, seq, changed);
    Ok(changed)
}

/// The header of a read of a report: which basis it shows, the latest
/// decided version and, for a decided read, whether today's figures differ.
pub async fn header(
    state: &AppState,
    ctx: &ReportContext,
    decided: Option<&Decided>,
) -> Result<Header, ApiError> {
    let Some(d) = decided else {
        let version = match ctx.status {
            ReportStatus::Godkand => versions::latest_meta(&state.db, ctx.report.id)
                .await?
                .map(|v| VersionDto::from(&v)),
            _ => None,
        };
        return Ok(Header {
            basis: Basis::Live,
            decided_version: version,
            changed_since_decision: None,
        });
    };
    Ok(Header {
        basis: Basis::Beslutad,
        decided_version: Some(VersionDto::from(&d.version)),
        changed_since_decision: Some(changed_since_decision(state, ctx, d).await?),
    })
}

/// The versions of a report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "items": [{"number": 1,
    "sha256": "9f2c…", "prev_sha256": null, "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
    "diarienummer": null, "decided_at": "2025-02-27T15:00:00Z", "decided_by": "anna.sekreterare"}]}))]
pub struct VersionList {
    pub report_id: Uuid,
    /// Oldest first.
    pub items: Vec<VersionDto>,
}

/// Every decided version of a report, oldest first: one per approval.
#[utoipa::path(tag = "reports", params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, description = "The versions", body = VersionList, headers(("ETag" = String)))))]
#[get("/reports/{id}/versions")]
pub async fn list_versions(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(*id, Action::Read).await?;
    let (req, state, _) = cx.into_parts();
    let items = versions::list(&state.db, ctx.report.kommun_id, ctx.report.id)
        .await?
        .iter()
        .map(VersionDto::from)
        .collect();
    computed(
        &req,
        &VersionList {
            report_id: ctx.report.id,
            items,
        },
    )
}

/// One decided version: the stored canonical JSON, byte for byte, with its
/// SHA-256 in `Content-Digest` (RFC 9530) and as the strong ETag. A version
/// never changes.
#[utoipa::path(tag = "reports",
    params(("id" = Uuid, Path, description = "Report id"), ("number" = i32, Path, description = "Version number, from 1")),
    responses(
        (status = 200, description = "The version's canonical JSON: report, sections, drift and investering (kr and tkr), action_plans, volume_measures, key_figures, assessments, assignment_statuses, indicators (versions decided before 0.x keep the names of their time)",
            content_type = "application/json", body = Object,
            headers(("Content-Digest" = String, description = "sha-256=:base64:"), ("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such version", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/reports/{id}/versions/{number}")]
pub async fn get_version(cx: Ctx, path: web::Path<(Uuid, i32)>) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let ctx = cx.report(id, Action::Read).await?;
    let (req, state, _) = cx.into_parts();
    let version = versions::get(&state.db, ctx.report.kommun_id, ctx.report.id, number).await?;
    let tag = format!("\"{}\"", version.sha256);
    let digest = hex_to_bytes(&version.sha256)
        .ok_or_else(|| ServiceError::Unexpected("stored hash is not hex".into()))?;
    // A decided version never changes: clients may keep it for good.
    Ok(with_etag(
        &req,
        tag,
        "private, max-age=31536000, immutable",
        |ok| {
            ok.insert_header((
                "Content-Digest",
                format!("sha-256=:{}:", STANDARD.encode(digest)),
            ))
            .content_type("application/json")
            .body(version.document)
        },
    ))
}

fn hex_to_bytes(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

/// One figure whose live value differs from the decided one.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"path": "/drift/tkr/rows/0/figures/avvikelse", "decided": 9024, "live": 4814}))]
pub struct Difference {
    /// JSON Pointer into the version document (`/drift/kr/rows/2/utfall`).
    pub path: String,
    /// The decided value: a number, text, an object...
    #[schema(schema_with = crate::api::schema::any_json)]
    pub decided: Value,
    /// The live value.
    #[schema(schema_with = crate::api::schema::any_json)]
    pub live: Value,
}

/// What changed behind an approved report since its latest decision.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0",
    "version": {"number": 1, "sha256": "9f2c…", "prev_sha256": null, "beslut_datum": "2025-02-27",
        "beslut_paragraf": "§ 22", "diarienummer": null, "decided_at": "2025-02-27T15:00:00Z", "decided_by": "anna.sekreterare"},
    "changed_since_decision": true,
    "differences": [{"path": "/drift/tkr/rows/0/figures/avvikelse", "decided": 9024, "live": 4814}],
    "audit": []}))]
pub struct ReportDiff {
    pub report_id: Uuid,
    pub version: VersionDto,
    pub changed_since_decision: bool,
    pub differences: Vec<Difference>,
    /// The audit entries since the decision that touched the data the
    /// decided version shows (its lines, measures, indicators, goals,
    /// assignments and the nämnd's tables), oldest first.
    pub audit: Vec<AuditEntry>,
}

/// Every figure of an approved report whose live value differs from the
/// decided one, and the changes since the decision behind them. 404 for a
/// report without a decided version.
#[utoipa::path(tag = "reports", params(("id" = Uuid, Path, description = "Report id")),
    responses(
        (status = 200, description = "The differences", body = ReportDiff),
        (status = 404, description = "Not found, or never approved", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/reports/{id}/diff")]
pub async fn diff_report(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(*id, Action::Read).await?;
    let (_, state, _) = cx.into_parts();
    let Some(version) = versions::latest_meta(&state.db, ctx.report.id).await? else {
        return Err(ServiceError::NotFound(
            "the report has no decided version; it was never approved".into(),
        )
        .into());
    };
    let stored = versions::get(
        &state.db,
        ctx.report.kommun_id,
        ctx.report.id,
        version.number,
    );
    let decided = versions::read_document(&stored.await?.document)?;
    let mut live = document(&state.db, &ctx).await?;
    only_parts_of(&decided, &mut live);
    let differences = figure_differences(&decided, &live);
    let mut ids = BTreeSet::new();
    collect_ids(&decided, &mut ids);
    ids.remove(&ctx.report.id);
    ids.remove(&ctx.period.id);
    ids.remove(&ctx.report.kommun_id);
    let entries = audit::touching(
        &state.db,
        ctx.report.kommun_id,
        version.decided_at,
        &ids.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ReportDiff {
        report_id: ctx.report.id,
        changed_since_decision: !differences.is_empty(),
        version: VersionDto::from(&version),
        differences,
        audit: entries.into_iter().map(AuditEntry::from).collect(),
    }))
}

/// A version is compared on the parts it holds: a part the document gained
/// after the version was decided (the indicator appendix) is no change.
fn only_parts_of(decided: &Value, live: &mut Value) {
    if let (Value::Object(d), Value::Object(l)) = (decided, live) {
        l.retain(|k, _| d.contains_key(k));
    }
}

/// Where today's document differs from the decided one. The live header
/// says the report is approved or reopened; the decided one is the decision
/// itself: compare figures, not the workflow.
fn figure_differences(decided: &Value, live: &Value) -> Vec<Difference> {
    let mut differences = Vec::new();
    compare("", decided, live, &mut differences);
    differences.retain(|d| !d.path.starts_with("/report/"));
    differences
}

/// The leaves where `live` differs from `decided`, as JSON Pointers.
fn compare(path: &str, decided: &Value, live: &Value, out: &mut Vec<Difference>) {
    match (decided, live) {
        // Members are fields, never data (rows are lists): a member only one
        // side has is a field the service added or dropped since the
        // decision, not a change of figures, so only shared members count.
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().filter(|k| b.contains_key(*k)).collect();
            for k in keys {
                let child = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                compare(
                    &child,
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                compare(
                    &format!("{path}/{i}"),
                    a.get(i).unwrap_or(&Value::Null),
                    b.get(i).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(Difference {
            path: path.to_string(),
            decided: a.clone(),
            live: b.clone(),
        }),
        _ => {}
    }
}

/// Every id the document names (`id`, `*_id` members).
fn collect_ids(value: &Value, out: &mut BTreeSet<Uuid>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if (k == "id" || k.ends_with("_id"))
                    && let Some(id) = v.as_str().and_then(|s| s.parse().ok())
                {
                    out.insert(id);
                }
                collect_ids(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, out)),
        _ => {}
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_versions)
        .service(get_version)
        .service(diff_report);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_json_pointers_to_the_changed_leaves() {
        let decided =
            json!({"drift": {"kr": {"rows": [{"utfall": -1, "name": "a/b"}]}}, "same": 1});
        let live = json!({"drift": {"kr": {"rows": [{"utfall": -2, "name": "a/b"}]}}, "same": 1});
        let mut out = Vec::new();
        compare("", &decided, &live, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "/drift/kr/rows/0/utfall");
        assert_eq!(
            (out[0].decided.clone(), out[0].live.clone()),
            (json!(-1), json!(-2))
        );
    }

    #[test]
    fn fields_added_or_dropped_since_the_decision_are_no_difference() {
        let decided = json!({"indicators": {"rows": [{"id": "a", "utfall": 83, "old": 1}]}});
        let live = json!({"indicators": {"rows": [{"id": "a", "utfall": 83,
            "jamforelse": {"country": 80}}]}});
        assert!(figure_differences(&decided, &live).is_empty());
        // A changed figure beside a new field still counts, and so does a row.
        let live = json!({"indicators": {"rows": [{"id": "a", "utfall": 84,
            "jamforelse": null}, {"id": "b"}]}});
        let paths: Vec<String> = figure_differences(&decided, &live)
            .into_iter()
            .map(|d| d.path)
            .collect();
        assert_eq!(paths, ["/indicators/rows/0/utfall", "/indicators/rows/1"]);
    }

    #[test]
    fn hex_digests_decode() {
        assert_eq!(hex_to_bytes("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hex_to_bytes("zz"), None);
    }
}
