//! `/kommun/goal-matrix`, `/kommun/indicators`, `/kommun/assignments`: the
//! plan's goals, indicators and assignments across every nämnd.

use actix_web::{HttpResponse, get};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Format, PeriodViewQuery, json_or_csv, period_view};
use crate::api::resource::Ctx;
use crate::{
    api::{
        common::computed,
        csv,
        read_cache::{Snapshot, request_key},
    },
    domain::{Bedomning, Trend},
    error::ApiError,
    service::kommun_views as views,
};

/// Colour counts.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[schema(example = json!({"gron": 3, "gul": 1, "rod": 0, "ingen": 2}))]
pub struct ColourCount {
    pub gron: u32,
    pub gul: u32,
    pub rod: u32,
    pub ingen: u32,
}

impl From<views::ColourCount> for ColourCount {
    fn from(c: views::ColourCount) -> Self {
        ColourCount {
            gron: c.gron,
            gul: c.gul,
            rod: c.rod,
            ingen: c.ingen,
        }
    }
}

/// One nämnd's assessment of a goal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd": "VON", "role": "huvudansvar", "report_id": null, "bedomning": "gul", "comment": "Delvis uppfyllt"}))]
pub struct MatrixCell {
    pub namnd: String,
    /// `huvudansvar` or `medansvar`.
    pub role: String,
    pub report_id: Option<Uuid>,
    /// The nämnd's final bedömning; null when not assessed yet.
    pub bedomning: Option<Bedomning>,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"goal_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "title": "Ökad nöjdhet med hemtjänsten", "suggested": "rod",
    "cells": [], "summary": {"gron": 0, "gul": 0, "rod": 1, "ingen": 0}}))]
pub struct MatrixGoal {
    pub goal_id: Uuid,
    pub title: String,
    /// Suggested from the goal's indicators for the period's year.
    pub suggested: Bedomning,
    pub cells: Vec<MatrixCell>,
    pub summary: ColourCount,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"goal_area_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "name": "Trygg omsorg & vård", "goals": [], "summary": {"gron": 2, "gul": 3, "rod": 1, "ingen": 0}}))]
pub struct MatrixArea {
    pub goal_area_id: Uuid,
    pub name: String,
    pub goals: Vec<MatrixGoal>,
    pub summary: ColourCount,
}

impl From<views::MatrixArea> for MatrixArea {
    fn from(a: views::MatrixArea) -> Self {
        MatrixArea {
            goal_area_id: a.goal_area_id,
            name: a.name,
            goals: a
                .goals
                .into_iter()
                .map(|g| MatrixGoal {
                    goal_id: g.goal_id,
                    title: g.title,
                    suggested: g.suggested,
                    cells: g
                        .cells
                        .into_iter()
                        .map(|c| MatrixCell {
                            namnd: c.namnd,
                            role: c.role.into(),
                            report_id: c.report_id,
                            bedomning: c.bedomning,
                            comment: c.comment,
                        })
                        .collect(),
                    summary: g.summary.into(),
                })
                .collect(),
            summary: a.summary.into(),
        }
    }
}

/// The goal matrix: every resultatmål of the plan in force in the
/// period's year × every responsible nämnd with its
/// bedömning (and the suggestion from the indicators), with counts per
/// colour for each goal and goal area.
#[utoipa::path(tag = "kommun", params(PeriodViewQuery),
    responses(
        crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "Goal areas with their goals and cells; CSV with `format=csv` or `Accept: text/csv`", body = Vec<MatrixArea>,
            content((Vec<MatrixArea> = "application/json"), (String = "text/csv", example = json!("\u{feff}Målområde;Resultatmål;Nämnd;Ansvar;Bedömning;Förslag från indikatorer;Kommentar\r\nTrygg omsorg & vård;Ökad nöjdhet med hemtjänsten;VON;huvudansvar;rod;rod;Målet är inte uppfyllt\r\n")))),
        crate::api::responses::UnknownPeriod,
    ))]
