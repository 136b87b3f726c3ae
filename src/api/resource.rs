//! The handler shapes every resource shares, written once: read one with
//! its ETag, change one with `If-Match`, delete one with `If-Match`, answer
//! one page of a list. A resource says what is particular to it (how a row
//! is loaded and authorised, how it is shown, how a change is applied) by
//! implementing [`Item`], [`Patch`] and [`Delete`]; [`item_routes!`] then
//! writes the three `/…/{id}` handlers with their OpenAPI description.

use crate::error::ServiceError;
use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::StatusCode, web};
use serde::Serialize;
use uuid::Uuid;

use super::common::{
    Page, PageParams, PageRequest, check_if_match, created, encode_cursor, versioned,
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    error::ApiError,
    service::{audit::Actor, crud::TenantEntity},
    state::AppState,
};

/// What every handler works with: the request, the shared state and the
/// authenticated caller (extracted in that order).
pub struct Ctx {
    pub req: HttpRequest,
    pub state: web::Data<AppState>,
    pub principal: Principal,
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let principal = Principal::from_request(&req, payload);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ServiceError::Unexpected("application state missing".into()))?;
            let principal = principal.await?;
            Ok(Ctx {
                req,
                state,
                principal,
            })
        })
    }
}

/// The nämnd of kommun `kommun_id`, after checking `action` on its figures.
pub(crate) async fn authorized_namnd(
    db: &impl sea_orm::ConnectionTrait,
    principal: &Principal,
    kommun_id: Uuid,
    namnd_id: Uuid,
    action: Action,
) -> Result<crate::entity::namnd::Model, ApiError> {
    let namnd =
        crate::service::crud::get::<crate::entity::namnd::Entity>(db, kommun_id, namnd_id).await?;
    authorize(principal, action, namnd_figures(principal, &namnd.code))?;
    Ok(namnd)
}

/// Loads a report and checks that `action` is allowed on it (a report one
/// may not see is "not found").
pub async fn authorized_report(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    action: Action,
) -> Result<crate::service::reports::ReportContext, ApiError> {
    let kommun_id = principal.require_kommun()?;
    let ctx = crate::service::reports::load(&state.db, kommun_id, id).await?;
    // Reports one may not see are "not found" even for the first check.
    authorize(principal, Action::Read, ctx.target(principal))?;
    authorize(principal, action, ctx.target(principal))?;
    Ok(ctx)
}

/// Who a resource's rows are authorised against, given the caller.
pub type TargetOf = for<'a> fn(&'a Principal) -> Target<'a>;

/// One [`TargetOf`] function per [`Target`] that names only the caller's
/// kommun, so that a handler says which part of the kommun it touches
/// and no more.
macro_rules! kommun_targets {
    ($($(#[doc = $doc:literal])* $name:ident => $variant:ident;)*) => {$(
        $(#[doc = $doc])*
        pub fn $name(principal: &Principal) -> Target<'_> {
            Target::$variant { kommun: &principal.kommun_code }
        }
    )*};
}

kommun_targets! {
    /// The kommun's plan (goal areas, goals, indicators, assignments).
    plan_target => Plan;
    /// The kommunledningsförvaltning's consolidated views over every nämnd.
    consolidated_target => Consolidated;
    /// Organisation and calendar: nämnder, periods, deadlines, obligation
    /// rules.
    structure_target => Structure;
    /// Indicator values (utfall), also written by integrations.
    indicator_values_target => IndicatorValues;
    /// The audit log.
    audit_target => AuditLog;
    /// The change feed.
    change_feed_target => ChangeFeed;
    /// Dimension mappings (ledger codes to nämnd and line).
    dimension_mappings_target => DimensionMappings;
    /// A figure file whose nämnder are known only once its rows are mapped.
    figure_import_target => FigureImport;
    /// Webhook subscriptions and their deliveries.
    webhooks_target => Webhooks;
    /// The caller's own calendar feeds.
    calendar_feeds_target => CalendarFeeds;
}

/// The caller's kommun itself (its name).
pub fn kommun_target(principal: &Principal) -> Target<'_> {
    Target::Kommun {
        code: &principal.kommun_code,
    }
}

/// The figures of nämnd `namnd` of the caller's kommun.
pub fn namnd_figures<'a>(principal: &'a Principal, namnd: &'a str) -> Target<'a> {
    Target::NamndFigures {
        kommun: &principal.kommun_code,
        namnd,
    }
}

