//! Dimension mappings: a kommun's ordered rules from ledger codes (ansvar,
//! verksamhet, konto) to its nämnder's drift lines, configured once and
//! used by every flat (`?mapping=`) and SIE import. Every write checks that
//! each target nämnd and line exists and runs in one transaction with its
//! audit entry.

use super::write::Write;
use super::write::{Columns, NewRow, RowChanges};
use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ConnectionTrait, NotSet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{budget_lines, crud};
use crate::{
    domain::{
        BudgetLineKind,
        mapping::{Dimension, MappingRule, MappingTarget, Pattern},
        sie::DimensionChoice,
    },
    entity::dimension_mapping,
    service::crud::PageRequest,
    service::error::{FieldError, ServiceError, Taken, UniqueKey},
};

super::write::tenant_entity!(dimension_mapping, "dimension mapping", "dimension_mapping");

const NAME_TAKEN: Taken = Taken {
    key: UniqueKey {
        name: "uq_dimension_mapping_kommun_name",
        table: "dimension_mapping",
        columns: &["kommun_id", "name"],
    },
    field: "name",
    message: "your kommun already has a dimension mapping with this name",
};

/// Most rules one mapping holds.
pub const MAX_RULES: usize = 2000;

/// The conditions of a rule as stored: a pattern text per dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ansvar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verksamhet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub konto: Option<String>,
}

impl RuleMatch {
    fn patterns(&self) -> [(Dimension, Option<&String>); 3] {
        [
            (Dimension::Ansvar, self.ansvar.as_ref()),
            (Dimension::Verksamhet, self.verksamhet.as_ref()),
            (Dimension::Konto, self.konto.as_ref()),
        ]
    }
}

/// Where a rule sends its rows: a drift line of a nämnd, by codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTarget {
    pub namnd: String,
    pub line: String,
}

/// One rule as stored (and as the API shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    #[serde(rename = "match")]
    pub when: RuleMatch,
    pub target: RuleTarget,
}

/// Field errors of rules that do not parse (no database needed).
pub fn check_rules(rules: &[RuleSpec], errors: &mut Vec<FieldError>) {
    if rules.is_empty() || rules.len() > MAX_RULES {
        errors.push(FieldError::new(
            "rules",
            format!("give 1–{MAX_RULES} rules; the first that matches a row decides"),
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        let patterns = rule.when.patterns();
        if patterns.iter().all(|(_, p)| p.is_none()) {
            errors.push(FieldError::new(
                format!("rules[{i}].match"),
                "give at least one of ansvar, verksamhet, konto (\"*\" matches any code)",
            ));
        }
        for (dimension, pattern) in patterns {
            if let Some(Err(e)) = pattern.map(|p| Pattern::parse(p)) {
                errors.push(FieldError::new(
                    format!("rules[{i}].match.{}", dimension.as_str()),
                    e.to_string(),
                ));
            }
        }
    }
}

/// Field errors for targets whose nämnd or drift line the kommun lacks.
async fn check_targets(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    rules: &[RuleSpec],
) -> Result<Vec<FieldError>, ServiceError> {
    let namnder: HashMap<String, Uuid> = super::namnder::by_id(db, kommun_id)
        .await?
        .into_values()
        .map(|n| (n.code, n.id))
        .collect();
    let mut lines: HashMap<Uuid, Vec<String>> = HashMap::new();
    let mut errors = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let Some(&namnd_id) = namnder.get(&rule.target.namnd) else {
            errors.push(FieldError::new(
                format!("rules[{i}].target.namnd"),
                format!("no nämnd {:?} in your kommun", rule.target.namnd),
            ));
            continue;
        };
        let codes = match lines.entry(namnd_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                budget_lines::lines_of(db, namnd_id, BudgetLineKind::Drift)
                    .await?
                    .into_iter()
                    .map(|l| l.code)
                    .collect(),
            ),
        };
        if !codes.contains(&rule.target.line) {
            errors.push(FieldError::new(
                format!("rules[{i}].target.line"),
                format!(
                    "nämnd {} has no drift line {:?}",
                    rule.target.namnd, rule.target.line
                ),
            ));
        }
    }
    Ok(errors)
}

fn rules_json(rules: &[RuleSpec]) -> Result<String, ServiceError> {
    serde_json::to_string(rules).map_err(|e| ServiceError::Unexpected(format!("rules json: {e}")))
}

/// The stored rules of a mapping.
pub fn stored_rules(model: &dimension_mapping::Model) -> Result<Vec<RuleSpec>, ServiceError> {
    serde_json::from_str(&model.rules)
        .map_err(|e| ServiceError::Unexpected(format!("stored mapping rules: {e}")))
}