#[get("/kommun/goal-matrix")]
pub async fn goal_matrix(
    cx: Ctx,
    query: crate::api::common::ApiQuery<PeriodViewQuery>,
) -> Result<HttpResponse, ApiError> {
    period_view(cx, query.period_id, "", async |v| {
        let rows: Vec<MatrixArea> = views::goal_matrix(
            &v.state.db,
            v.kommun_id,
            query.period_id,
            v.spec.year,
            query.report_type.as_str(),
        )
        .await?
        .into_iter()
        .map(MatrixArea::from)
        .collect();
        let file = format!("malmatris-{}.csv", v.spec.year);
        let headers = [
            "Målområde",
            "Resultatmål",
            "Nämnd",
            "Ansvar",
            "Bedömning",
            "Förslag från indikatorer",
            "Kommentar",
        ];
        json_or_csv(&v.req, query.format, &rows, (&file, &headers), || {
            let name = |b: Option<Bedomning>| b.map_or("", Bedomning::as_str).to_string();
            let mut cells = Vec::new();
            for a in &rows {
                for g in &a.goals {
                    for c in &g.cells {
                        cells.push(vec![
                            a.name.clone(),
                            g.title.clone(),
                            c.namnd.clone(),
                            c.role.clone(),
                            name(c.bedomning),
                            name(Some(g.suggested)),
                            c.comment.clone().unwrap_or_default(),
                        ]);
                    }
                }
            }
            cells
        })
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorOverviewQuery {
    /// Year assessed (default: each indicator's latest year with a riktvärde).
    #[param(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
    pub goal_area_id: Option<Uuid>,
    /// Nämnd code: indicators of goals it answers for.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Only this final colour.
    pub bedomning: Option<Bedomning>,
    pub format: Option<Format>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071f0", "name": "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)",
    "goal_areas": ["Trygg omsorg & vård"], "year": 2024, "utfall_year": 2024, "utfall": 83, "trend": "forsamrad", "riktvarde": 90, "bedomning": "rod", "bedomning_computed": "rod", "kolada_id": "U21468",
    "jamforelse": {"year": 2024, "country": 81.2, "group": 84.5, "group_id": "G124026", "group_name": "Liknande kommuner äldreomsorg, 2024"}}))]
pub struct IndicatorOverviewRow {
    pub indicator_id: Uuid,
    pub name: String,
    pub goal_areas: Vec<String>,
    pub year: Option<i32>,
    /// Year of the latest available utfall used.
    pub utfall_year: Option<i32>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall: Option<rust_decimal::Decimal>,
    pub trend: Trend,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub riktvarde: Option<rust_decimal::Decimal>,
    pub bedomning: Bedomning,
    pub bedomning_computed: Bedomning,
    pub kolada_id: Option<String>,
    /// For an indicator with a Kolada id, the country's and the
    /// comparison group's values of `utfall_year` (else `year`); null
    /// without Kolada id or year.
    #[schema(required = true)]
    pub jamforelse: Option<crate::api::indicators::JamforelseDto>,
}

