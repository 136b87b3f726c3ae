//! `/kommun/submissions`: which nämnder have submitted their report for a
//! period, and how they stand against its deadlines.

use actix_web::{HttpResponse, get};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PeriodViewQuery, json_or_csv, period_view};
use crate::api::resource::Ctx;
use crate::{
    domain::process::{DeadlineKind, DeadlineState},
    error::ApiError,
    service::{consolidation, deadlines},
};

/// Where one nämnd's report stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON", "name": "Vård- och omsorgsnämnden",
    "status": "godkand", "report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "created_at": "2025-01-15T09:00:00Z",
    "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
    "deadlines": [{"deadline_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "kind": "underlag",
        "due_date": "2025-02-07", "met_on": "2025-02-10", "state": "late", "days_late": 3}]}))]
pub struct SubmissionRow {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub name: String,
    /// `saknas` (no report yet), `utkast`, `for_beslut` or `godkand`.
    pub status: String,
    pub report_id: Option<Uuid>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub beslut_datum: Option<NaiveDate>,
    pub beslut_paragraf: Option<String>,
    /// The nämnd against the process calendar's deadlines of the period and
    /// type (`/deadlines`): underlag, nämndbeslut and inlämning, its own
    /// date where it has one, else the kommun's. Empty without deadlines.
    pub deadlines: Vec<DeadlineStatus>,
}

/// A nämnd against one deadline, as of today.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"deadline_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "kind": "underlag",
    "due_date": "2025-02-07", "met_on": "2025-02-10", "state": "late", "days_late": 3}))]
pub struct DeadlineStatus {
    pub deadline_id: Uuid,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    /// When the nämnd met it: underlag when its report was submitted,
    /// nämndbeslut its beslut_datum, inlämning when it was approved.
    pub met_on: Option<NaiveDate>,
    pub state: DeadlineState,
    /// Days after the date it was met (late), or that have passed without
    /// it (missing); null otherwise.
    pub days_late: Option<i64>,
}

/// The nämnd steps of the process calendar as the submissions CSV names
/// them: per step a date, a state and days late.
const DEADLINE_COLUMNS: [(DeadlineKind, &str); 3] = [
    (DeadlineKind::Underlag, "Underlag"),
    (DeadlineKind::Namndbeslut, "Nämndbeslut"),
    (DeadlineKind::Inlamning, "Inlämning"),
];

/// Submission status for a period and report type: which nämnder have no
/// report, or one in utkast, for_beslut or godkand, with dates.
#[utoipa::path(tag = "kommun", params(PeriodViewQuery),
    responses(
        crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "A row per nämnd; CSV with `format=csv` or `Accept: text/csv`", body = Vec<SubmissionRow>,
            content((Vec<SubmissionRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Nämnd;Namn;Status;Skapad;Inlämnad;Godkänd;Beslutsdatum;Paragraf;Underlag senast;Underlag läge;Underlag dagar sent;Nämndbeslut senast;Nämndbeslut läge;Nämndbeslut dagar sent;Inlämning senast;Inlämning läge;Inlämning dagar sent\r\nBIN;Bildningsnämnden;saknas;;;;;;2025-02-07;missing;20;;;;;;\r\nVON;Vård- och omsorgsnämnden;godkand;2025-01-15;2025-02-10;2025-02-27;2025-02-27;§ 22;2025-02-07;late;3;;;;;;\r\n")))),
        crate::api::responses::UnknownPeriod,
    ))]
#[get("/kommun/submissions")]
pub async fn submissions(
    cx: Ctx,
    query: crate::api::common::ApiQuery<PeriodViewQuery>,
) -> Result<HttpResponse, ApiError> {
    // The deadlines' states depend on the day.
    let today = crate::service::clock::now().date_naive();
    period_view(cx, query.period_id, &format!("&today={today}"), async |v| {
        let deadlines =
            deadlines::of_period(&v.state.db, v.kommun_id, query.period_id, query.report_type)
                .await?;
        let rows: Vec<SubmissionRow> = consolidation::submissions(
            &v.state.db,
            v.kommun_id,
            query.period_id,
            query.report_type.as_str(),
        )
        .await?
        .into_iter()
        .map(|(n, r)| SubmissionRow {
            deadlines: deadlines::namnd_deadlines(&deadlines, n.id, r.as_ref(), today)
                .into_iter()
                .map(|d| DeadlineStatus {
                    deadline_id: d.deadline_id,
                    kind: d.kind,
                    due_date: d.due_date,
                    met_on: d.met_on,
                    state: d.state,
                    days_late: d.days_late,
                })
                .collect(),
            namnd_id: n.id,
            namnd: n.code,
            name: n.name,
            status: r
                .as_ref()
                .map(|r| r.status.to_string())
                .unwrap_or_else(|| "saknas".into()),
            report_id: r.as_ref().map(|r| r.id),
            created_at: r.as_ref().map(|r| r.created_at),
            submitted_at: r.as_ref().and_then(|r| r.submitted_at),
            approved_at: r.as_ref().and_then(|r| r.approved_at),
            beslut_datum: r.as_ref().and_then(|r| r.beslut_datum),
            beslut_paragraf: r.and_then(|r| r.beslut_paragraf),
        })
        .collect();
        let file = format!(
            "inlamning-{}-{}-{}.csv",
            query.report_type, v.spec.year, v.spec.kind
        );
        let mut headers: Vec<String> = [
            "Nämnd",
            "Namn",
            "Status",
            "Skapad",
            "Inlämnad",
            "Godkänd",
            "Beslutsdatum",
            "Paragraf",
        ]
        .map(String::from)
        .to_vec();
        for (_, label) in DEADLINE_COLUMNS {
            headers.push(format!("{label} senast"));
            headers.push(format!("{label} läge"));
            headers.push(format!("{label} dagar sent"));
        }
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        json_or_csv(&v.req, query.format, &rows, (&file, &headers), || {
            rows.iter().map(submission_cells).collect()
        })
    })
    .await
}

/// A submission row as the CSV shows it: the report's dates, then per
/// nämnd step of the process its date, the nämnd's state and days late.
fn submission_cells(r: &SubmissionRow) -> Vec<String> {
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let mut cells = vec![
        r.namnd.clone(),
        r.name.clone(),
        r.status.clone(),
        date(r.created_at),
        date(r.submitted_at),
        date(r.approved_at),
        r.beslut_datum.map(|d| d.to_string()).unwrap_or_default(),
        r.beslut_paragraf.clone().unwrap_or_default(),
    ];
    for (kind, _) in DEADLINE_COLUMNS {
        let d = r.deadlines.iter().find(|d| d.kind == kind);
        cells.push(d.map(|d| d.due_date.to_string()).unwrap_or_default());
        cells.push(d.map(|d| d.state.to_string()).unwrap_or_default());
        cells.push(
            d.and_then(|d| d.days_late)
                .map(|n| n.to_string())
                .unwrap_or_default(),
        );
    }
    cells
}