/// The rules of a mapping as the domain applies them.
pub fn domain_rules(model: &dimension_mapping::Model) -> Result<Vec<MappingRule>, ServiceError> {
    stored_rules(model)?
        .into_iter()
        .map(|r| {
            let mut conditions = Vec::new();
            for (dimension, pattern) in r.when.patterns() {
                if let Some(p) = pattern {
                    let p = Pattern::parse(p).map_err(|e| {
                        ServiceError::Unexpected(format!("stored pattern {p:?}: {e}"))
                    })?;
                    conditions.push((dimension, p));
                }
            }
            Ok(MappingRule {
                conditions,
                target: MappingTarget {
                    namnd: r.target.namnd,
                    line: r.target.line,
                },
            })
        })
        .collect()
}

/// A mapping ready for an import.
#[derive(Debug, Clone)]
pub struct LoadedMapping {
    pub id: Uuid,
    pub rules: Vec<MappingRule>,
    /// The SIE dimensions the mapping names (None: chosen from the file).
    pub sie: DimensionChoice,
}

/// The mapping an import names: 422 on `mapping_id` when the kommun has none
/// with that id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_for_import(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<LoadedMapping, ServiceError> {
    let model =
        crud::get_named::<dimension_mapping::Entity>(db, kommun_id, id, "mapping_id").await?;
    let dim = |d: Option<i32>| d.and_then(|n| u32::try_from(n).ok());
    Ok(LoadedMapping {
        id: model.id,
        rules: domain_rules(&model)?,
        sie: DimensionChoice {
            ansvar: dim(model.sie_ansvar_dim),
            verksamhet: dim(model.sie_verksamhet_dim),
        },
    })
}

/// A new mapping (already checked by [`check_rules`]).
pub struct MappingSpec {
    pub name: String,
    pub description: Option<String>,
    pub sie: DimensionChoice,
    pub rules: Vec<RuleSpec>,
}

/// Changes to a mapping; `None` leaves a field as it is.
#[derive(Default)]
pub struct MappingChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub sie_ansvar_dim: Option<Option<u32>>,
    pub sie_verksamhet_dim: Option<Option<u32>>,
    pub rules: Option<Vec<RuleSpec>>,
}

fn dim_column(d: Option<u32>) -> Option<i32> {
    d.and_then(|n| i32::try_from(n).ok())
}

async fn refuse_missing_targets(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    rules: &[RuleSpec],
) -> Result<(), ServiceError> {
    let errors = check_targets(db, kommun_id, rules).await?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(errors))
    }
}

impl NewRow for MappingSpec {
    type Entity = dimension_mapping::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<dimension_mapping::Model, ServiceError> {
        let txn = w.db();
        refuse_missing_targets(txn, w.kommun_id(), &self.rules).await?;
        let model = dimension_mapping::ActiveModel {
            name: Set(self.name),
            description: Set(self.description),
            sie_ansvar_dim: Set(dim_column(self.sie.ansvar)),
            sie_verksamhet_dim: Set(dim_column(self.sie.verksamhet)),
            rules: Set(rules_json(&self.rules)?),
            ..Default::default()
        };
        w.insert(model, &NAME_TAKEN).await
    }
}

impl RowChanges for MappingChanges {
    type Entity = dimension_mapping::Entity;
    const TAKEN: Option<&'static Taken> = Some(&NAME_TAKEN);

    async fn columns(self, w: &Write<'_>, _: &dimension_mapping::Model) -> Columns<Self> {
        let rules = match &self.rules {
            Some(rules) => {
                refuse_missing_targets(w.db(), w.kommun_id(), rules).await?;
                Set(rules_json(rules)?)
            }
            None => NotSet,
        };
        Ok(dimension_mapping::ActiveModel {
            name: self.name.map(Set).unwrap_or(NotSet),
            description: self.description.map(Set).unwrap_or(NotSet),
            sie_ansvar_dim: self
                .sie_ansvar_dim
                .map(|d| Set(dim_column(d)))
                .unwrap_or(NotSet),
            sie_verksamhet_dim: self
                .sie_verksamhet_dim
                .map(|d| Set(dim_column(d)))
                .unwrap_or(NotSet),
            rules,
            ..Default::default()
        })
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    page: &PageRequest,
) -> Result<(Vec<dimension_mapping::Model>, Option<Uuid>), ServiceError> {
    crud::list::<dimension_mapping::Entity>(db, kommun_id, sea_orm::Condition::all(), page).await
}
