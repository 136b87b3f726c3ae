//! `/api/v1/dimension-mappings`: how a ledger's ansvar, verksamhet and konto
//! codes reach the kommun's nämnd and drift-line codes. Configured once per
//! ledger and named by `?mapping=<id>` on `POST /imports/flat` and
//! `POST /imports/sie`.

use crate::api::common::ApiQuery;
use crate::api::resource::dimension_mappings_target;
use actix_web::{HttpResponse, delete, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    common::{Input, Page, PageParams, double_option},
    resource::{self, Create, Ctx, Patch},
};
use crate::service::checks::{check_at_most, check_text};
use crate::{
    auth::Action,
    domain::sie::DimensionChoice,
    entity::dimension_mapping,
    error::{ApiError, FieldError},
    service::dimension_mappings::{
        self as mappings, MappingChanges, MappingSpec, RuleMatch, RuleSpec, RuleTarget,
    },
};

/// The conditions of a rule: a pattern per dimension, at least one. A
/// pattern is an exact code (`510`), a prefix (`11*`), any code (`*`) or a
/// numeric range with both ends included (`3000-3999`). A dimension left out
/// is not looked at; one given must be on the row and match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ansvar": "11*", "verksamhet": "510"}))]
pub struct RuleMatchDto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "11*")]
    pub ansvar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "510")]
    pub verksamhet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "3000-8999")]
    pub konto: Option<String>,
}

/// The drift line a rule sends its rows to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"namnd": "VON", "line": "aldreomsorg"}))]
pub struct RuleTargetDto {
    /// Nämnd code.
    #[schema(max_length = 20)]
    pub namnd: String,
    /// Code of an existing drift line of that nämnd.
    #[schema(max_length = 40)]
    pub line: String,
}

/// One rule; the first rule (in list order) that matches a row decides.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"match": {"ansvar": "11*", "verksamhet": "510"}, "target": {"namnd": "VON", "line": "aldreomsorg"}}))]
pub struct MappingRuleDto {
    #[serde(rename = "match")]
    pub when: RuleMatchDto,
    pub target: RuleTargetDto,
}

/// Which SIE dimensions (`#DIM` numbers) hold ansvar and verksamhet. Left
/// out (null): the `#DIM` whose name starts with "ansvar" / "verksamhet"
/// (any case), and for ansvar else dimension 1 (kostnadsställe).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ansvar": 1, "verksamhet": 20}))]
pub struct SieDimensionsDto {
    #[serde(default)]
    #[schema(example = 1, minimum = 1, maximum = 9999)]
    pub ansvar: Option<u32>,
    #[serde(default)]
    #[schema(example = 20, minimum = 1, maximum = 9999)]
    pub verksamhet: Option<u32>,
}

/// A dimension mapping.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019ad9a0-6c1e-7f3a-8b2d-4e5f60718293", "name": "Raindance ekonomi",
    "description": "Ansvar 11x är vård och omsorg",
    "sie_dimensions": {"ansvar": 1, "verksamhet": 20},
    "rules": [
        {"match": {"ansvar": "11*", "verksamhet": "510"}, "target": {"namnd": "VON", "line": "aldreomsorg"}},
        {"match": {"ansvar": "11*"}, "target": {"namnd": "VON", "line": "forvaltningsgemensamt"}}
    ],
    "version": 1, "created_at": "2026-12-02T09:00:00Z", "updated_at": "2026-12-02T09:00:00Z"
}))]
pub struct DimensionMappingDto {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sie_dimensions: SieDimensionsDto,
    pub rules: Vec<MappingRuleDto>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<RuleSpec> for MappingRuleDto {
    fn from(r: RuleSpec) -> Self {
        MappingRuleDto {
            when: RuleMatchDto {
                ansvar: r.when.ansvar,
                verksamhet: r.when.verksamhet,
                konto: r.when.konto,
            },
            target: RuleTargetDto {
                namnd: r.target.namnd,
                line: r.target.line,
            },
        }
    }
}

impl From<&MappingRuleDto> for RuleSpec {
    fn from(r: &MappingRuleDto) -> Self {
        let trimmed = |p: &Option<String>| p.as_ref().map(|p| p.trim().to_string());
        RuleSpec {
            when: RuleMatch {
                ansvar: trimmed(&r.when.ansvar),
                verksamhet: trimmed(&r.when.verksamhet),
                konto: trimmed(&r.when.konto),
            },
            target: RuleTarget {
                namnd: r.target.namnd.trim().to_string(),
                line: r.target.line.trim().to_string(),
            },
        }
    }
}

fn dto_of(m: dimension_mapping::Model) -> Result<DimensionMappingDto, ApiError> {
    let rules = mappings::stored_rules(&m)?;
    let dim = |d: Option<i32>| d.and_then(|n| u32::try_from(n).ok());
    Ok(DimensionMappingDto {
        id: m.id,
        sie_dimensions: SieDimensionsDto {
            ansvar: dim(m.sie_ansvar_dim),
            verksamhet: dim(m.sie_verksamhet_dim),
        },
        rules: rules.into_iter().map(MappingRuleDto::from).collect(),
        name: m.name,
        description: m.description,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A new dimension mapping.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Raindance ekonomi",
    "sie_dimensions": {"ansvar": 1, "verksamhet": 20},
    "rules": [
        {"match": {"ansvar": "11*", "verksamhet": "510"}, "target": {"namnd": "VON", "line": "aldreomsorg"}},
        {"match": {"ansvar": "11*"}, "target": {"namnd": "VON", "line": "forvaltningsgemensamt"}}
    ]
}))]
pub struct CreateDimensionMapping {
    /// 1–200 characters, unique in the kommun.
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    /// Up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub sie_dimensions: Option<SieDimensionsDto>,
    /// 1–2000 rules, in the order they are tried.
    #[schema(min_items = 1, max_items = 2000)]
    pub rules: Vec<MappingRuleDto>,
}

