//! Enters the money tables of the demo seed files through the API and
//! compares what is served with the printed columns.

use serde_json::{Value, json};

use crate::helpers::*;

pub fn seed(name: &str) -> Value {
    let path = format!("{}/demo/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

/// Enters the goal areas of `seed` as `admin`; returns their ids by name.
pub async fn enter_goal_areas(
    app: &TestApp,
    admin: &str,
    seed: &Value,
) -> std::collections::HashMap<String, Value> {
    let mut areas = std::collections::HashMap::new();
    for a in seed["goal_areas"].as_array().unwrap() {
        let created = app
            .post(
                "/api/v1/goal-areas",
                admin,
                &json!({"plan": a["plan"], "name": a["name"], "position": a["position"]}),
            )
            .returns(201)
            .await;
        areas.insert(
            a["name"].as_str().unwrap().to_string(),
            created["id"].clone(),
        );
    }
    areas
}

/// `"2024"` → a whole-year period; `"2024-08"` → month; `"2024-01..2024-08"` → range.
fn value_json(v: &Value) -> Value {
    let period = v["period"].as_str().unwrap();
    // The kronor behind a printed tkr figure where the demo has them.
    let amount = match v["amount_kr"].as_str() {
        Some(kr) => kr.to_string(),
        None => format!("{}000", v["amount_tkr"].as_str().unwrap()),
    };
    let measure = v["measure"].as_str().unwrap();
    if measure == "prognos" {
        return json!({"measure": measure, "made_at": v["made_at"].as_str().unwrap_or(period), "amount": amount});
    }
    match period.split_once("..") {
        Some((from, to)) => {
            json!({"measure": measure, "period": {"from": from, "to": to}, "amount": amount})
        }
        None if period.len() == 4 => {
            json!({"measure": measure, "period": {"from": format!("{period}-01"), "to": format!("{period}-12")}, "amount": amount})
        }
        None => json!({"measure": measure, "month": period, "amount": amount}),
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .take(40)
        .collect()
}

/// The code a seed line is entered with: its own, or a slug of its name.
pub fn line_code(line: &Value) -> String {
    line["code"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| slug(line["name"].as_str().unwrap()))
}

/// The served row of a line by code, at any depth of the table (a line
/// keeps the name it was first given, so names may differ between seeds).
pub fn find_row<'a>(rows: &'a [Value], code: &str) -> Option<&'a Value> {
    rows.iter().find_map(|r| {
        if r["code"] == code {
            Some(r)
        } else {
            find_row(
                r["children"].as_array().map(Vec::as_slice).unwrap_or(&[]),
                code,
            )
        }
    })
}

/// Creates the seed's nämnd, period and report, enters its drift and
/// investering tables and returns the report id.
pub async fn enter_money(app: &TestApp, admin: &str, seed: &Value) -> String {
    let code = seed["namnd"].as_str().unwrap();
    let namnd = app.create_namnd(admin, code, "namnd").await;
    let p = &seed["report"]["period"];
    let mut period_body = json!({"kind": p["kind"], "year": p["year"]});
    if let Some(m) = p.get("month") {
        period_body["number"] = m.clone();
    }
    let period = app
        .post("/api/v1/periods", admin, &period_body)
        .returns(201)
        .await;
    let report = app.post("/api/v1/reports", admin, &json!({"namnd_id": namnd["id"], "period_id": period["id"], "type": seed["report"]["type"]})).returns(201).await;
    let id = id_of(&report);
    for kind in ["drift", "investering"] {
        for costs_positive in [false, true] {
            let lines: Vec<Value> = array(&seed["budget_lines"])
                .iter()
                .filter(|l| l["kind"] == kind && l["costs_positive"].as_bool().unwrap_or(false) == costs_positive)
                .map(|l| {
                    json!({"code": line_code(l), "name": l["name"], "values": l["values"].as_array().unwrap().iter().map(value_json).collect::<Vec<_>>()})
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            let response = app
                .put(
                    &format!("/api/v1/reports/{id}/{kind}"),
                    admin,
                    &json!({"costs_positive": costs_positive, "lines": lines}),
                )
                .send()
                .await
                .unwrap();
            let (status, body) = body(response).await;
            assert_eq!(status, 200, "{kind}: {body}");
        }
    }
    id
}

/// The served field that a printed column of `period` corresponds to.
fn field_for(measure: &str, period: &str, report_period: &Value) -> String {
    let year = report_period["year"].as_i64().unwrap();
    let last_month = report_period["end"].as_str().unwrap()[5..7].to_string();
    let kind = report_period["kind"].as_str().unwrap();
    let base = measure.trim_end_matches("_ack");
    if measure.starts_with("kvar_av_arets_budget") || measure.starts_with("prognos_avvikelse") {
        return measure.to_string();
    }
    if period == year.to_string() && kind == "helar" {
        return base.to_string();
    }
    if period == format!("{}", year - 1) && base == "utfall" {
        return "utfall_foregaende_ar".into();
    }
    if period == format!("{year}-{last_month}") {
        return if kind == "manad" {
            base.to_string()
        } else {
            format!("{base}_manad")
        };
    }
    if period == format!("{year}-01..{year}-{last_month}") {
        return if kind == "delar" {
            base.to_string()
        } else {
            format!("{base}_ack")
        };
    }
    format!("{base}?{period}")
}

fn close(served: &Value, printed: &str) -> bool {
    let (Some(s), Ok(p)) = (served.as_f64(), printed.parse::<f64>()) else {
        return false;
    };
    s == p
}

/// Compares every printed avvikelse-like column and total of the seed with
/// the served tables, in tkr and exactly as printed.
/// Returns the mismatches, each naming the seed line.
pub async fn compare_money(
    app: &TestApp,
    token: &str,
    seed: &Value,
    report_id: &str,
) -> (usize, Vec<String>) {
    let source = seed["source"].as_str().unwrap();
    let period = &seed["report"]["period"];
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for kind in ["drift", "investering"] {
        let table = app
            .get(
                &format!("/api/v1/reports/{report_id}/{kind}?unit=tkr"),
                token,
            )
            .returns(200)
            .await;
        let rows = table["rows"].as_array().unwrap();
        for line in array(&seed["budget_lines"])
            .iter()
            .filter(|l| l["kind"] == kind)
        {
            let name = line["name"].as_str().unwrap();
            let Some(row) = find_row(rows, &line_code(line)) else {
                mismatches.push(format!(
                    "{source} line {}: {name} not served",
                    line["source_line"]
                ));
                continue;
            };
            let printed = line["printed"].as_object().cloned().unwrap_or_default();
            for measure in ["avvikelse", "avvikelse_ack", "kvar_av_arets_budget"] {
                let Some(value) = printed.get(measure).and_then(Value::as_str) else {
                    continue;
                };
                let printed_period = printed
                    .get(&format!("{measure}_period"))
                    .and_then(Value::as_str)
                    .map(String::from)
                    .unwrap_or_else(|| period["year"].to_string());
                let field = field_for(measure, &printed_period, period);
                // Columns printed only as deviations, without the figures
                // behind them, cannot be recomputed.
                let has_values = array(&line["values"])
                    .iter()
                    .any(|v| v["period"] == printed_period.as_str());
                if field.contains('?') || !has_values {
                    continue;
                }
                checked += 1;
                if !close(&row["figures"][&field], value) {
                    mismatches.push(format!(
                        "{source} line {}: {name} {measure} printed {value}, served {} ({field})",
                        line["source_line"], row["figures"][&field]
                    ));
                }
            }
        }
        let table_name = if kind == "drift" {
            "driftredovisning"
        } else {
            "investeringsredovisning"
        };
        for total in array(&seed["printed_totals"])
            .iter()
            .filter(|t| t["table"] == table_name && t.get("row").is_none())
        {
            let measure = total["measure"].as_str().unwrap();
            let mut value = total["amount_tkr"].as_str().unwrap().to_string();
            if total["costs_positive"].as_bool().unwrap_or(false) {
                value = if let Some(v) = value.strip_prefix('-') {
                    v.to_string()
                } else {
                    format!("-{value}")
                };
            }
            let field = field_for(measure, total["period"].as_str().unwrap(), period);
            let total_period = total["period"].as_str().unwrap();
            let has_values = array(&seed["budget_lines"])
                .iter()
                .filter(|l| l["kind"] == kind)
                .any(|l| {
                    l["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|v| v["period"] == total_period)
                });
            let derived_from_values = matches!(measure, "kvar_av_arets_budget") || has_values;
            if field.contains('?') || !derived_from_values || measure == "prognos_avvikelse" {
                continue;
            }
            checked += 1;
            if !close(&table["total"][&field], &value) {
                mismatches.push(format!(
                    "{source} line {}: total {measure} printed {value}, served {} ({field})",
                    total["source_line"], table["total"][&field]
                ));
            }
        }
    }
    (checked, mismatches)
}