impl Ctx {
    /// The request, the state and the caller, for a handler that works with
    /// them one by one.
    pub fn into_parts(self) -> (HttpRequest, web::Data<AppState>, Principal) {
        (self.req, self.state, self.principal)
    }

    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db
    }

    /// Checks `action` on `target` (for a handler that also answers a
    /// caller whose kommun does not exist yet).
    pub fn check(&self, action: Action, target: TargetOf) -> Result<(), ApiError> {
        Ok(authorize(&self.principal, action, target(&self.principal))?)
    }

    /// The caller's kommun after checking `action` on `target`.
    pub fn authorized(&self, action: Action, target: TargetOf) -> Result<Uuid, ApiError> {
        self.check(action, target)?;
        Ok(self.principal.require_kommun()?)
    }

    /// For a list: checks `Read` on `target` and parses the page; None when
    /// the caller's kommun does not exist yet (its lists are empty).
    pub fn listing(
        &self,
        target: TargetOf,
        page: &PageParams,
    ) -> Result<Option<(Uuid, PageRequest)>, ApiError> {
        self.check(Action::Read, target)?;
        let page = page.parse()?;
        Ok(self.principal.kommun_id.map(|kommun_id| (kommun_id, page)))
    }

    /// The row `id` of the caller's kommun after checking `action`.
    pub async fn row<E: TenantEntity>(
        &self,
        id: Uuid,
        action: Action,
        target: TargetOf,
    ) -> Result<E::Model, ApiError> {
        let kommun_id = self.authorized(action, target)?;
        Ok(crate::service::crud::get::<E>(self.db(), kommun_id, id).await?)
    }

    /// The report `id` of the caller's kommun after checking `action` on it
    /// (a report the caller may not see is not found).
    pub async fn report(
        &self,
        id: Uuid,
        action: Action,
    ) -> Result<crate::service::reports::ReportContext, ApiError> {
        authorized_report(&self.state, &self.principal, id, action).await
    }

    /// For a `PUT` of a part of report `id` under its key (an assessment, a
    /// status, a section): the report, authorised for change; the version
    /// an optional `If-Match` names (None: create, or overwrite blindly);
    /// and who writes.
    pub async fn report_put(
        &self,
        id: Uuid,
    ) -> Result<(crate::service::reports::ReportContext, Option<i32>, Actor), ApiError> {
        let ctx = self.report(id, Action::Update).await?;
        let expected = super::common::optional_if_match_version(&self.req)?;
        let actor = super::common::actor(&self.req, &self.principal, ctx.report.kommun_id);
        Ok((ctx, expected, actor))
    }

    /// The nämnd `namnd_id` of the caller's kommun after checking `action`
    /// on its figures.
    pub async fn namnd(
        &self,
        namnd_id: Uuid,
        action: Action,
    ) -> Result<crate::entity::namnd::Model, ApiError> {
        let kommun_id = self.principal.require_kommun()?;
        authorized_namnd(self.db(), &self.principal, kommun_id, namnd_id, action).await
    }

    /// The audit actor of this request.
    pub fn actor(&self) -> Result<Actor, ApiError> {
        let kommun_id = self.principal.require_kommun()?;
        Ok(super::common::actor(&self.req, &self.principal, kommun_id))
    }

    /// Writes `changes` to row `id` as this request's caller, if the row is
    /// still at `version` (the version the client's If-Match named).
    pub async fn patch_row<C: crate::service::write::RowChanges>(
        &self,
        id: Uuid,
        version: i32,
        changes: C,
    ) -> Result<<C::Entity as sea_orm::EntityTrait>::Model, ApiError>
    where
        <C::Entity as sea_orm::EntityTrait>::Model: crate::service::write::Resource
            + sea_orm::IntoActiveModel<<C::Entity as sea_orm::EntityTrait>::ActiveModel>,
        <C::Entity as sea_orm::EntityTrait>::ActiveModel:
            sea_orm::ActiveModelTrait<Entity = C::Entity> + Send,
    {
        let actor = self.actor()?;
        Ok(crate::service::write::patch(self.db(), &actor, id, version, changes).await?)
    }

    /// Creates a row from `new` as this request's caller.
    pub async fn create_row<N: crate::service::write::NewRow>(
        &self,
        new: N,
    ) -> Result<<N::Entity as sea_orm::EntityTrait>::Model, ApiError> {
        let actor = self.actor()?;
        Ok(crate::service::write::create(self.db(), &actor, new).await?)
    }

    /// Deletes row `id` of `E` as this request's caller, if the row is
    /// still at `version` (the version the client's If-Match named).
    pub async fn delete_row<E>(&self, id: Uuid, version: i32) -> Result<(), ApiError>
    where
        E: crate::service::write::BeforeDelete,
        E::Model: crate::service::write::Resource,
    {
        let actor = self.actor()?;
        Ok(crate::service::write::delete::<E>(self.db(), &actor, id, version).await?)
    }

    /// `body` with its ETag (200, or 304 for a matching If-None-Match).
    pub fn ok<T: Serialize>(&self, version: i32, body: &T) -> HttpResponse {
        versioned(&self.req, StatusCode::OK, version, body)
    }

    /// The answer to a `PUT` of a row the client names by its key: 201 when
    /// it created the row, else 200, with its ETag.
    pub fn put<T: Serialize>(&self, created: bool, version: i32, body: &T) -> HttpResponse {
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        versioned(&self.req, status, version, body)
    }

    /// 201 with ETag and Location.
    pub fn created<T: Serialize>(&self, version: i32, id: Uuid, body: &T) -> HttpResponse {
        created(&self.req, version, id, body)
    }
}

