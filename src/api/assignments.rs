//! `/api/v1/assignments`: uppdrag of the kommun plan (including särskilda
//! uppdrag such as "Fortsätta effektivisera") with their responsible
//! nämnder; `/api/v1/reports/{id}/assignment-statuses`: the report nämnd's
//! status and comment for each.

use super::resource::plan_target;
use crate::api::common::ApiQuery;
use crate::error::ServiceError;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{ApiJson, Input, Page, PageParams, double_option},
    goals::{NamndRef, clean},
    linked::{LinkedItem, NewSpec, Shown, SpecChange, dtos},
    resource::{self, Ctx, empty_page, patch_field},
};
use crate::service::checks::{check_markdown, check_text};
use crate::{
    auth::Action,
    entity::{assignment_status, namnd},
    error::{ApiError, FieldError},
    service::{
        assignments::{self, AssignmentFull, AssignmentSpec, AssignmentStatus},
        goals,
    },
};

/// An assignment (uppdrag).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071f0", "plan": "Övergripande plan med budget 2024-2026",
    "goal_area_id": null, "goal_id": null, "title": "Fortsätta effektivisera",
    "description": "Uppdrag till samtliga nämnder och bolag att fortsätta effektivisera.",
    "huvudansvar": null, "medansvariga": [], "alla_namnder": true,
    "start_date": null, "end_date": "2024-12-31", "sarskilt": true, "position": 28,
    "version": 1, "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct AssignmentDto {
    pub id: Uuid,
    pub plan: Option<String>,
    pub goal_area_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    pub title: String,
    /// Markdown.
    pub description: Option<String>,
    /// Null for an assignment to all nämnder.
    pub huvudansvar: Option<NamndRef>,
    pub medansvariga: Vec<NamndRef>,
    /// To every nämnd (and bolag).
    pub alla_namnder: bool,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// A särskilt uppdrag (outside the goal areas).
    pub sarskilt: bool,
    pub position: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl AssignmentDto {
    fn new(
        a: &AssignmentFull,
        namnder: &std::collections::HashMap<Uuid, namnd::Model>,
    ) -> Result<Self, ApiError> {
        let m = &a.model;
        Ok(AssignmentDto {
            id: m.id,
            plan: m.plan.clone(),
            goal_area_id: m.goal_area_id,
            goal_id: m.goal_id,
            title: m.title.clone(),
            description: m.description.clone(),
            huvudansvar: m
                .huvudansvar_id
                .map(|h| NamndRef::of(h, namnder))
                .transpose()?,
            medansvariga: a
                .medansvariga
                .iter()
                .map(|n| NamndRef::of(*n, namnder))
                .collect::<Result<_, _>>()?,
            alla_namnder: m.alla_namnder,
            start_date: m.planned_start,
            end_date: m.slutdatum,
            sarskilt: m.sarskilt,
            position: m.position,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A new assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "plan": "Kommunplan 2023-2026", "goal_area_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0",
    "title": "Utveckla boendekedjan för äldre",
    "huvudansvar": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607186",
    "medansvariga": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182"],
    "end_date": "2026-12-31"
}))]
pub struct CreateAssignment {
    /// The plan it comes from, at most 200 characters.
    #[schema(max_length = 200)]
    pub plan: Option<String>,
    pub goal_area_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    /// 1–2000 characters.
    #[schema(max_length = 2000, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub title: String,
    pub description: Option<String>,
    /// Id of exactly one nämnd; leave out with `alla_namnder`.
    pub huvudansvar: Option<Uuid>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub medansvariga: Vec<Uuid>,
    #[serde(default)]
    pub alla_namnder: bool,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub sarskilt: bool,
    pub position: Option<i32>,
}

impl NewSpec<AssignmentFull> for CreateAssignment {
    fn spec(&self) -> Result<AssignmentSpec, Vec<FieldError>> {
        Ok(self.as_spec())
    }
}

impl CreateAssignment {
    fn as_spec(&self) -> AssignmentSpec {
        AssignmentSpec {
            plan: clean(self.plan.clone()),
            goal_area_id: self.goal_area_id,
            goal_id: self.goal_id,
            title: self.title.trim().to_string(),
            description: clean(self.description.clone()),
            huvudansvar: self.huvudansvar,
            medansvariga: self.medansvariga.clone(),
            alla_namnder: self.alla_namnder,
            planned_start: self.start_date,
            slutdatum: self.end_date,
            sarskilt: self.sarskilt,
            position: self.position,
        }
    }
}

impl Input for CreateAssignment {
    fn validate(&self) -> Vec<FieldError> {
        assignments::check_spec(&self.as_spec())
    }
}

