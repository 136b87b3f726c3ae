//! The queries behind the consolidated views over every nämnd
//! (`/kommun/…`): the period viewed, one nämnd's table, the goal matrix,
//! the indicator overview and the uppdrag overview. The kommun table and
//! the submissions are in [`super::consolidation`].

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    domain::{Bedomning, BudgetLineKind, Gender, ReportPeriod, Trend, structure::PeriodSpec},
    entity::{
        assessment, assignment, assignment_status, goal, goal_area, goal_namnd, namnd, period,
    },
    service::{
        assessments, assignments,
        budget_lines::{self, ReportTable},
        consolidation, crud,
        error::ServiceError,
        goals, indicators,
        kolada_comparisons::{self, YearComparison},
        periods,
    },
};

/// The period a view is asked for: its spec and its report period.
#[tracing::instrument(skip_all, fields(%kommun_id, %period_id))]
pub async fn view_period(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
) -> Result<(PeriodSpec, ReportPeriod), ServiceError> {
    let period = crud::get_named::<period::Entity>(db, kommun_id, period_id, "period_id").await?;
    let spec = periods::spec_of(&period)?;
    let (first, last) = spec.months();
    let report_period = ReportPeriod::new(spec.year, first, last)
        .map_err(|e| ServiceError::Unexpected(e.to_string()))?;
    Ok((spec, report_period))
}

/// The kommun's nämnd with this code (a field error on `namnd` otherwise).
async fn namnd_by_code(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    code: &str,
) -> Result<namnd::Model, ServiceError> {
    namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .filter(namnd::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::validation("namnd", format!("no nämnd {code:?} in your kommun"))
        })
}

/// The drill-down of the kommun table: one nämnd's lines of `kind`.
#[tracing::instrument(skip_all, fields(%kommun_id, namnd = code))]
pub async fn namnd_table(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    code: &str,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<ReportTable, ServiceError> {
    let namnd = namnd_by_code(db, kommun_id, code).await?;
    budget_lines::report_table(db, namnd.id, kind, period).await
}

/// Colour counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ColourCount {
    pub gron: u32,
    pub gul: u32,
    pub rod: u32,
    pub ingen: u32,
}

impl ColourCount {
    fn add(&mut self, b: Bedomning) {
        match b {
            Bedomning::Gron => self.gron += 1,
            Bedomning::Gul => self.gul += 1,
            Bedomning::Rod => self.rod += 1,
            Bedomning::Ingen => self.ingen += 1,
        }
    }
}

/// One nämnd's assessment of a goal.
#[derive(Debug, Clone)]
pub struct MatrixCell {
    pub namnd: String,
    /// `huvudansvar` or `medansvar`.
    pub role: &'static str,
    pub report_id: Option<Uuid>,
    /// The nämnd's final bedömning; `None` when not assessed yet.
    pub bedomning: Option<Bedomning>,
    pub comment: Option<String>,
}

/// A goal of the matrix with its cells.
#[derive(Debug, Clone)]
pub struct MatrixGoal {
    pub goal_id: Uuid,
    pub title: String,
    /// Suggested from the goal's indicators for the period's year.
    pub suggested: Bedomning,
    pub cells: Vec<MatrixCell>,
    pub summary: ColourCount,
}

/// A goal area of the matrix with its goals.
#[derive(Debug, Clone)]
pub struct MatrixArea {
    pub goal_area_id: Uuid,
    pub name: String,
    pub goals: Vec<MatrixGoal>,
    pub summary: ColourCount,
}