/// One page of DTOs with the cursor to the next.
pub fn page<T: Serialize>(items: Vec<T>, next: Option<Uuid>) -> HttpResponse {
    HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    })
}

/// The empty page (a kommun that does not exist yet has no rows).
pub fn empty_page<T: Serialize>() -> HttpResponse {
    page(Vec::<T>::new(), None)
}

/// A field of a `PATCH` body: `change`, when the client sent it, replaces
/// `field`.
pub fn patch_field<T>(field: &mut T, change: Option<T>) {
    if let Some(value) = change {
        *field = value;
    }
}

/// A resource with `/…/{id}`: how one is loaded (authorised for an action)
/// and shown.
#[allow(async_fn_in_trait)]
pub trait Item {
    /// What loading gives: the row, or the row with what showing it needs.
    type Current;
    type Dto: Serialize;
    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<Self::Current, ApiError>;
    fn id(current: &Self::Current) -> Uuid;
    fn version(current: &Self::Current) -> i32;
    async fn dto(cx: &Ctx, current: Self::Current) -> Result<Self::Dto, ApiError>;
}

/// A resource created by `POST` of a body `B` to its collection.
#[allow(async_fn_in_trait)]
pub trait Create<B>: Item {
    /// Authorises the caller and creates one from `body`.
    async fn create(cx: &Ctx, body: B) -> Result<Self::Current, ApiError>;
}

/// A resource changed by `PATCH` with a body `B`.
#[allow(async_fn_in_trait)]
pub trait Patch<B>: Item {
    /// Applies `body` to `current` (already checked against If-Match).
    async fn patch(cx: &Ctx, current: Self::Current, body: B) -> Result<Self::Current, ApiError>;
}

/// A resource removed by `DELETE`.
#[allow(async_fn_in_trait)]
pub trait Delete: Item {
    async fn delete(cx: &Ctx, current: Self::Current) -> Result<(), ApiError>;
}

/// `GET /…/{id}`: the resource with its ETag.
pub async fn get_one<R: Item>(cx: Ctx, id: Uuid) -> Result<HttpResponse, ApiError> {
    let current = R::load(&cx, id, Action::Read).await?;
    let version = R::version(&current);
    Ok(cx.ok(version, &R::dto(&cx, current).await?))
}

/// `POST /…`: 201 with the new resource, its ETag and its Location.
pub async fn create_one<R: Create<B>, B>(cx: Ctx, body: B) -> Result<HttpResponse, ApiError> {
    let created = R::create(&cx, body).await?;
    let (id, version) = (R::id(&created), R::version(&created));
    Ok(cx.created(version, id, &R::dto(&cx, created).await?))
}

/// `PATCH /…/{id}`: needs If-Match of the current version.
pub async fn patch_one<R: Patch<B>, B>(
    cx: Ctx,
    id: Uuid,
    body: B,
) -> Result<HttpResponse, ApiError> {
    let current = R::load(&cx, id, Action::Update).await?;
    check_if_match(&cx.req, R::version(&current))?;
    let changed = R::patch(&cx, current, body).await?;
    let version = R::version(&changed);
    Ok(cx.ok(version, &R::dto(&cx, changed).await?))
}