/// Changes to an assignment; fields left out stay, `null` clears, lists
/// replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"end_date": "2025-06-30"}))]
pub struct UpdateAssignment {
    /// At most 200 characters; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub plan: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub goal_area_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub goal_id: Option<Option<Uuid>>,
    #[schema(max_length = 2000, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub huvudansvar: Option<Option<Uuid>>,
    #[schema(max_items = 100)]
    pub medansvariga: Option<Vec<Uuid>>,
    pub alla_namnder: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub end_date: Option<Option<NaiveDate>>,
    pub sarskilt: Option<bool>,
    pub position: Option<i32>,
}

impl Input for UpdateAssignment {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(t) = &self.title {
            check_text("title", t, 2000, &mut errors);
        }
        errors
    }
}

impl SpecChange<AssignmentFull> for UpdateAssignment {
    fn merge(self, mut s: AssignmentSpec) -> Result<AssignmentSpec, Vec<FieldError>> {
        patch_field(&mut s.plan, self.plan.map(clean));
        patch_field(&mut s.goal_area_id, self.goal_area_id);
        patch_field(&mut s.goal_id, self.goal_id);
        patch_field(&mut s.title, self.title.map(|t| t.trim().to_string()));
        patch_field(&mut s.description, self.description.map(clean));
        patch_field(&mut s.huvudansvar, self.huvudansvar);
        patch_field(&mut s.medansvariga, self.medansvariga);
        patch_field(&mut s.alla_namnder, self.alla_namnder);
        patch_field(&mut s.planned_start, self.start_date);
        patch_field(&mut s.slutdatum, self.end_date);
        patch_field(&mut s.sarskilt, self.sarskilt);
        patch_field(&mut s.position, self.position.map(Some));
        let errors = assignments::check_spec(&s);
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentQuery {
    pub goal_area_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    /// Assignments this nämnd (code) answers for.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Only särskilda uppdrag (true) or only the others (false).
    pub sarskilt: Option<bool>,
    /// Part of the title or description (case-insensitive).
    #[param(example = "boendekedjan")]
    pub q: Option<String>,
}

/// List assignments.
#[utoipa::path(tag = "assignments", params(AssignmentQuery, PageParams),
    responses((status = 200, description = "One page of assignments", body = Page<AssignmentDto>)))]
#[get("/assignments")]
pub async fn list_assignments(
    cx: Ctx,
    query: ApiQuery<AssignmentQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(plan_target, &page)? else {
        return Ok(empty_page::<AssignmentDto>());
    };
    let db = cx.db();
    let namnd_id = match &query.namnd {
        None => None,
        Some(code) => match goals::namnd_by_code(db, kommun_id, code).await? {
            Some(n) => Some(n.id),
            None => return Ok(empty_page::<AssignmentDto>()),
        },
    };
    let filter = assignments::AssignmentFilter {
        goal_area_id: query.goal_area_id,
        goal_id: query.goal_id,
        namnd_id,
        sarskilt: query.sarskilt,
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
    };
    let (rows, next) = assignments::list(db, kommun_id, &filter, &page).await?;
    Ok(resource::page(dtos(db, kommun_id, &rows).await?, next))
}

impl Shown for AssignmentFull {
    type Dto = AssignmentDto;
    fn namnder(&self) -> impl Iterator<Item = Uuid> {
        let huvudansvar = self.model.huvudansvar_id;
        huvudansvar
            .into_iter()
            .chain(self.medansvariga.iter().copied())
    }
    fn dto(
        &self,
        namnder: &std::collections::HashMap<Uuid, namnd::Model>,
    ) -> Result<AssignmentDto, ApiError> {
        AssignmentDto::new(self, namnder)
    }
    fn version(&self) -> i32 {
        self.model.version
    }
    fn current_spec(&self) -> Result<AssignmentSpec, ServiceError> {
        Ok(self.spec())
    }
}

crate::api::resource::item_routes! {
    LinkedItem<AssignmentFull>, AssignmentDto, "assignments", "/assignments/{id}", "Assignment id";
    create: /// Create an assignment (admin, kommunledning).
        create_assignment(CreateAssignment) "/assignments" "Created", 422 "Invalid";
    get: /// Read an assignment.
        get_assignment "The assignment";
    patch: /// Change an assignment (admin, kommunledning). Needs `If-Match`.
        update_assignment(UpdateAssignment) "Changed", 422 "Invalid";
    delete: /// Delete an assignment without statuses (admin, kommunledning). Needs `If-Match`.
        delete_assignment "Deleted", 409 "Reports have statuses for it";
}

/// The status of an assignment in a report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"assignment_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071f0", "status": "paborjad",
    "comment": "- Arbete i enlighet med boendeplanen.", "version": 1, "updated_at": "2025-02-01T10:00:00Z"}))]