/// The goal matrix: every resultatmål of the plan in force in `year` ×
/// every responsible nämnd with its bedömning in its report of
/// `report_type` for the period (and the suggestion from the indicators),
/// with counts per colour for each goal and goal area.
#[tracing::instrument(skip_all, fields(%kommun_id, %period_id, year = year, report_type = report_type))]
pub async fn goal_matrix(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    year: i32,
    report_type: &str,
) -> Result<Vec<MatrixArea>, ServiceError> {
    let namnder = namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .all(db)
        .await?;
    let codes: HashMap<Uuid, String> = namnder.iter().map(|n| (n.id, n.code.clone())).collect();
    let areas: Vec<goal_area::Model> = goal_area::Entity::find()
        .filter(goal_area::Column::KommunId.eq(kommun_id))
        .order_by_asc(goal_area::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| crate::domain::plan_in_force(a.from_year, a.to_year, year))
        .collect();
    let models = goal::Entity::find()
        .filter(goal::Column::KommunId.eq(kommun_id))
        .filter(goal::Column::Kind.eq(goals::GoalKind::Kommun.as_str()))
        .order_by_asc(goal::Column::Position)
        .all(db)
        .await?;
    let goals =
        <goals::GoalFull as super::linked::Linked>::with_links(db, kommun_id, models).await?;
    let mut suggestions = assessments::suggestions(db, kommun_id, &goals, year).await?;
    let reports = consolidation::reports_by_namnd(db, kommun_id, period_id, report_type).await?;
    let report_ids: Vec<Uuid> = reports.values().map(|r| r.id).collect();
    // Only the columns a cell shows: the kommun's reports hold thousands.
    let found: HashMap<(Uuid, Uuid), (Bedomning, String)> = if report_ids.is_empty() {
        HashMap::new()
    } else {
        use assessment::Column as C;
        assessment::Entity::find()
            .select_only()
            .columns([C::ReportId, C::GoalId, C::Bedomning, C::Comment])
            .filter(C::ReportId.is_in(report_ids))
            .into_tuple::<(Uuid, Uuid, Bedomning, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(report, goal, bedomning, comment)| ((report, goal), (bedomning, comment)))
            .collect()
    };
    let mut by_area: BTreeMap<usize, MatrixArea> = BTreeMap::new();
    for g in goals {
        let Some((index, area)) = areas
            .iter()
            .enumerate()
            .find(|(_, a)| Some(a.id) == g.model.goal_area_id)
        else {
            continue;
        };
        let mut summary = ColourCount::default();
        let cells: Vec<MatrixCell> = consolidation::responsible(
            g.model.huvudansvar_id,
            &g.medansvariga,
            g.model.alla_namnder,
            &namnder,
        )
        .into_iter()
        .map(|(namnd_id, role)| {
            let report = reports.get(&namnd_id);
            let a = report.and_then(|r| found.get(&(r.id, g.model.id)));
            let bedomning = a.map(|a| a.0);
            if let Some(b) = bedomning {
                summary.add(b);
            }
            MatrixCell {
                namnd: codes.get(&namnd_id).cloned().unwrap_or_default(),
                role,
                report_id: report.map(|r| r.id),
                bedomning,
                comment: a.map(|a| a.1.clone()),
            }
        })
        .collect();
        let suggested = suggestions
            .remove(&g.model.id)
            .map(|s| s.0)
            .unwrap_or(Bedomning::Ingen);
        let entry = by_area.entry(index).or_insert_with(|| MatrixArea {
            goal_area_id: area.id,
            name: area.name.clone(),
            goals: vec![],
            summary: ColourCount::default(),
        });
        entry.summary.gron += summary.gron;
        entry.summary.gul += summary.gul;
        entry.summary.rod += summary.rod;
        entry.summary.ingen += summary.ingen;
        entry.goals.push(MatrixGoal {
            goal_id: g.model.id,
            title: g.model.title.clone(),
            suggested,
            cells,
            summary,
        });
    }
    Ok(by_area.into_values().collect())
}

/// Which indicators the overview lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndicatorFilter<'a> {
    /// Year assessed (default: each indicator's latest year with a riktvärde).
    pub year: Option<i32>,
    pub goal_area_id: Option<Uuid>,
    /// Nämnd code: indicators of goals it answers for.
    pub namnd: Option<&'a str>,
    /// Only this final colour.
    pub bedomning: Option<Bedomning>,
}