/// `DELETE /…/{id}`: needs If-Match of the current version; 204.
pub async fn delete_one<R: Delete>(cx: Ctx, id: Uuid) -> Result<HttpResponse, ApiError> {
    let current = R::load(&cx, id, Action::Delete).await?;
    check_if_match(&cx.req, R::version(&current))?;
    R::delete(&cx, current).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// [`Item`] for a resource that is one row of a [`TenantEntity`] authorised
/// against `target`, shown by `Dto::from(model)` or by `dto = |cx, model|
/// …`; with `delete`, also [`Delete`] through the audited versioned delete.
macro_rules! row_item {
    ($name:ident, $module:ident, $dto:ty, $target:expr, dto = $f:expr $(, $del:ident)?) => {
        pub struct $name;
        impl $crate::api::resource::Item for $name {
            type Current = $crate::entity::$module::Model;
            type Dto = $dto;
            async fn load(
                cx: &$crate::api::resource::Ctx,
                id: uuid::Uuid,
                action: $crate::auth::Action,
            ) -> Result<Self::Current, $crate::error::ApiError> {
                cx.row::<$crate::entity::$module::Entity>(id, action, $target)
                    .await
            }
            fn id(current: &Self::Current) -> uuid::Uuid {
                current.id
            }
            fn version(current: &Self::Current) -> i32 {
                current.version
            }
            async fn dto(
                cx: &$crate::api::resource::Ctx,
                current: Self::Current,
            ) -> Result<$dto, $crate::error::ApiError> {
                let f: fn(
                    &$crate::api::resource::Ctx,
                    Self::Current,
                ) -> Result<$dto, $crate::error::ApiError> = $f;
                f(cx, current)
            }
        }
        $($crate::api::resource::row_item!(@$del $name, $module);)?
    };
    ($name:ident, $module:ident, $dto:ty, $target:expr $(, $del:ident)?) => {
        $crate::api::resource::row_item!(
            $name, $module, $dto, $target, dto = |_, m| Ok(<$dto>::from(m)) $(, $del)?
        );
    };
    (@delete $name:ident, $module:ident) => {
        impl $crate::api::resource::Delete for $name {
            async fn delete(
                cx: &$crate::api::resource::Ctx,
                current: Self::Current,
            ) -> Result<(), $crate::error::ApiError> {
                cx.delete_row::<$crate::entity::$module::Entity>(current.id, current.version)
                    .await
            }
        }
    };
}
pub(crate) use row_item;

/// [`Item`] and [`Delete`] for a row that belongs to one nämnd and is
/// authorised through that nämnd's figures (key figures, volume measures):
/// loaded with its nämnd, shown by `Dto::from_model(row, namnd_code)`,
/// deleted through [`Ctx::delete_row`] (with the entity's
/// `before_delete`).
macro_rules! namnd_item {
    ($name:ident, $module:ident, $dto:ty) => {
        pub struct $name;
        impl $crate::api::resource::Item for $name {
            type Current = ($crate::entity::$module::Model, $crate::entity::namnd::Model);
            type Dto = $dto;
            async fn load(
                cx: &$crate::api::resource::Ctx,
                id: uuid::Uuid,
                action: $crate::auth::Action,
            ) -> Result<Self::Current, $crate::error::ApiError> {
                let kommun_id = cx.principal.require_kommun()?;
                let row = $crate::service::crud::get::<$crate::entity::$module::Entity>(
                    cx.db(),
                    kommun_id,
                    id,
                )
                .await?;
                let namnd = $crate::api::resource::authorized_namnd(
                    cx.db(),
                    &cx.principal,
                    kommun_id,
                    row.namnd_id,
                    action,
                )
                .await?;
                Ok((row, namnd))
            }
            fn id(current: &Self::Current) -> uuid::Uuid {
                current.0.id
            }
            fn version(current: &Self::Current) -> i32 {
                current.0.version
            }
            async fn dto(
                _: &$crate::api::resource::Ctx,
                (row, namnd): Self::Current,
            ) -> Result<$dto, $crate::error::ApiError> {
                <$dto>::from_model(row, &namnd.code)
            }
        }
        impl $crate::api::resource::Delete for $name {
            async fn delete(
                cx: &$crate::api::resource::Ctx,
                (row, _): Self::Current,
            ) -> Result<(), $crate::error::ApiError> {
                cx.delete_row::<$crate::entity::$module::Entity>(row.id, row.version)
                    .await
            }
        }
    };
}
pub(crate) use namnd_item;

/// The `GET`, `PATCH` and `DELETE` handlers of `/…/{id}` for a resource
/// implementing [`Item`], [`Patch`] and [`Delete`], and the `POST` of its
/// collection for [`Create`], each with its `#[utoipa::path]`, and
/// `item_services` registering them. Each handler takes its doc comment
/// (the operation's summary) and the descriptions particular to it (a
/// `422` or `409` only where the operation can answer it); any of the four
/// may be left out. The calling module has `Uuid` and actix-web's `post`,
/// `get`, `patch` and `delete` (those it uses) in scope (utoipa reads the
/// route attribute by its bare name).
macro_rules! item_routes {
    (
        $res:ty, $dto:ident, $tag:literal, $path:literal, $id:literal;
        $(create: $(#[$cdoc:meta])* $create:ident($cbody:ident) $collection:literal $created:literal $(, 409 $ctaken:literal)?, 422 $cinvalid:literal;)?
        $(get: $(#[$gdoc:meta])* $get:ident $got:literal;)?
        $(patch: $(#[$pdoc:meta])* $patch:ident($body:ident) $changed:literal $(, 422 $invalid:literal)? $(, 409 $taken:literal)?;)?
        $(delete: $(#[$ddoc:meta])* $delete:ident $deleted:literal $(, 409 $conflict:literal)?;)?
    ) => {
        $(
            $(#[$cdoc])*
            #[utoipa::path(tag = $tag, request_body = $cbody,
                responses(
                    (status = 201, description = $created, body = $dto, headers(("ETag" = String), ("Location" = String))),
                    $((status = 409, description = $ctaken, body = $crate::error::Problem, content_type = "application/problem+json"),)?
                    (status = 422, description = $cinvalid, body = $crate::error::Problem, content_type = "application/problem+json"),
                ))]
            #[post($collection)]
            pub async fn $create(
                cx: $crate::api::resource::Ctx,
                body: $crate::api::common::ApiJson<$cbody>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
                $crate::api::resource::create_one::<$res, $cbody>(cx, body.0).await
            }
        )?
        $(
            $(#[$gdoc])*
            #[utoipa::path(tag = $tag, params(("id" = Uuid, Path, description = $id)),
                responses(
                    (status = 200, description = $got, body = $dto, headers(("ETag" = String))),
                    (status = 304, description = "Not modified since the ETag in If-None-Match"),
                ))]
            #[get($path)]
            pub async fn $get(
                cx: $crate::api::resource::Ctx,
                id: actix_web::web::Path<Uuid>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
                $crate::api::resource::get_one::<$res>(cx, *id).await
            }
        )?
        $(
            $(#[$pdoc])*
            #[utoipa::path(tag = $tag, request_body = $body,
                params(("id" = Uuid, Path, description = $id),
                    ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
                responses(
                    (status = 200, description = $changed, body = $dto, headers(("ETag" = String))),
                    $((status = 409, description = $taken, body = $crate::error::Problem, content_type = "application/problem+json"),)?
                    $crate::api::responses::Stale,
                    $((status = 422, description = $invalid, body = $crate::error::Problem, content_type = "application/problem+json"),)?
                    $crate::api::responses::IfMatchMissing,
                ))]
            #[patch($path)]
            pub async fn $patch(
                cx: $crate::api::resource::Ctx,
                id: actix_web::web::Path<Uuid>,
                body: $crate::api::common::ApiJson<$body>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
                $crate::api::resource::patch_one::<$res, $body>(cx, *id, body.0).await
            }
        )?
        $(
            $(#[$ddoc])*
            #[utoipa::path(tag = $tag,
                params(("id" = Uuid, Path, description = $id),
                    ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
                responses(
                    (status = 204, description = $deleted),
                    $((status = 409, description = $conflict, body = $crate::error::Problem, content_type = "application/problem+json"),)?
                    $crate::api::responses::Stale,
                    $crate::api::responses::IfMatchMissing,
                ))]
            #[delete($path)]
            pub async fn $delete(
                cx: $crate::api::resource::Ctx,
                id: actix_web::web::Path<Uuid>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
                $crate::api::resource::delete_one::<$res>(cx, *id).await
            }
        )?

        /// Registers the handlers above.
        fn item_services(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
            $(cfg.service($create);)?
            $(cfg.service($get);)?
            $(cfg.service($patch);)?
            $(cfg.service($delete);)?
        }
    };
}
pub(crate) use item_routes;
