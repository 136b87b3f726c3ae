//! The drift- and investeringsredovisning of a report as served: each line
//! with its computed figures, children nested, and the computed total.

use crate::error::ServiceError;
use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    domain::{Amount, LineFigures, Percent, RolledUpLine},
    entity::budget_line,
    error::ApiError,
    service::budget_lines::ReportTable,
};

/// Amounts in kronor (default) or whole tkr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "tkr")]
pub enum Unit {
    #[default]
    Kr,
    Tkr,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// `kr` (exact, default) or `tkr` (rounded half away from zero to whole
    /// tkr; totals computed before rounding).
    pub unit: Option<Unit>,
}

/// The figures of a line or a total. Absent figures are null.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "utfall": -314902, "budget": -309142, "avvikelse": -5761, "avvikelse_procent": -1.9,
    "utfall_manad": null, "budget_manad": null, "avvikelse_manad": null,
    "utfall_ack": null, "budget_ack": null, "avvikelse_ack": null, "avvikelse_procent_ack": null,
    "helarsbudget": -309142, "helarsprognos": null, "prognos_avvikelse": null,
    "kvar_av_arets_budget": null, "utfall_foregaende_ar": -296771, "utfall_ack_foregaende_ar": null
}))]
pub struct FiguresDto {
    /// Utfall of the report period.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub budget: Option<Decimal>,
    /// utfall − budget (positive is favourable).
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub avvikelse: Option<Decimal>,
    /// avvikelse / |budget| × 100, one decimal; null when budget is 0.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub avvikelse_procent: Option<Decimal>,
    /// The period's last month alone (month and delår reports).
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall_manad: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub budget_manad: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub avvikelse_manad: Option<Decimal>,
    /// January to the period's last month (month and delår reports).
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall_ack: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub budget_ack: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub avvikelse_ack: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub avvikelse_procent_ack: Option<Decimal>,
    /// Budget of the whole year.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub helarsbudget: Option<Decimal>,
    /// The latest full-year prognos made by the end of the period.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub helarsprognos: Option<Decimal>,
    /// helårsprognos − helårsbudget.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub prognos_avvikelse: Option<Decimal>,
    /// utfall_ack − helårsbudget ("Kvar av årets budget" for investments).
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub kvar_av_arets_budget: Option<Decimal>,
    /// Utfall of the same months last year.
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall_foregaende_ar: Option<Decimal>,
    #[serde(with = "crate::api::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall_ack_foregaende_ar: Option<Decimal>,
}

impl FiguresDto {
    pub fn new(f: &LineFigures, unit: Unit, month_and_ack: bool) -> Self {
        let money = |a: Option<Amount>| {
            a.map(|a| match unit {
                Unit::Kr => a.0.normalize(),
                Unit::Tkr => a.tkr_rounded().normalize(),
            })
        };
        let pct = |p: Option<Percent>| p.map(|p| p.presented().normalize());
        let when = |show: bool, v: Option<Decimal>| if show { v } else { None };
        FiguresDto {
            utfall: money(f.utfall),
            budget: money(f.budget),
            avvikelse: money(f.avvikelse),
            avvikelse_procent: pct(f.avvikelse_procent),
            utfall_manad: when(month_and_ack, money(f.utfall_manad)),
            budget_manad: when(month_and_ack, money(f.budget_manad)),
            avvikelse_manad: when(month_and_ack, money(f.avvikelse_manad)),
            utfall_ack: when(month_and_ack, money(f.utfall_ack)),
            budget_ack: when(month_and_ack, money(f.budget_ack)),
            avvikelse_ack: when(month_and_ack, money(f.avvikelse_ack)),
            avvikelse_procent_ack: when(month_and_ack, pct(f.avvikelse_procent_ack)),
            helarsbudget: money(f.helarsbudget),
            helarsprognos: money(f.helarsprognos),
            prognos_avvikelse: money(f.prognos_avvikelse),
            kvar_av_arets_budget: money(f.kvar_av_arets_budget),
            utfall_foregaende_ar: money(f.utfall_foregaende_ar),
            utfall_ack_foregaende_ar: money(f.utfall_ack_foregaende_ar),
        }
    }
}

/// A line of the table with its computed figures and its child lines.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "code": "aldreomsorg", "name": "Äldreomsorg",
    "planned_completion": null, "figures": {"utfall": -314902, "budget": -309142, "avvikelse": -5761}, "children": []}))]
pub struct TableRowDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub planned_completion: Option<String>,
    pub figures: FiguresDto,
    #[schema(no_recursion)]
    pub children: Vec<TableRowDto>,
}

/// A report's drift- or investeringsredovisning.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "drift", "unit": "tkr", "period": "Helår 2024", "rows": [], "total": {"utfall": -907875, "budget": -907426, "avvikelse": -450}}))]
pub struct TableDto {
    pub kind: crate::domain::BudgetLineKind,
    pub unit: Unit,
    /// Label of the report period.
    pub period: String,
    pub rows: Vec<TableRowDto>,
    /// The Summa row, computed from the lines before any rounding.
    pub total: FiguresDto,
}

fn row_dto(
    row: &RolledUpLine<Uuid>,
    lines: &HashMap<Uuid, budget_line::Model>,
    unit: Unit,
    month_and_ack: bool,
) -> Result<TableRowDto, ApiError> {
    let line = lines
        .get(&row.id)
        .ok_or_else(|| ServiceError::Unexpected("roll-up returned an unknown line".into()))?;
    Ok(TableRowDto {
        id: line.id,
        code: line.code.clone(),
        name: line.name.clone(),
        planned_completion: line
            .planned_completion
            .map(crate::api::budget_lines::format_month),
        figures: FiguresDto::new(&row.figures, unit, month_and_ack),
        children: row
            .children
            .iter()
            .map(|c| row_dto(c, lines, unit, month_and_ack))
            .collect::<Result<_, _>>()?,
    })
}

pub fn table_dto(
    table: &ReportTable,
    kind: crate::domain::BudgetLineKind,
    period: String,
    unit: Unit,
    month_and_ack: bool,
) -> Result<TableDto, ApiError> {
    Ok(TableDto {
        kind,
        unit,
        period,
        rows: table
            .rows
            .iter()
            .map(|r| row_dto(r, &table.lines, unit, month_and_ack))
            .collect::<Result<_, _>>()?,
        total: FiguresDto::new(&table.total, unit, month_and_ack),
    })
}

impl FiguresDto {
    /// The base figures of exact kronor figures (a `unit=kr` table as a
    /// decided version keeps it), for sums: the derived ones are computed
    /// again by the domain.
    pub fn base_figures(&self) -> LineFigures {
        let a = |v: Option<Decimal>| v.map(crate::domain::Amount);
        LineFigures {
            utfall: a(self.utfall),
            budget: a(self.budget),
            utfall_manad: a(self.utfall_manad),
            budget_manad: a(self.budget_manad),
            utfall_ack: a(self.utfall_ack),
            budget_ack: a(self.budget_ack),
            helarsbudget: a(self.helarsbudget),
            helarsprognos: a(self.helarsprognos),
            utfall_foregaende_ar: a(self.utfall_foregaende_ar),
            utfall_ack_foregaende_ar: a(self.utfall_ack_foregaende_ar),
            ..LineFigures::default()
        }
    }
}
