//! The report document as the decided version holds it (see
//! `api::reports::document`), read back into types. Every member is
//! optional: a version decided before a part existed still renders.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// One report's content: the JSON of a decided version or of today's figures.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportDoc {
    pub report: ReportHead,
    pub sections: Vec<Section>,
    pub drift: Option<Units>,
    pub investering: Option<Units>,
    pub action_plans: Vec<ActionPlan>,
    #[serde(rename = "volume_measures")]
    pub volymer: Vec<Volym>,
    #[serde(rename = "key_figures")]
    pub nyckeltal: Vec<Nyckeltal>,
    pub assessments: Option<Assessments>,
    pub assignment_statuses: Option<AssignmentStatuses>,
    #[serde(rename = "indicators")]
    pub indicator_appendix: Option<Appendix>,
}

impl ReportDoc {
    /// Reads a document; members of unexpected shape are an error that
    /// names where.
    pub fn from_value(value: &Value) -> Result<ReportDoc, String> {
        serde_path_to_error::deserialize(value).map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportHead {
    pub id: Option<Uuid>,
    pub namnd: String,
    pub period: String,
    #[serde(rename = "start_date")]
    pub period_start: Option<chrono::NaiveDate>,
    #[serde(rename = "end_date")]
    pub period_end: Option<chrono::NaiveDate>,
    #[serde(rename = "type")]
    pub report_type: String,
    pub status: String,
    pub beslut_datum: Option<chrono::NaiveDate>,
    pub beslut_paragraf: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Section {
    pub key: String,
    pub title: String,
    pub body: String,
    pub position: i64,
}

/// A table in kr and in tkr.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Units {
    pub tkr: Option<MoneyTable>,
    pub kr: Option<MoneyTable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoneyTable {
    pub period: String,
    pub rows: Vec<MoneyRow>,
    pub total: Figures,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoneyRow {
    pub code: String,
    pub name: String,
    pub figures: Figures,
    pub planned_completion: Option<String>,
    pub children: Vec<MoneyRow>,
}

/// The figures of a line (`TableRow` of the api), all optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Figures {
    pub utfall: Option<Decimal>,
    pub budget: Option<Decimal>,
    pub avvikelse: Option<Decimal>,
    pub avvikelse_procent: Option<Decimal>,
    pub utfall_manad: Option<Decimal>,
    pub budget_manad: Option<Decimal>,
    pub avvikelse_manad: Option<Decimal>,
    pub utfall_ack: Option<Decimal>,
    pub budget_ack: Option<Decimal>,
    pub avvikelse_ack: Option<Decimal>,
    pub helarsbudget: Option<Decimal>,
    pub helarsprognos: Option<Decimal>,
    pub prognos_avvikelse: Option<Decimal>,
    pub kvar_av_arets_budget: Option<Decimal>,
    pub utfall_foregaende_ar: Option<Decimal>,
    pub utfall_ack_foregaende_ar: Option<Decimal>,
}

/// Reads one figure of a line.
pub type Get = fn(&Figures) -> Option<Decimal>;

impl Figures {
    pub fn is_empty(&self) -> bool {
        [
            self.utfall,
            self.budget,
            self.utfall_manad,
            self.budget_manad,
            self.utfall_ack,
            self.budget_ack,
            self.helarsbudget,
            self.helarsprognos,
            self.utfall_foregaende_ar,
        ]
        .iter()
        .all(Option::is_none)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionPlan {
    pub avvikelse: String,
    pub atgard: String,
    pub ekonomisk_effekt: Option<String>,
    pub verksamhetseffekt: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Volym {
    pub name: String,
    pub unit: Option<String>,
    pub period_value: Option<Decimal>,
    #[serde(rename = "samma_period_foregaende_ar")]
    pub same_period_last_year: Option<Decimal>,
    pub prognos: Option<Decimal>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Nyckeltal {
    pub name: String,
    pub measured: Option<String>,
    pub unit: Option<String>,
    pub t: Option<Decimal>,
    pub k: Option<Decimal>,
    pub m: Option<Decimal>,
    pub t_foregaende_ar: Option<Decimal>,
    pub k_foregaende_ar: Option<Decimal>,
    pub m_foregaende_ar: Option<Decimal>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Assessments {
    pub items: Vec<AssessmentItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NamndRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Agenda {
    pub number: i64,
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Goal {
    pub id: Option<Uuid>,
    pub title: String,
    pub goal_area_id: Option<Uuid>,
    pub huvudansvar: Option<NamndRef>,
    pub medansvariga: Vec<NamndRef>,
    pub agenda2030: Vec<Agenda>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Assessment {
    pub bedomning: String,
    pub comment: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssessmentItem {
    pub goal: Goal,
    pub assessment: Option<Assessment>,
    pub role: String,
    pub suggested_bedomning: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignmentStatuses {
    pub items: Vec<AssignmentItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Assignment {
    pub title: String,
    pub huvudansvar: Option<NamndRef>,
    pub medansvariga: Vec<NamndRef>,
    #[serde(rename = "end_date")]
    pub slutdatum: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignmentState {
    pub status: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignmentItem {
    pub assignment: Assignment,
    pub status: Option<AssignmentState>,
}

/// The indicator appendix (`/indicators/table` of the report's year and nämnd).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Appendix {
    pub year: i32,
    pub years: Vec<i32>,
    pub goal_areas: Vec<AppendixArea>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AppendixArea {
    pub id: Option<Uuid>,
    pub name: String,
    pub goals: Vec<AppendixGoal>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AppendixGoal {
    pub id: Option<Uuid>,
    pub title: String,
    pub huvudansvar: Option<String>,
    pub indicators: Vec<AppendixRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearValue {
    pub year: i32,
    pub value: Option<Decimal>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Judged {
    #[serde(rename = "final")]
    pub final_value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Riktvarde {
    pub year: Option<i32>,
    pub value: Option<Decimal>,
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AppendixRow {
    pub name: String,
    pub unit: String,
    pub utfall: Vec<YearValue>,
    pub trend: Judged,
    pub riktvarde: Option<Riktvarde>,
    pub bedomning: Judged,
    #[serde(rename = "source")]
    pub kalla: Option<String>,
    pub kolada_id: Option<String>,
}