pub struct AssignmentStatusDto {
    pub assignment_id: Uuid,
    /// Null when only a comment is given.
    pub status: Option<AssignmentStatus>,
    /// Markdown.
    pub comment: Option<String>,
    pub version: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl AssignmentStatusDto {
    fn new(m: &assignment_status::Model) -> Self {
        AssignmentStatusDto {
            assignment_id: m.assignment_id,
            status: m.status,
            comment: m.comment.clone(),
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

/// An assignment of the report's nämnd with its status in the report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"assignment": {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071f0", "title": "Fortsätta effektivisera"},
    "status": {"assignment_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071f0", "status": "paborjad", "comment": null, "version": 1, "updated_at": "2025-02-01T10:00:00Z"}}))]
pub struct AssignmentStatusRow {
    pub assignment: AssignmentDto,
    /// Null until the nämnd has given one in this report.
    pub status: Option<AssignmentStatusDto>,
}

/// The assignments of a report's nämnd with their statuses.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd": "VON", "items": []}))]
pub struct AssignmentStatusList {
    pub report_id: Uuid,
    pub namnd: String,
    pub items: Vec<AssignmentStatusRow>,
}

/// The assignments the report's nämnd answers for, with their status in
/// the report (not paginated).
#[utoipa::path(tag = "assignments", params(("id" = Uuid, Path, description = "Report id"), super::decided::BasisQuery),
    responses((status = 200, description = "The statuses", body = AssignmentStatusList, headers(("ETag" = String)))))]
#[get("/reports/{id}/assignment-statuses")]
pub async fn list_statuses(
    cx: Ctx,
    id: web::Path<Uuid>,
    basis: ApiQuery<super::decided::BasisQuery>,
) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(*id, Action::Read).await?;
    let (req, state, _) = cx.into_parts();
    let live = async || status_list(&state.db, &ctx).await;
    let part = "assignment_statuses";
    super::decided::part_or_live(&req, &state, &ctx, basis.basis, part, live).await
}

/// The assignments of the report's nämnd with their statuses in the report.
pub async fn status_list(
    db: &impl sea_orm::ConnectionTrait,
    ctx: &crate::service::reports::ReportContext,
) -> Result<AssignmentStatusList, ApiError> {
    let rows = assignments::for_report(db, ctx).await?;
    let all: Vec<AssignmentFull> = rows.iter().map(|r| r.assignment.clone()).collect();
    let shown = dtos(db, ctx.report.kommun_id, &all).await?;
    let items = rows
        .iter()
        .zip(shown)
        .map(|(r, assignment)| AssignmentStatusRow {
            assignment,
            status: r.status.as_ref().map(AssignmentStatusDto::new),
        })
        .collect();
    Ok(AssignmentStatusList {
        report_id: ctx.report.id,
        namnd: ctx.namnd.code.clone(),
        items,
    })
}

/// A status with its comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "paborjad", "comment": "- Genomfört utredning gällande Igelkotten hus 1-3."}))]
pub struct PutAssignmentStatus {
    /// ej_startad, paborjad, klar or stoppad; null for a comment only.
    pub status: Option<AssignmentStatus>,
    /// Markdown, at most 1 MB.
    pub comment: Option<String>,
}

impl Input for PutAssignmentStatus {
    const READ_ONLY: &'static [&'static str] = &["assignment_id", "version", "updated_at"];
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(comment) = &self.comment {
            check_markdown("comment", comment, &mut errors);
        }
        errors
    }
}

/// Give the status of an assignment in the report (the nämnd's redaktör,
/// while utkast). `If-Match` guards a change when given.
#[utoipa::path(tag = "assignments", request_body = PutAssignmentStatus,
    params(("id" = Uuid, Path, description = "Report id"), ("assignment_id" = Uuid, Path, description = "Assignment id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the status")),
    responses(
        (status = 200, description = "Changed", body = AssignmentStatusDto, headers(("ETag" = String))),
        (status = 201, description = "Created", body = AssignmentStatusDto, headers(("ETag" = String))),
        crate::api::responses::NotADraft,
        (status = 412, description = "The status changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or an assignment the nämnd does not answer for", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[put("/reports/{id}/assignment-statuses/{assignment_id}")]
pub async fn put_status(
    cx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<PutAssignmentStatus>,
) -> Result<HttpResponse, ApiError> {
    let (id, assignment_id) = path.into_inner();
    let (ctx, expected, actor) = cx.report_put(id).await?;
    let b = body.0;
    let comment = b.comment.map(|c| c.trim().to_string());
    let (model, created) = assignments::put_status(
        cx.db(),
        &actor,
        &ctx,
        assignment_id,
        b.status,
        comment.filter(|c| !c.is_empty()),
        expected,
    )
    .await?;
    let dto = AssignmentStatusDto::new(&model);
    Ok(cx.put(created, dto.version, &dto))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_assignments);
    item_services(cfg);
    cfg.service(list_statuses).service(put_status);
}
