//! Exact decimals in JSON: accepted as numbers or numeric strings, served as
//! JSON numbers without passing through f64 (serde_json's
//! `arbitrary_precision`). Money is stored as integer öre.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serializer, de::Error};

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    parse_decimal(&value).map_err(D::Error::custom)
}

pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    rust_decimal::serde::arbitrary_precision::serialize(&value.normalize(), s)
}

/// The same for `Option<Decimal>` (null or absent is `None`).
pub mod option {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => parse_decimal(&value).map(Some).map_err(D::Error::custom),
        }
    }

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, s),
            None => s.serialize_none(),
        }
    }
}

pub use crate::domain::money::{from_ore, parse_decimal, to_ore};

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_strings_parse_exactly() {
        assert_eq!(
            parse_decimal(&json!("123456789012.34"))
                .unwrap()
                .to_string(),
            "123456789012.34"
        );
        assert_eq!(parse_decimal(&json!(-0.01)).unwrap().to_string(), "-0.01");
        assert_eq!(parse_decimal(&json!("1e3")).unwrap(), Decimal::from(1000));
        assert!(parse_decimal(&json!("12,5")).is_err());
        assert!(parse_decimal(&json!(true)).is_err());
    }

    #[test]
    fn ore_round_trip() {
        for text in ["123456789012.34", "-0.01", "0", "-314902000"] {
            let d = Decimal::from_str(text).unwrap();
            assert_eq!(from_ore(to_ore(d).unwrap()), d.normalize(), "{text}");
        }
        assert!(to_ore(Decimal::from_str("0.001").unwrap()).is_err());
        assert!(to_ore(Decimal::from_str("99999999999999999999").unwrap()).is_err());
    }

    #[test]
    fn serialised_as_exact_json_numbers() {
        #[derive(serde::Serialize)]
        struct T {
            #[serde(with = "super")]
            v: Decimal,
        }
        let text = serde_json::to_string(&T {
            v: Decimal::from_str("123456789012.34").unwrap(),
        })
        .unwrap();
        assert_eq!(text, r#"{"v":123456789012.34}"#);
    }
}
