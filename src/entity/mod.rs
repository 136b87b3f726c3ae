//! sea-orm entities, one per table. Plain data: rules live in `domain`,
//! queries in `service`.

pub mod action_plan;
pub mod assessment;
pub mod assignment;
pub mod assignment_namnd;
pub mod assignment_status;
pub mod audit_log;
pub mod budget_line;
pub mod budget_prognos_step;
pub mod budget_value;
pub mod budget_value_total;
pub mod calendar_feed;
pub mod change_counter;
pub mod change_feed;
pub mod deadline;
pub mod dimension_mapping;
pub mod goal;
pub mod goal_area;
pub mod goal_indicator;
pub mod goal_namnd;
pub mod idempotency_key;
pub mod indicator;
pub mod indicator_comparison;
pub mod indicator_override;
pub mod indicator_riktvarde;
pub mod indicator_value;
pub mod indicator_value_history;
pub mod key_figure;
pub mod kolada_sync;
pub mod kommun;
pub mod namnd;
pub mod obligation_rule;
pub mod period;
pub mod process_announcement;
pub mod report;
pub mod report_section;
pub mod report_version;
pub mod volume_measure;
pub mod volume_value;
pub mod webhook;
pub mod webhook_delivery;

#[cfg(test)]
mod stored_enum_tests;

/// The rest of an entity whose table sea-orm needs no relations for (joins
/// are written in the services) and whose rows save without hooks: the empty
/// `Relation` and the default `ActiveModelBehavior`.
macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}
pub(crate) use no_relations;

/// The entity of a versioned resource of a kommun: its `Model` with the
/// columns every such table has around its own (`id` first; `version`,
/// `created_at` and `updated_at` last, which `tenant_entity!` and the write
/// path rely on), serialised in that order as its audit shape, and no
/// relations. A table says only its own columns:
///
/// ```text
/// super::versioned_entity! {
///     #[sea_orm(table_name = "goal_area")]
///     pub struct Model {
///         pub kommun_id: Uuid,
///         pub name: String,
///     }
/// }
/// ```
macro_rules! versioned_entity {
    (
        $(#[$meta:meta])*
        pub struct Model {
            $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
        $(#[$meta])*
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            $($(#[$field_meta])* pub $field: $ty,)*
            pub version: i32,
            pub created_at: ChronoDateTimeUtc,
            pub updated_at: ChronoDateTimeUtc,
        }

        $crate::entity::no_relations!();
    };
}
pub(crate) use versioned_entity;

use crate::domain::{
    Aggregation, Bedomning, BudgetLineKind, Gender, GoalKind, Measure, OverrideKind, Polarity,
    ValueSource,
    process::DeadlineKind,
    structure::{
        AssignmentStatus, KeyFigureUnit, NamndKind, PeriodKind, ReportStatus, ReportType,
        VolumeValueKind,
    },
    webhook::DeliveryStatus,
};

/// Makes domain enums column types: each is stored as its `as_str` spelling
/// in a string column and read back by `FromStr`. This is what
/// `#[derive(DeriveValueType)] #[sea_orm(value_type = "String")]` generates,
/// written here because the domain knows nothing of sea-orm; `TryFromU64`
/// (always an error) lets an enum be part of a composite primary key.
macro_rules! stored_enum {
    ($($ty:ident),+ $(,)?) => {$(
        impl From<$ty> for sea_orm::Value {
            fn from(value: $ty) -> Self {
                value.as_str().into()
            }
        }

        impl sea_orm::TryGetable for $ty {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                idx: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let text = String::try_get_by(res, idx)?;
                text.parse().map_err(|e: String| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "stored {}: {e}",
                        stringify!($ty)
                    )))
                })
            }
        }

        impl sea_orm::sea_query::ValueType for $ty {
            fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                <String as sea_orm::sea_query::ValueType>::try_from(v)?
                    .parse()
                    .map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::String(sea_orm::sea_query::StringLen::None)
            }
        }

        impl sea_orm::sea_query::Nullable for $ty {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        impl sea_orm::IntoActiveValue<$ty> for $ty {
            fn into_active_value(self) -> sea_orm::ActiveValue<$ty> {
                sea_orm::ActiveValue::Set(self)
            }
        }

        impl sea_orm::TryFromU64 for $ty {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($ty)))
            }
        }

        impl sea_orm::sea_query::postgres_array::NotU8 for $ty {}
    )+};
}

stored_enum!(
    Aggregation,
    AssignmentStatus,
    Bedomning,
    BudgetLineKind,
    Gender,
    GoalKind,
    KeyFigureUnit,
    Measure,
    NamndKind,
    OverrideKind,
    PeriodKind,
    Polarity,
    ReportStatus,
    ReportType,
    ValueSource,
    VolumeValueKind,
    DeliveryStatus,
    DeadlineKind,
);
