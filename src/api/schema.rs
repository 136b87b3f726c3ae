//! OpenAPI schemas for domain enums. The domain stays free of framework
//! types; their schemas are declared here from the domain's own spelling.

use std::borrow::Cow;

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        ObjectBuilder, RefOr, Schema,
        schema::{SchemaType, Type},
    },
};

use crate::domain::{
    structure::{AssignmentStatus, KeyFigureUnit, NamndKind, PeriodKind, VolumeValueKind},
    webhook::DeliveryStatus,
};

/// Agenda 2030 goal numbers: each 1–17, each at most once.
pub fn agenda2030_numbers() -> Schema {
    agenda2030_array(SchemaType::Type(Type::Array))
}

/// [`agenda2030_numbers`] or `null` (a change that leaves them as they are).
pub fn agenda2030_numbers_or_null() -> Schema {
    agenda2030_array(SchemaType::Array(vec![Type::Array, Type::Null]))
}

fn agenda2030_array(schema_type: SchemaType) -> Schema {
    let number = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(1))
        .maximum(Some(17));
    utoipa::openapi::schema::ArrayBuilder::new()
        .schema_type(schema_type)
        .items(number)
        .max_items(Some(17))
        .unique_items(true)
        .description(Some("Agenda 2030 goal numbers 1–17, each at most once."))
        .build()
        .into()
}

/// Any JSON value, with its types named (a schema without `type` does not
/// read back, and the document is post-processed as data): a scalar, an
/// object or null, or a list of them (generators need an array's items).
pub fn any_json() -> Schema {
    let scalar_or_object = || {
        ObjectBuilder::new().schema_type(SchemaType::Array(vec![
            Type::Object,
            Type::String,
            Type::Number,
            Type::Boolean,
            Type::Null,
        ]))
    };
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(scalar_or_object())
        .item(utoipa::openapi::schema::ArrayBuilder::new().items(scalar_or_object()))
        .build()
        .into()
}

fn string_enum(values: impl IntoIterator<Item = &'static str>, description: &str) -> RefOr<Schema> {
    let values: Vec<&str> = values.into_iter().collect();
    let example = values.first().copied().unwrap_or_default();
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values))
        .description(Some(description))
        .examples([serde_json::Value::from(example)])
        .into()
}

macro_rules! domain_enum_schema {
    ($ty:ty, $name:literal, $description:literal) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_enum(<$ty>::ALL.iter().map(|v| v.as_str()), $description)
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

domain_enum_schema!(
    AssignmentStatus,
    "AssignmentStatus",
    "Status of an assignment: ej_startad, paborjad, klar or stoppad"
);
domain_enum_schema!(KeyFigureUnit, "KeyFigureUnit", "Unit of a key figure");
domain_enum_schema!(
    VolumeValueKind,
    "VolumeValueKind",
    "utfall (a month's or a whole period's outcome) or prognos (a full-year forecast, recorded for the month it was made)"
);
domain_enum_schema!(
    DeliveryStatus,
    "DeliveryStatus",
    "pending (waiting to be sent or retried), delivered (the receiver answered 2xx) or abandoned (its webhook was disabled)"
);
domain_enum_schema!(
    crate::domain::process::DeadlineKind,
    "DeadlineKind",
    "underlag (met when the report is submitted), namndbeslut (by its beslut_datum), inlamning (when approved), ks, kf (the kommun's own dates)"
);
domain_enum_schema!(
    crate::domain::process::DeadlineState,
    "DeadlineState",
    "on_time, late (met after the date), missing (not met, date passed) or pending (not met, date ahead)"
);
domain_enum_schema!(NamndKind, "NamndKind", "Kind of organisational unit");
domain_enum_schema!(
    PeriodKind,
    "PeriodKind",
    "manad, tertial, delar (jan–aug), halvar or helar"
);

domain_enum_schema!(
    crate::domain::Measure,
    "Measure",
    "utfall (actual), budget, or prognos (full-year forecast)"
);
domain_enum_schema!(
    crate::domain::BudgetLineKind,
    "BudgetLineKind",
    "drift (verksamhetsområde) or investering (huvudprojekt)"
);
domain_enum_schema!(
    crate::domain::structure::ReportType,
    "ReportType",
    "manadsrapport, tertialrapport, delarsrapport, arsredovisning or plan"
);
domain_enum_schema!(
    crate::domain::structure::ReportStatus,
    "ReportStatus",
    "utkast → for_beslut → godkand"
);
domain_enum_schema!(
    crate::domain::Aggregation,
    "Aggregation",
    "How monthly values make a period value: snitt_per_manad (mean of the months), \
sista_manad (the last month's value) or summa"
);
domain_enum_schema!(
    crate::domain::Bedomning,
    "Bedomning",
    "Assessment colour: gron (reached), gul (95–100 %), rod (below 95 %), ingen (not assessed)"
);
domain_enum_schema!(
    crate::domain::Trend,
    "Trend",
    "Development against the previous available utfall: forbattrad ↗, oforandrad →, forsamrad ↘, ej_jamforbar —"
);
domain_enum_schema!(
    crate::domain::Polarity,
    "Polarity",
    "Whether a higher or a lower utfall is better"
);
domain_enum_schema!(
    crate::domain::ValueSource,
    "ValueSource",
    "Where an indicator value came from: kolada (fetched), import (a file) or manual (written by a person; a sync keeps it)"
);
domain_enum_schema!(
    crate::domain::Gender,
    "Gender",
    "As in Kolada: T totalt, K kvinnor, M män"
);

// Named `GoalKindDto`, with the one `example` it had when the api derived
// its own copy of the enum.
impl PartialSchema for crate::domain::GoalKind {
    fn schema() -> RefOr<Schema> {
        #[allow(deprecated)]
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(Self::ALL.iter().map(|k| k.as_str())))
            .description(Some("Kind of goal."))
            .example(Some(serde_json::Value::from(Self::Kommun.as_str())))
            .into()
    }
}
impl ToSchema for crate::domain::GoalKind {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("GoalKindDto")
    }
}
