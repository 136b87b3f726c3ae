//! Indicators created from Kolada KPIs (by id or by a KPI group): title,
//! description, unit, gender division and Kolada id from Kolada v3's KPI
//! metadata. The polarity is a placeholder until a person sets it
//! (`polarity_confirmed` false): Kolada does not say whether higher is
//! better, and a guessed polarity would colour the bedömning.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::{
    audit::Actor,
    error::ServiceError,
    imports::indicators_by_kpi,
    indicators::{self, IndicatorSpec},
    kolada_fetch,
    write::audited,
};
use crate::{domain::Polarity, entity::indicator};

/// A KPI as Kolada v3 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KoladaKpi {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub divided_by_gender: bool,
}

/// The KPI of one entry of `/v3/kpi`; None when it has no id or title.
/// `is_divided_by_gender` is a boolean in v3 (0/1 in v2: both read).
pub fn kpi_of(v: &Value) -> Option<KoladaKpi> {
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    Some(KoladaKpi {
        id: text("id")?,
        title: text("title")?,
        description: text("description"),
        divided_by_gender: match v.get("is_divided_by_gender") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_u64() == Some(1),
            _ => false,
        },
    })
}

/// The unit a Kolada title ends with: "…, andel (%)" → "procent", "…,
/// kr/inv" → "kr/inv"; empty when it names none.
pub fn unit_of(title: &str) -> String {
    let title = title.trim();
    if let Some(open) = title.rfind('(')
        && title.ends_with(')')
    {
        let inside = title[open + 1..title.len() - 1].trim();
        return if inside == "%" {
            "procent".into()
        } else {
            inside.into()
        };
    }
    match title.rsplit_once(',') {
        Some((_, last)) if last.trim().len() <= 20 && !last.trim().contains(' ') => {
            last.trim().into()
        }
        _ => String::new(),
    }
}

/// A KPI group found by title: its title and its members' ids.
#[derive(Debug, Clone)]
pub struct KpiGroup {
    pub id: String,
    pub title: String,
    pub members: Vec<String>,
}

/// Why a group could not be chosen.
#[derive(Debug)]
pub enum GroupChoice {
    Found(KpiGroup),
    /// No group's title contains the text.
    None,
    /// Several do and none is exactly it: their titles.
    Ambiguous(Vec<String>),
}

/// The KPI group titled `title` (exactly, ignoring case), or the only one
/// whose title contains it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_group(base_url: &str, title: &str) -> Result<GroupChoice, ServiceError> {
    let groups: Vec<KpiGroup> = kolada_fetch::fetch_kpi_groups(base_url, title)
        .await?
        .iter()
        .filter_map(|g| {
            Some(KpiGroup {
                id: g.get("id")?.as_str()?.to_string(),
                title: g.get("title")?.as_str()?.trim().to_string(),
                members: g
                    .get("members")
                    .and_then(Value::as_array)
                    .map(|m| {
                        m.iter()
                            .filter_map(|m| m.get("member_id").and_then(Value::as_str))
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect();
    let wanted = title.trim().to_lowercase();
    let matching: Vec<&KpiGroup> = groups
        .iter()
        .filter(|g| g.title.to_lowercase().contains(&wanted))
        .collect();
    if let Some(exact) = matching.iter().find(|g| g.title.to_lowercase() == wanted) {
        return Ok(GroupChoice::Found((*exact).clone()));
    }
    Ok(match matching.as_slice() {
        [] => GroupChoice::None,
        [one] => GroupChoice::Found((*one).clone()),
        many => GroupChoice::Ambiguous(many.iter().map(|g| g.title.clone()).collect()),
    })
}

/// What [`create_from_kolada`] did.
#[derive(Debug, Default)]
pub struct FromKolada {
    pub created: Vec<indicator::Model>,
    /// Indicators of the kommun that already had one of the ids.
    pub existing: Vec<indicator::Model>,
    /// Ids Kolada does not know.
    pub unknown: Vec<String>,
}

/// Fetches the metadata of `ids` and creates an indicator for each id the
/// kommun has none for, in one write.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_from_kolada(
    db: &DatabaseConnection,
    actor: &Actor,
    base_url: &str,
    ids: &[String],
) -> Result<FromKolada, ServiceError> {
    let wanted: BTreeSet<String> = ids.iter().cloned().collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    let existing = indicators_by_kpi(db, actor.kommun_id, Some(wanted.clone())).await?;
    let have: BTreeSet<String> = existing
        .iter()
        .filter_map(|m| m.kolada_id.clone())
        .collect();
    let to_fetch: Vec<String> = wanted
        .iter()
        .filter(|k| !have.contains(*k))
        .cloned()
        .collect();
    let kpis: HashMap<String, KoladaKpi> = if to_fetch.is_empty() {
        HashMap::new()
    } else {
        kolada_fetch::fetch_kpis(base_url, &to_fetch)
            .await?
            .iter()
            .filter_map(kpi_of)
            .map(|k| (k.id.clone(), k))
            .collect()
    };
    let unknown: Vec<String> = to_fetch
        .iter()
        .filter(|k| !kpis.contains_key(*k))
        .cloned()
        .collect();
    let created = audited(db, actor, async |w| {
        let mut created = Vec::new();
        for id in &to_fetch {
            let Some(kpi) = kpis.get(id) else { continue };
            let spec = IndicatorSpec {
                name: kpi.title.clone(),
                unit: unit_of(&kpi.title),
                polarity: Polarity::HogreArBattre,
                trend_threshold: Decimal::new(15, 1),
                source: Some("Källa: Kolada".into()),
                kolada_id: Some(kpi.id.clone()),
                divided_by_gender: kpi.divided_by_gender,
                position: None,
                description: kpi.description.clone(),
                polarity_confirmed: false,
            };
            created.push(indicators::create_in(w, spec).await?);
        }
        Ok(created)
    })
    .await?;
    Ok(FromKolada {
        created,
        existing,
        unknown,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kpi_metadata_of_v3_and_v2() {
        let v3 = json!({"id": "N00945", "title": "Invånare 65+ i ordinärt boende, andel (%)",
            "description": "Antal invånare …", "is_divided_by_gender": true, "auspice": "E",
            "publ_period": "2024"});
        let kpi = kpi_of(&v3).unwrap();
        assert!(kpi.divided_by_gender);
        assert_eq!(unit_of(&kpi.title), "procent");
        let v2 = json!({"id": "N01", "title": "Kostnad, kr/inv", "is_divided_by_gender": 0});
        let kpi = kpi_of(&v2).unwrap();
        assert!(!kpi.divided_by_gender);
        assert_eq!(unit_of(&kpi.title), "kr/inv");
        assert_eq!(unit_of("Nöjd Kund Index hemtjänst"), "");
        assert!(kpi_of(&json!({"id": "N02"})).is_none());
    }
}
