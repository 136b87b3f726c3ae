//! Goal areas (övergripande mål of a plan period) and goals: the kommun's
//! resultatmål with one huvudansvar nämnd and medansvariga, and the nämnder's
//! own goals with "bäring på" a kommun goal and a target. Every write runs
//! in a transaction with its audit entry.

use super::linked::{
    Linked, answered_by, link_table, owners_linking_to, read_links, replace_links,
};
use super::write::{Columns, NewRow, RowChanges};
use super::write::{Resource, Write};
use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    NotSet, QueryFilter, QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::{checks::check_text, indicators::Target, search::any_contains_folded};
use crate::{
    entity::{goal, goal_area, goal_indicator, goal_namnd, indicator, namnd},
    service::crud::PageRequest,
    service::error::{FieldError, ServiceError, Taken, UniqueKey},
};

super::write::tenant_entity!(goal_area, "goal area", "goal_area");
super::write::tenant_entity!(goal, "goal", "goal");
link_table!(goal_namnd, GoalId => goal_id, NamndId => namnd_id);
link_table!(goal_indicator, GoalId => goal_id, IndicatorId => indicator_id);

/// The Swedish names of the 17 global goals of Agenda 2030.
pub const AGENDA2030: [&str; 17] = [
    "Ingen fattigdom",
    "Ingen hunger",
    "God hälsa och välbefinnande",
    "God utbildning för alla",
    "Jämställdhet",
    "Rent vatten och sanitet för alla",
    "Hållbar energi för alla",
    "Anständiga arbetsvillkor och ekonomisk tillväxt",
    "Hållbar industri, innovationer och infrastruktur",
    "Minskad ojämlikhet",
    "Hållbara städer och samhällen",
    "Hållbar konsumtion och produktion",
    "Bekämpa klimatförändringarna",
    "Hav och marina resurser",
    "Ekosystem och biologisk mångfald",
    "Fredliga och inkluderande samhällen",
    "Genomförande och globalt partnerskap",
];

/// The Swedish name of Agenda 2030 goal `number` (1–17).
pub fn agenda2030_name(number: u8) -> Option<&'static str> {
    AGENDA2030.get(usize::from(number).checked_sub(1)?).copied()
}

// ---------------------------------------------------------------------------
// Nämnder

/// The nämnder with `ids` of the kommun (one query).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn namnder_by_id(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, namnd::Model>, ServiceError> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .filter(namnd::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect())
}

/// The nämnd with `code`, if the kommun has one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn namnd_by_code(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    code: &str,
) -> Result<Option<namnd::Model>, ServiceError> {
    Ok(namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .filter(namnd::Column::Code.eq(code.trim()))
        .one(db)
        .await?)
}

/// 422 on `field[i]` for every id in `ids` that is not a nämnd of the kommun.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_namnder(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    field: &str,
    ids: &[Uuid],
    errors: &mut Vec<FieldError>,
) -> Result<(), ServiceError> {
    let found = namnder_by_id(db, kommun_id, ids.iter().copied()).await?;
    for (i, id) in ids.iter().enumerate() {
        if !found.contains_key(id) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                format!("no nämnd with id {id} in this kommun"),
            ));
        }
    }
    Ok(())
}

/// Most medansvariga nämnder a goal or an assignment lists (a kommun has a
/// few dozen nämnder at most; the bound keeps a request's queries bounded).
pub const MAX_MEDANSVARIGA: usize = 100;

/// Most indicators one goal links.
pub const MAX_GOAL_INDICATORS: usize = 200;

/// Agenda 2030 goal numbers: each 1–17, none twice.
fn check_agenda2030(numbers: &[u8], errors: &mut Vec<FieldError>) {
    if numbers.len() > AGENDA2030.len() {
        let message = format!("at most the {} Agenda 2030 goals", AGENDA2030.len());
        errors.push(FieldError::new("agenda2030", message));
        return;
    }
    for (i, n) in numbers.iter().enumerate() {
        if agenda2030_name(*n).is_none() {
            errors.push(FieldError::new(
                format!("agenda2030[{i}]"),
                "must be an Agenda 2030 goal number 1–17",
            ));
        }
    }
    check_unique("agenda2030", numbers, errors);
}