/// Changes to a mapping; fields left out stay as they are. `rules` and
/// `sie_dimensions` replace the whole list or pair.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"match": {"ansvar": "11*", "konto": "3000-8999"}, "target": {"namnd": "VON", "line": "aldreomsorg"}}
]}))]
pub struct UpdateDimensionMapping {
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub sie_dimensions: Option<SieDimensionsDto>,
    #[schema(min_items = 1, max_items = 2000)]
    pub rules: Option<Vec<MappingRuleDto>>,
}

fn check_common(
    description: Option<&str>,
    sie: Option<&SieDimensionsDto>,
    rules: Option<&[MappingRuleDto]>,
    errors: &mut Vec<FieldError>,
) {
    check_at_most("description", description, 2000, errors);
    if let Some(sie) = sie {
        for (field, d) in [("ansvar", sie.ansvar), ("verksamhet", sie.verksamhet)] {
            if d.is_some_and(|n| !(1..=9999).contains(&n)) {
                errors.push(FieldError::new(
                    format!("sie_dimensions.{field}"),
                    "must be a SIE dimension number, 1–9999",
                ));
            }
        }
        if sie.ansvar.is_some() && sie.ansvar == sie.verksamhet {
            errors.push(FieldError::new(
                "sie_dimensions.verksamhet",
                "must be another dimension than ansvar",
            ));
        }
    }
    if let Some(rules) = rules {
        let specs: Vec<RuleSpec> = rules.iter().map(RuleSpec::from).collect();
        mappings::check_rules(&specs, errors);
    }
}

impl Input for CreateDimensionMapping {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text("name", &self.name, 200, &mut errors);
        check_common(
            self.description.as_deref(),
            self.sie_dimensions.as_ref(),
            Some(&self.rules),
            &mut errors,
        );
        errors
    }
}

impl Input for UpdateDimensionMapping {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            check_text("name", name, 200, &mut errors);
        }
        check_common(
            self.description.as_ref().and_then(|d| d.as_deref()),
            self.sie_dimensions.as_ref(),
            self.rules.as_deref(),
            &mut errors,
        );
        errors
    }
}

fn choice(sie: Option<SieDimensionsDto>) -> DimensionChoice {
    let sie = sie.unwrap_or_default();
    DimensionChoice {
        ansvar: sie.ansvar,
        verksamhet: sie.verksamhet,
    }
}

/// List the kommun's dimension mappings (admin, kommunledning, integration,
/// revisor), in creation order.
#[utoipa::path(tag = "dimension-mappings", params(PageParams),
    responses((status = 200, description = "One page of mappings", body = Page<DimensionMappingDto>)))]
#[get("/dimension-mappings")]
pub async fn list_dimension_mappings(
    cx: Ctx,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(dimension_mappings_target, &page)? else {
        return Ok(resource::empty_page::<DimensionMappingDto>());
    };
    let (rows, next) = mappings::list(cx.db(), kommun_id, &page).await?;
    let items = rows.into_iter().map(dto_of);
    Ok(resource::page(items.collect::<Result<Vec<_>, _>>()?, next))
}

impl Create<CreateDimensionMapping> for Mappings {
    async fn create(
        cx: &Ctx,
        b: CreateDimensionMapping,
    ) -> Result<dimension_mapping::Model, ApiError> {
        cx.authorized(Action::Create, dimension_mappings_target)?;
        let spec = MappingSpec {
            name: b.name.trim().to_string(),
            description: b.description.map(|d| d.trim().to_string()),
            sie: choice(b.sie_dimensions),
            rules: b.rules.iter().map(RuleSpec::from).collect(),
        };
        cx.create_row(spec).await
    }
}

crate::api::resource::row_item!(
    Mappings,
    dimension_mapping,
    DimensionMappingDto,
    dimension_mappings_target,
    dto = |_, m| dto_of(m),
    delete
);

impl Patch<UpdateDimensionMapping> for Mappings {
    async fn patch(
        cx: &Ctx,
        current: dimension_mapping::Model,
        b: UpdateDimensionMapping,
    ) -> Result<dimension_mapping::Model, ApiError> {
        let sie = b.sie_dimensions.map(|s| choice(Some(s)));
        let changes = MappingChanges {
            name: b.name.map(|n| n.trim().to_string()),
            description: b.description.map(|d| d.map(|d| d.trim().to_string())),
            sie_ansvar_dim: sie.map(|s| s.ansvar),
            sie_verksamhet_dim: sie.map(|s| s.verksamhet),
            rules: b.rules.map(|r| r.iter().map(RuleSpec::from).collect()),
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    Mappings, DimensionMappingDto, "dimension-mappings", "/dimension-mappings/{id}", "Mapping id";
    create: /// Create a dimension mapping (admin, kommunledning). Every target must be
        /// an existing drift line of a nämnd of the kommun.
        create_dimension_mapping(CreateDimensionMapping) "/dimension-mappings" "Created", 409 "Your kommun already has a dimension mapping with this name; names `name`", 422 "Invalid pattern, unknown nämnd or line";
    get: /// Read a dimension mapping.
        get_dimension_mapping "The mapping";
    patch: /// Change a dimension mapping (admin, kommunledning). Needs `If-Match`.
        update_dimension_mapping(UpdateDimensionMapping) "Changed", 422 "Invalid", 409 "Your kommun already has a dimension mapping with this name; names `name`";
    delete: /// Delete a dimension mapping (admin, kommunledning). Needs `If-Match`.
        /// Figures imported through it stay.
        delete_dimension_mapping "Deleted";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_dimension_mappings);
    item_services(cfg);
}