/// Every indicator with latest utfall, trend, riktvärde and bedömning,
/// filterable by goal area, nämnd and colour.
#[utoipa::path(tag = "kommun", params(IndicatorOverviewQuery),
    responses(crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "A row per indicator; CSV with `format=csv` or `Accept: text/csv`", body = Vec<IndicatorOverviewRow>,
        content((Vec<IndicatorOverviewRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Indikator;Målområde;Utfallsår;Utfall;Trend;Riktvärde;Bedömning;Kolada;Riket;Jämförelsegrupp\r\nArbetslöshet 16-64 år (%);Tillväxt, bostäder & fler jobb;2024;9,3;forsamrad;8;rod;;;\r\n"))))))]
#[get("/kommun/indicators")]
pub async fn indicator_overview(
    cx: Ctx,
    query: crate::api::common::ApiQuery<IndicatorOverviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    crate::auth::authorize(
        &principal,
        crate::auth::Action::Read,
        crate::api::resource::consolidated_target(&principal),
    )?;
    if let Some(year) = query.year {
        crate::api::indicators::parse_year(&year.into())
            .map_err(|e| ApiError::validation("year", e))?;
    }
    let Some(kommun_id) = principal.kommun_id else {
        return computed(&req, &Vec::<IndicatorOverviewRow>::new());
    };
    let snapshot = Snapshot::take(&state, kommun_id).await?;
    snapshot
        .respond(&req, &state, request_key(&req), || async {
            let filter = views::IndicatorFilter {
                year: query.year,
                goal_area_id: query.goal_area_id,
                namnd: query.namnd.as_deref(),
                bedomning: query.bedomning,
            };
            let rows: Vec<IndicatorOverviewRow> =
                views::indicator_overview(&state.db, kommun_id, filter)
                    .await?
                    .into_iter()
                    .map(|r| IndicatorOverviewRow {
                        indicator_id: r.indicator_id,
                        name: r.name,
                        goal_areas: r.goal_areas,
                        year: r.year,
                        utfall_year: r.utfall_year,
                        utfall: r.utfall,
                        trend: r.trend,
                        riktvarde: r.riktvarde,
                        bedomning: r.bedomning,
                        bedomning_computed: r.bedomning_computed,
                        kolada_id: r.kolada_id,
                        jamforelse: r.jamforelse.map(Into::into),
                    })
                    .collect();
            let headers = [
                "Indikator",
                "Målområde",
                "Utfallsår",
                "Utfall",
                "Trend",
                "Riktvärde",
                "Bedömning",
                "Kolada",
                "Riket",
                "Jämförelsegrupp",
            ];
            json_or_csv(
                &req,
                query.format,
                &rows,
                ("indikatorer.csv", &headers),
                || {
                    rows.iter()
                        .map(|r| {
                            vec![
                                r.name.clone(),
                                r.goal_areas.join(", "),
                                r.utfall_year.map(|y| y.to_string()).unwrap_or_default(),
                                csv::number(r.utfall),
                                r.trend.as_str().to_string(),
                                csv::number(r.riktvarde),
                                r.bedomning.as_str().to_string(),
                                r.kolada_id.clone().unwrap_or_default(),
                                csv::number(r.jamforelse.as_ref().and_then(|j| j.country)),
                                csv::number(r.jamforelse.as_ref().and_then(|j| j.group)),
                            ]
                        })
                        .collect()
                },
            )
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"assignment_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607200", "title": "Fortsätta effektivisera", "sarskilt": true, "end_date": null,
    "namnd": "VON", "role": "huvudansvar", "report_id": null, "status": "paborjad", "comment": "Arbetet pågår"}))]
pub struct AssignmentOverviewRow {
    pub assignment_id: Uuid,
    pub title: String,
    pub sarskilt: bool,
    pub end_date: Option<chrono::NaiveDate>,
    pub namnd: String,
    pub role: String,
    pub report_id: Option<Uuid>,
    /// `ej_startad`, `paborjad`, `klar`, `stoppad`; null when not reported.
    pub status: Option<String>,
    pub comment: Option<String>,
}

/// Every uppdrag × responsible nämnd with the status and comment of the
/// nämnd's report for the period.
#[utoipa::path(tag = "kommun", params(PeriodViewQuery),
    responses(
        crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "A row per uppdrag and nämnd; CSV with `format=csv` or `Accept: text/csv`", body = Vec<AssignmentOverviewRow>,
            content((Vec<AssignmentOverviewRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Uppdrag;Nämnd;Ansvar;Status;Slutdatum;Kommentar\r\nUtveckla boendekedjan för äldre;VON;medansvar;paborjad;;\"Boendeplanen reviderades 2023; renoveringen är prioriterad\"\r\n")))),
        crate::api::responses::UnknownPeriod,
    ))]
#[get("/kommun/assignments")]
pub async fn assignment_overview(
    cx: Ctx,
    query: crate::api::common::ApiQuery<PeriodViewQuery>,
) -> Result<HttpResponse, ApiError> {
    period_view(cx, query.period_id, "", async |v| {
        let rows: Vec<AssignmentOverviewRow> = views::assignment_overview(
            &v.state.db,
            v.kommun_id,
            query.period_id,
            query.report_type.as_str(),
        )
        .await?
        .into_iter()
        .map(|r| AssignmentOverviewRow {
            assignment_id: r.assignment_id,
            title: r.title,
            sarskilt: r.sarskilt,
            end_date: r.slutdatum,
            namnd: r.namnd,
            role: r.role.into(),
            report_id: r.report_id,
            status: r.status,
            comment: r.comment,
        })
        .collect();
        let file = format!("uppdrag-{}.csv", v.spec.year);
        let headers = [
            "Uppdrag",
            "Nämnd",
            "Ansvar",
            "Status",
            "Slutdatum",
            "Kommentar",
        ];
        json_or_csv(&v.req, query.format, &rows, (&file, &headers), || {
            rows.iter()
                .map(|r| {
                    vec![
                        r.title.clone(),
                        r.namnd.clone(),
                        r.role.clone(),
                        r.status.clone().unwrap_or_default(),
                        r.end_date.map(|d| d.to_string()).unwrap_or_default(),
                        r.comment.clone().unwrap_or_default(),
                    ]
                })
                .collect()
        })
    })
    .await
}
