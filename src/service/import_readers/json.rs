//! JSON files: a whole document, or the rows of `{"rows": [...]}` one at a
//! time as they arrive.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::RowIssue;
use super::{
    ReadError,
    rows::{AmountCell, RawRow},
};
use crate::{domain::money::parse_decimal, service::checks::nul_fields};

/// A whole JSON document (a UTF-8 byte-order mark before it is skipped).
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn parse_json(bytes: &[u8]) -> Result<Value, ReadError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(ReadError::NotJson)
}

/// The rows of a JSON document `{"rows": [...]}` from any JSON source (a
/// slice, or a body as it arrives), each read as a `T` and handed to `each`
/// as a [`RawRow`] as it is parsed (with the error of a row that does not
/// parse), so a large document is never held whole as a tree.
#[tracing::instrument(skip_all, fields(rows = tracing::field::Empty))]
pub fn read_json_rows<'de, T, R>(
    reader: &mut serde_json::Deserializer<R>,
    mut each: impl FnMut(RawRow, Option<RowIssue>),
) -> Result<(), ReadError>
where
    T: DeserializeOwned + Into<RawRow>,
    R: serde_json::de::Read<'de>,
{
    let mut index = 0;
    let mut on_row = |item: Value| {
        let (raw, issue) = json_row::<T>(index, item);
        index += 1;
        each(raw, issue);
    };
    let found = serde::de::DeserializeSeed::deserialize(
        RowsDocument {
            on_row: &mut on_row,
        },
        &mut *reader,
    )
    .and_then(|found| reader.end().map(|()| found));
    tracing::Span::current().record("rows", index);
    let must_be_rows =
        || ReadError::invalid("rows", "must be the array of rows ({\"rows\": [...]})");
    match found {
        Ok(true) => Ok(()),
        Ok(false) => Err(must_be_rows()),
        Err(e) if e.is_data() => Err(must_be_rows()),
        Err(e) => Err(ReadError::NotJson(e)),
    }
}

/// One JSON row as a [`RawRow`], or the error that it does not parse. The
/// amount is read here, not as part of `T` (which gets a placeholder 0).
fn json_row<T: DeserializeOwned + Into<RawRow>>(
    i: usize,
    mut item: Value,
) -> (RawRow, Option<RowIssue>) {
    // No text column stores U+0000, and serde's message for a bad value
    // would quote it back.
    let mut nul = Vec::new();
    nul_fields(&item, "", &mut nul);
    if let Some(first) = nul.into_iter().next() {
        return (
            RawRow::default(),
            Some(RowIssue::new(i, first.field, first.message)),
        );
    }
    // The amount is checked apart so that a text amount names its field.
    let amount = match item.as_object_mut().map(|o| o.remove("amount")) {
        Some(None) | Some(Some(Value::Null)) => AmountCell::Missing,
        Some(Some(v)) => match parse_decimal(&v) {
            Ok(d) => AmountCell::Value(d),
            Err(e) => AmountCell::Bad(e),
        },
        None => {
            return (
                RawRow::default(),
                Some(RowIssue::new(i, "", "must be an object")),
            );
        }
    };
    if let Some(o) = item.as_object_mut() {
        o.insert("amount".into(), Value::from(0));
    }
    match serde_path_to_error::deserialize::<_, T>(item) {
        Ok(r) => (RawRow { amount, ..r.into() }, None),
        Err(e) => {
            let message = e.inner().to_string();
            let message = match message.rfind(" at line ") {
                Some(k) => message[..k].to_string(),
                None => message,
            };
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            (RawRow::default(), Some(RowIssue::new(i, field, message)))
        }
    }
}

/// `{"rows": [...], ...}`: visits each row as it is parsed; other keys are
/// skipped. Yields whether `rows` was there.
struct RowsDocument<'f, F> {
    on_row: &'f mut F,
}

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for RowsDocument<'_, F> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for RowsDocument<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with the array \"rows\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "rows" && !found {
                map.next_value_seed(RowList {
                    on_row: &mut *self.on_row,
                })?;
                found = true;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The array of rows, one [`Value`] at a time.
struct RowList<'f, F> {
    on_row: &'f mut F,
}

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for RowList<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for RowList<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the array of rows")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.on_row)(item);
        }
        Ok(())
    }
}
