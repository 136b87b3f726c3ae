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

use crate::structure::{NamndKind, PeriodKind};

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

domain_enum_schema!(NamndKind, "NamndKind", "Kind of organisational unit");
domain_enum_schema!(
    PeriodKind,
    "PeriodKind",
    "manad, tertial, delar (jan–aug), halvar or helar"
);