/// An indicator with its latest utfall, trend, riktvärde and bedömning.
#[derive(Debug, Clone)]
pub struct IndicatorOverviewRow {
    pub indicator_id: Uuid,
    pub name: String,
    pub goal_areas: Vec<String>,
    pub year: Option<i32>,
    /// Year of the latest available utfall used.
    pub utfall_year: Option<i32>,
    pub utfall: Option<Decimal>,
    pub trend: Trend,
    pub riktvarde: Option<Decimal>,
    pub bedomning: Bedomning,
    pub bedomning_computed: Bedomning,
    pub kolada_id: Option<String>,
    /// The country's and the group's total (T) for `utfall_year` (else
    /// `year`); None for an indicator without Kolada id or without a year.
    pub jamforelse: Option<YearComparison>,
}

/// Every indicator of the kommun's goals with its latest utfall, trend,
/// riktvärde and bedömning, as `filter` narrows them.
#[tracing::instrument(
    skip_all,
    fields(%kommun_id, year = filter.year, goal_area_id = ?filter.goal_area_id, namnd = filter.namnd)
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn indicator_overview(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: IndicatorFilter<'_>,
) -> Result<Vec<IndicatorOverviewRow>, ServiceError> {
    // Each row derives one year: the one asked for, else the indicator's
    // latest with a riktvärde.
    let targets = filter.year.map_or(
        indicators::TargetYears::Latest,
        indicators::TargetYears::Only,
    );
    let appendix = indicators::appendix(db, kommun_id, filter.goal_area_id, None, targets).await?;
    let namnd_id = match filter.namnd {
        Some(code) => Some(namnd_by_code(db, kommun_id, code).await?.id),
        None => None,
    };
    let goal_ids: Vec<Uuid> = appendix.goals.iter().map(|g| g.id).collect();
    let medansvar: Vec<(Uuid, Uuid)> = if namnd_id.is_some() && !goal_ids.is_empty() {
        goal_namnd::Entity::find()
            .filter(goal_namnd::Column::GoalId.is_in(goal_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|gn| (gn.goal_id, gn.namnd_id))
            .collect()
    } else {
        vec![]
    };
    let area_names: HashMap<Uuid, String> = appendix
        .areas
        .iter()
        .map(|a| (a.id, a.name.clone()))
        .collect();
    let mut rows: Vec<IndicatorOverviewRow> = Vec::new();
    let mut seen = HashSet::new();
    for g in &appendix.goals {
        if let Some(n) = namnd_id {
            let responsible =
                g.alla_namnder || g.huvudansvar_id == Some(n) || medansvar.contains(&(g.id, n));
            if !responsible {
                continue;
            }
        }
        for id in appendix.links.get(&g.id).into_iter().flatten() {
            let Some(data) = appendix.indicators.get(id) else {
                continue;
            };
            let area = g.goal_area_id.and_then(|a| area_names.get(&a).cloned());
            if !seen.insert(*id) {
                if let (Some(row), Some(area)) =
                    (rows.iter_mut().find(|r| r.indicator_id == *id), area)
                    && !row.goal_areas.contains(&area)
                {
                    row.goal_areas.push(area);
                }
                continue;
            }
            let d = indicators::derive(data, filter.year)?;
            let row = IndicatorOverviewRow {
                indicator_id: *id,
                name: data.model.name.clone(),
                goal_areas: area.into_iter().collect(),
                year: d.year,
                utfall_year: d.utfall.map(|o| o.year),
                utfall: d.utfall.map(|o| o.value),
                trend: d.trend.final_value(),
                riktvarde: d.riktvarde.as_ref().and_then(|t| t.value()),
                bedomning: d.bedomning.final_value(),
                bedomning_computed: d.bedomning.computed(),
                kolada_id: data.model.kolada_id.clone(),
                jamforelse: None,
            };
            if filter.bedomning.is_none_or(|b| b == row.bedomning) {
                rows.push(row);
            }
        }
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.indicator_id).collect();
    let state = super::kolada_sync::state(db, kommun_id).await?;
    let compared = kolada_comparisons::load(db, &state, &ids).await?;
    for row in &mut rows {
        if row.kolada_id.is_some()
            && let Some(year) = row.utfall_year.or(row.year)
        {
            row.jamforelse = Some(compared.of(row.indicator_id, year, Gender::T));
        }
    }
    Ok(rows)
}

/// One uppdrag and one responsible nämnd, with the status of the nämnd's
/// report.
#[derive(Debug, Clone)]
pub struct AssignmentOverviewRow {
    pub assignment_id: Uuid,
    pub title: String,
    pub sarskilt: bool,
    pub slutdatum: Option<chrono::NaiveDate>,
    pub namnd: String,
    /// `huvudansvar` or `medansvar`.
    pub role: &'static str,
    pub report_id: Option<Uuid>,
    /// `None` when not reported.
    pub status: Option<String>,
    pub comment: Option<String>,
}

/// Every uppdrag × responsible nämnd with the status and comment of the
/// nämnd's report of `report_type` for the period.
#[tracing::instrument(skip_all, fields(%kommun_id, %period_id, report_type = report_type))]
pub async fn assignment_overview(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: &str,
) -> Result<Vec<AssignmentOverviewRow>, ServiceError> {
    let namnder = namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .all(db)
        .await?;
    let codes: HashMap<Uuid, String> = namnder.iter().map(|n| (n.id, n.code.clone())).collect();
    let models = assignment::Entity::find()
        .filter(assignment::Column::KommunId.eq(kommun_id))
        .order_by_asc(assignment::Column::Position)
        .all(db)
        .await?;
    let list =
        <assignments::AssignmentFull as super::linked::Linked>::with_links(db, kommun_id, models)
            .await?;
    let reports = consolidation::reports_by_namnd(db, kommun_id, period_id, report_type).await?;
    let report_ids: Vec<Uuid> = reports.values().map(|r| r.id).collect();
    let statuses: HashMap<(Uuid, Uuid), assignment_status::Model> = if report_ids.is_empty() {
        HashMap::new()
    } else {
        assignment_status::Entity::find()
            .filter(assignment_status::Column::ReportId.is_in(report_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| ((s.report_id, s.assignment_id), s))
            .collect()
    };
    let mut rows = Vec::new();
    for a in &list {
        for (namnd_id, role) in consolidation::responsible(
            a.model.huvudansvar_id,
            &a.medansvariga,
            a.model.alla_namnder,
            &namnder,
        ) {
            let report = reports.get(&namnd_id);
            let status = report.and_then(|r| statuses.get(&(r.id, a.model.id)));
            rows.push(AssignmentOverviewRow {
                assignment_id: a.model.id,
                title: a.model.title.clone(),
                sarskilt: a.model.sarskilt,
                slutdatum: a.model.slutdatum,
                namnd: codes.get(&namnd_id).cloned().unwrap_or_default(),
                role,
                report_id: report.map(|r| r.id),
                status: status.and_then(|s| s.status.map(|s| s.to_string())),
                comment: status.and_then(|s| s.comment.clone()),
            });
        }
    }
    Ok(rows)
}

/// Prognossäkerhet of a nämnd for a year: the helårsprognos of its decided
/// delårsrapport against the utfall of its decided årsredovisning.
#[derive(Debug, Clone)]
pub struct ForecastAccuracy {
    pub namnd: namnd::Model,
    pub year: i32,
    /// Drift total's helårsprognos in the decided delårsrapport (kr).
    pub helarsprognos: Option<Decimal>,
    /// Drift total's utfall in the decided årsredovisning (kr).
    pub utfall: Option<Decimal>,
    /// Drift total's helårsbudget in the decided årsredovisning (kr).
    pub helarsbudget: Option<Decimal>,
    /// `helarsprognos − utfall` (kr).
    pub prognossakerhet: Option<Decimal>,
    /// `prognossakerhet / |helarsbudget| × 100`.
    pub prognossakerhet_procent: Option<Decimal>,
    pub delarsrapport_version: Option<i32>,
    pub arsredovisning_version: Option<i32>,
}

/// Every nämnd's prognossäkerhet for the years `from..=to`, from decided
/// versions only (a forecast is judged by what was decided, not by later
/// corrections). A row per nämnd and year where either report is decided.
#[tracing::instrument(level = "debug", skip_all, fields(%kommun_id, from, to))]
pub async fn forecast_accuracy(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    from: i32,
    to: i32,
) -> Result<Vec<ForecastAccuracy>, ServiceError> {
    use crate::{
        domain::structure::{ReportStatus, ReportType},
        entity::{period, report, report_version},
    };
    let periods: HashMap<Uuid, i32> = period::Entity::find()
        .filter(period::Column::KommunId.eq(kommun_id))
        .filter(period::Column::Year.between(from, to))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.year))
        .collect();
    let reports: Vec<report::Model> = report::Entity::find()
        .filter(report::Column::KommunId.eq(kommun_id))
        .filter(report::Column::Status.eq(ReportStatus::Godkand))
        .filter(
            report::Column::ReportType
                .is_in([ReportType::Delarsrapport, ReportType::Arsredovisning]),
        )
        .filter(report::Column::PeriodId.is_in(periods.keys().copied()))
        .all(db)
        .await?;
    let mut latest: HashMap<Uuid, report_version::Model> = HashMap::new();
    for v in report_version::Entity::find()
        .filter(report_version::Column::KommunId.eq(kommun_id))
        .filter(report_version::Column::ReportId.is_in(reports.iter().map(|r| r.id)))
        .order_by_asc(report_version::Column::Number)
        .all(db)
        .await?
    {
        latest.insert(v.report_id, v);
    }
    // The drift total in kr of a decided version, read once per version.
    let drift_total = |v: &report_version::Model| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&v.document)
            .map(|mut doc| doc["drift"]["kr"]["total"].take())
            .unwrap_or_default()
    };
    let figure = |total: &serde_json::Value, name: &str| -> Option<Decimal> {
        crate::domain::money::parse_decimal(&total[name]).ok()
    };
    let namnder = super::namnder::by_id(db, kommun_id).await?;
    let mut rows: std::collections::BTreeMap<(String, i32), ForecastAccuracy> = Default::default();
    for r in &reports {
        let (Some(version), Some(&year), Some(namnd)) = (
            latest.get(&r.id),
            periods.get(&r.period_id),
            namnder.get(&r.namnd_id),
        ) else {
            continue;
        };
        let row = rows
            .entry((namnd.code.clone(), year))
            .or_insert_with(|| ForecastAccuracy {
                namnd: namnd.clone(),
                year,
                helarsprognos: None,
                utfall: None,
                helarsbudget: None,
                prognossakerhet: None,
                prognossakerhet_procent: None,
                delarsrapport_version: None,
                arsredovisning_version: None,
            });
        let total = drift_total(version);
        match r.report_type {
            ReportType::Delarsrapport => {
                row.helarsprognos = figure(&total, "helarsprognos");
                row.delarsrapport_version = Some(version.number);
            }
            _ => {
                row.utfall = figure(&total, "utfall");
                row.helarsbudget =
                    figure(&total, "helarsbudget").or_else(|| figure(&total, "budget"));
                row.arsredovisning_version = Some(version.number);
            }
        }
    }
    Ok(rows
        .into_values()
        .map(|mut row| {
            if let (Some(p), Some(u)) = (row.helarsprognos, row.utfall) {
                let difference = p - u;
                row.prognossakerhet = Some(difference);
                row.prognossakerhet_procent = row.helarsbudget.and_then(|b| {
                    crate::domain::avvikelse_procent(
                        crate::domain::Amount(difference),
                        crate::domain::Amount(b),
                    )
                    .map(|pct| pct.presented())
                });
            }
            row
        })
        .collect())
}