/// "is listed twice" on `field[i]` for every repeat in `items`.
fn check_unique<T: Ord>(field: &str, items: &[T], errors: &mut Vec<FieldError>) {
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(item) {
            errors.push(FieldError::new(format!("{field}[{i}]"), "is listed twice"));
        }
    }
}

/// Checks huvudansvar, medansvariga and alla_namnder of a goal or assignment.
pub fn check_responsibility(
    huvudansvar: Option<Uuid>,
    medansvariga: &[Uuid],
    alla_namnder: bool,
    huvudansvar_required: bool,
    errors: &mut Vec<FieldError>,
) {
    match huvudansvar {
        None if huvudansvar_required && !alla_namnder => errors.push(FieldError::new(
            "huvudansvar",
            "give the id of the one nämnd with huvudansvar (or set alla_namnder)",
        )),
        Some(_) if alla_namnder => errors.push(FieldError::new(
            "alla_namnder",
            "a goal for all nämnder has no huvudansvar; leave huvudansvar out",
        )),
        _ => {}
    }
    if medansvariga.len() > MAX_MEDANSVARIGA {
        errors.push(FieldError::new(
            "medansvariga",
            format!("at most {MAX_MEDANSVARIGA} nämnder"),
        ));
        return;
    }
    let mut seen = BTreeSet::new();
    for (i, m) in medansvariga.iter().enumerate() {
        if Some(*m) == huvudansvar {
            errors.push(FieldError::new(
                format!("medansvariga[{i}]"),
                "is the huvudansvar nämnd; a nämnd has either huvudansvar or medansvar, and there is exactly one huvudansvar",
            ));
        } else if !seen.insert(*m) {
            errors.push(FieldError::new(
                format!("medansvariga[{i}]"),
                "is listed twice",
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Goal areas

const AREA_TAKEN: Taken = Taken {
    key: UniqueKey {
        name: "uq_goal_area_kommun_plan_name",
        table: "goal_area",
        columns: &["kommun_id", "plan", "name"],
    },
    field: "name",
    message: "the plan already has a goal area with this name",
};

pub struct GoalAreaSpec {
    pub plan: String,
    pub name: String,
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
    pub position: Option<i32>,
}

#[derive(Default)]
pub struct GoalAreaChanges {
    pub plan: Option<String>,
    pub name: Option<String>,
    pub from_year: Option<Option<i32>>,
    pub to_year: Option<Option<i32>>,
    pub position: Option<i32>,
}

impl NewRow for GoalAreaSpec {
    type Entity = goal_area::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<goal_area::Model, ServiceError> {
        let of_plan = Condition::all().add(goal_area::Column::Plan.eq(self.plan.as_str()));
        let position = super::crud::next_position::<goal_area::Entity>(
            w.db(),
            w.kommun_id(),
            of_plan,
            self.position,
        )
        .await?;
        let model = goal_area::ActiveModel {
            plan: Set(self.plan),
            name: Set(self.name),
            from_year: Set(self.from_year),
            to_year: Set(self.to_year),
            position: Set(position),
            ..Default::default()
        };
        w.insert(model, &AREA_TAKEN).await
    }
}

impl RowChanges for GoalAreaChanges {
    type Entity = goal_area::Entity;
    const TAKEN: Option<&'static Taken> = Some(&AREA_TAKEN);

    async fn columns(self, _: &Write<'_>, current: &goal_area::Model) -> Columns<Self> {
        let from = self.from_year.unwrap_or(current.from_year);
        let to = self.to_year.unwrap_or(current.to_year);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ServiceError::validation(
                "to_year",
                "must not be before from_year",
            ));
        }
        let active = goal_area::ActiveModel {
            plan: self.plan.map(Set).unwrap_or(NotSet),
            name: self.name.map(Set).unwrap_or(NotSet),
            from_year: self.from_year.map(Set).unwrap_or(NotSet),
            to_year: self.to_year.map(Set).unwrap_or(NotSet),
            position: self.position.map(Set).unwrap_or(NotSet),
            ..Default::default()
        };
        Ok(active)
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_areas(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    plan: Option<&str>,
    page: &PageRequest,
) -> Result<(Vec<goal_area::Model>, Option<Uuid>), ServiceError> {
    let mut condition = Condition::all();
    if let Some(plan) = plan {
        condition = condition.add(goal_area::Column::Plan.eq(plan.trim()));
    }
    super::crud::list::<goal_area::Entity>(db, kommun_id, condition, page).await
}

// ---------------------------------------------------------------------------
// Goals

pub use crate::domain::GoalKind;

/// Everything a goal is, as written.
#[derive(Debug, Clone, Serialize)]
pub struct GoalSpec {
    pub kind: GoalKind,
    pub goal_area_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub huvudansvar: Option<Uuid>,
    pub medansvariga: Vec<Uuid>,
    pub alla_namnder: bool,
    pub agenda2030: Vec<u8>,
    pub indicator_ids: Vec<Uuid>,
    pub bar_pa_goal_id: Option<Uuid>,
    pub bar_pa: Option<String>,
    pub target_year: Option<i32>,
    pub target: Option<Target>,
    pub position: Option<i32>,
}

/// Field errors of a goal that need no database.
pub fn check_spec(spec: &GoalSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("title", &spec.title, 2000, &mut errors);
    match spec.kind {
        GoalKind::Kommun => {
            if spec.goal_area_id.is_none() {
                errors.push(FieldError::new(
                    "goal_area_id",
                    "a kommun goal (resultatmål) belongs to a goal area",
                ));
            }
            check_responsibility(
                spec.huvudansvar,
                &spec.medansvariga,
                spec.alla_namnder,
                true,
                &mut errors,
            );
            if spec.bar_pa_goal_id.is_some() {
                errors.push(FieldError::new(
                    "bar_pa_goal_id",
                    "only a nämnd's own goal has bäring på a kommun goal",
                ));
            }
        }
        GoalKind::Namnd => {
            if spec.huvudansvar.is_none() {
                errors.push(FieldError::new(
                    "huvudansvar",
                    "a nämnd's own goal needs its nämnd as huvudansvar",
                ));
            }
            if spec.alla_namnder {
                errors.push(FieldError::new(
                    "alla_namnder",
                    "a nämnd's own goal belongs to one nämnd",
                ));
            }
            check_responsibility(
                spec.huvudansvar,
                &spec.medansvariga,
                false,
                true,
                &mut errors,
            );
        }
    }
    check_agenda2030(&spec.agenda2030, &mut errors);
    if spec.indicator_ids.len() > MAX_GOAL_INDICATORS {
        let message = format!("at most {MAX_GOAL_INDICATORS} indicators");
        errors.push(FieldError::new("indicator_ids", message));
    } else {
        check_unique("indicator_ids", &spec.indicator_ids, &mut errors);
    }
    if spec.target.is_some() != spec.target_year.is_some() {
        errors.push(FieldError::new(
            "target",
            "give the target together with its year",
        ));
    }
    errors
}

/// A goal with its medansvariga and indicators.
#[derive(Debug, Clone, Serialize)]
pub struct GoalFull {
    pub model: goal::Model,
    pub medansvariga: Vec<Uuid>,
    pub indicator_ids: Vec<Uuid>,
}

impl Resource for GoalFull {
    const TYPE: &'static str = "goal";
    fn resource_id(&self) -> Uuid {
        self.model.id
    }
}

impl GoalFull {
    pub fn agenda2030(&self) -> Vec<u8> {
        self.model
            .agenda2030
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    }

    pub fn target(&self) -> Result<Option<Target>, ServiceError> {
        Target::from_stored(
            self.model.target_value.as_deref(),
            self.model.target_text.as_deref(),
        )
    }

    /// Whether the nämnd answers for the goal (huvudansvar, medansvar, or a
    /// goal for all nämnder).
    pub fn concerns(&self, namnd_id: Uuid) -> bool {
        self.model.alla_namnder
            || self.model.huvudansvar_id == Some(namnd_id)
            || self.medansvariga.contains(&namnd_id)
    }

    pub fn spec(&self) -> Result<GoalSpec, ServiceError> {
        let target = self.target()?;
        Ok(GoalSpec {
            kind: self.model.kind,
            goal_area_id: self.model.goal_area_id,
            title: self.model.title.clone(),
            description: self.model.description.clone(),
            huvudansvar: self.model.huvudansvar_id,
            medansvariga: self.medansvariga.clone(),
            alla_namnder: self.model.alla_namnder,
            agenda2030: self.agenda2030(),
            indicator_ids: self.indicator_ids.clone(),
            bar_pa_goal_id: self.model.bar_pa_goal_id,
            bar_pa: self.model.bar_pa.clone(),
            target_year: self.model.target_year,
            target,
            position: Some(self.model.position),
        })
    }
}

/// A 422 for a goal area the kommun does not have.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_goal_area(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    goal_area_id: Option<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Result<(), ServiceError> {
    if let Some(area) = goal_area_id
        && super::crud::find::<goal_area::Entity>(db, kommun_id, area)
            .await?
            .is_none()
    {
        errors.push(FieldError::new(
            "goal_area_id",
            format!("no goal area with id {area} in this kommun"),
        ));
    }
    Ok(())
}

/// 422s for a huvudansvar or medansvariga nämnd the kommun does not have.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_responsible(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    huvudansvar: Option<Uuid>,
    medansvariga: &[Uuid],
    errors: &mut Vec<FieldError>,
) -> Result<(), ServiceError> {
    if let Some(h) = huvudansvar
        && namnder_by_id(db, kommun_id, [h]).await?.is_empty()
    {
        errors.push(FieldError::new(
            "huvudansvar",
            format!("no nämnd with id {h} in this kommun"),
        ));
    }
    check_namnder(db, kommun_id, "medansvariga", medansvariga, errors).await
}

fn agenda_text(numbers: &[u8]) -> String {
    numbers
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl Linked for GoalFull {
    type Entity = goal::Entity;
    type Spec = GoalSpec;

    /// Attaches medansvariga and indicators to `models` (two queries).
    async fn with_links(
        db: &impl ConnectionTrait,
        kommun_id: Uuid,
        models: Vec<goal::Model>,
    ) -> Result<Vec<GoalFull>, ServiceError> {
        let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
        let mut medansvariga = read_links::<goal_namnd::Entity>(db, kommun_id, &ids).await?;
        let mut indicators = read_links::<goal_indicator::Entity>(db, kommun_id, &ids).await?;
        Ok(models
            .into_iter()
            .map(|model| GoalFull {
                medansvariga: medansvariga.remove(&model.id).unwrap_or_default(),
                indicator_ids: indicators.remove(&model.id).unwrap_or_default(),
                model,
            })
            .collect())
    }

    /// 422s for references to rows the kommun does not have.
    async fn check_refs(
        txn: &DatabaseTransaction,
        kommun_id: Uuid,
        id: Option<Uuid>,
        spec: &GoalSpec,
    ) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        check_goal_area(txn, kommun_id, spec.goal_area_id, &mut errors).await?;
        let (huvudansvar, medansvariga) = (spec.huvudansvar, &spec.medansvariga);
        check_responsible(txn, kommun_id, huvudansvar, medansvariga, &mut errors).await?;
        if !spec.indicator_ids.is_empty() {
            let found: BTreeSet<Uuid> = indicator::Entity::find()
                .filter(indicator::Column::KommunId.eq(kommun_id))
                .filter(indicator::Column::Id.is_in(spec.indicator_ids.iter().copied()))
                .all(txn)
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect();
            for (i, ind) in spec.indicator_ids.iter().enumerate() {
                if !found.contains(ind) {
                    errors.push(FieldError::new(
                        format!("indicator_ids[{i}]"),
                        format!("no indicator with id {ind} in this kommun"),
                    ));
                }
            }
        }
        if let Some(b) = spec.bar_pa_goal_id {
            match super::crud::find::<goal::Entity>(txn, kommun_id, b).await? {
                Some(g) if g.kind == GoalKind::Kommun && Some(g.id) != id => {}
                Some(_) => errors.push(FieldError::new(
                    "bar_pa_goal_id",
                    "must be another goal of the kommun plan (kind kommun)",
                )),
                None => errors.push(FieldError::new(
                    "bar_pa_goal_id",
                    format!("no goal with id {b} in this kommun"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(errors))
        }
    }

    fn columns(spec: &GoalSpec) -> Result<goal::ActiveModel, ServiceError> {
        let (target_value, target_text) = spec
            .target
            .as_ref()
            .map(Target::to_stored)
            .unwrap_or_default();
        Ok(goal::ActiveModel {
            kind: Set(spec.kind),
            goal_area_id: Set(spec.goal_area_id),
            title: Set(spec.title.clone()),
            description: Set(spec.description.clone()),
            huvudansvar_id: Set(spec.huvudansvar),
            alla_namnder: Set(spec.alla_namnder),
            agenda2030: Set(agenda_text(&spec.agenda2030)),
            bar_pa_goal_id: Set(spec.bar_pa_goal_id),
            bar_pa: Set(spec.bar_pa.clone()),
            target_year: Set(spec.target_year),
            target_value: Set(target_value),
            target_text: Set(target_text),
            ..Default::default()
        })
    }

    fn position(spec: &GoalSpec) -> Option<i32> {
        spec.position
    }

    async fn write_links(
        txn: &DatabaseTransaction,
        kommun_id: Uuid,
        goal_id: Uuid,
        spec: &GoalSpec,
    ) -> Result<(), ServiceError> {
        let namnder = &spec.medansvariga;
        replace_links::<goal_namnd::Entity>(txn, kommun_id, goal_id, namnder).await?;
        let indicators = &spec.indicator_ids;
        replace_links::<goal_indicator::Entity>(txn, kommun_id, goal_id, indicators).await
    }
}

#[derive(Default)]
pub struct GoalFilter {
    pub kind: Option<GoalKind>,
    pub goal_area_id: Option<Uuid>,
    /// Goals this nämnd answers for (huvudansvar, medansvar or all nämnder).
    pub namnd_id: Option<Uuid>,
    pub q: Option<String>,
    pub bar_pa_goal_id: Option<Uuid>,
    pub indicator_id: Option<Uuid>,
    /// Only these ids (e.g. the goals with a given bedömning in a report).
    pub ids: Option<Vec<Uuid>>,
}

async fn condition(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &GoalFilter,
) -> Result<Condition, ServiceError> {
    let mut condition = Condition::all();
    if let Some(kind) = filter.kind {
        condition = condition.add(goal::Column::Kind.eq(kind));
    }
    if let Some(area) = filter.goal_area_id {
        condition = condition.add(goal::Column::GoalAreaId.eq(area));
    }
    if let Some(n) = filter.namnd_id {
        let columns = [
            goal::Column::HuvudansvarId,
            goal::Column::AllaNamnder,
            goal::Column::Id,
        ];
        condition =
            condition.add(answered_by::<goal_namnd::Entity, _>(db, kommun_id, columns, n).await?);
    }
    if let Some(q) = &filter.q {
        let columns = [goal::Column::Title, goal::Column::Description];
        condition = condition.add(any_contains_folded(db.get_database_backend(), columns, q));
    }
    if let Some(b) = filter.bar_pa_goal_id {
        condition = condition.add(goal::Column::BarPaGoalId.eq(b));
    }
    if let Some(ind) = filter.indicator_id {
        let ids = owners_linking_to::<goal_indicator::Entity>(db, kommun_id, ind).await?;
        condition = condition.add(goal::Column::Id.is_in(ids));
    }
    if let Some(ids) = &filter.ids {
        condition = condition.add(goal::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(condition)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &GoalFilter,
    page: &PageRequest,
) -> Result<(Vec<GoalFull>, Option<Uuid>), ServiceError> {
    let condition = condition(db, kommun_id, filter).await?;
    let (rows, next) = super::crud::list::<goal::Entity>(db, kommun_id, condition, page).await?;
    Ok((GoalFull::with_links(db, kommun_id, rows).await?, next))
}

/// Every goal `namnd_id` answers for, by position (not paginated: a report
/// shows them all).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_namnd(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_id: Uuid,
) -> Result<Vec<GoalFull>, ServiceError> {
    let filter = GoalFilter {
        namnd_id: Some(namnd_id),
        ..Default::default()
    };
    let condition = condition(db, kommun_id, &filter).await?;
    let rows = goal::Entity::find()
        .filter(goal::Column::KommunId.eq(kommun_id))
        .filter(condition)
        .order_by_asc(goal::Column::Position)
        .order_by_asc(goal::Column::Id)
        .all(db)
        .await?;
    GoalFull::with_links(db, kommun_id, rows).await
}

/// Ids of every goal matching `filter` (not paginated).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ids(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &GoalFilter,
) -> Result<Vec<Uuid>, ServiceError> {
    let condition = condition(db, kommun_id, filter).await?;
    Ok(goal::Entity::find()
        .filter(goal::Column::KommunId.eq(kommun_id))
        .filter(condition)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect())
}
