//! Import files read and checked, before anything is written: text
//! decoding (the encoding told from the bytes), CSV records, JSON rows as
//! they arrive, Kolada documents, and the checks that turn a raw row into a
//! flat row. Pure: no database and no HTTP; the handlers hand them bytes or
//! a reader and map what they return.

pub mod csv;
pub mod json;
pub mod kolada;
pub mod rows;
pub mod text;

pub use csv::{CsvRecords, csv_records, parse_amount, read_csv};
pub use json::{parse_json, read_json_rows};
pub use kolada::{ParsedKolada, parse_kolada};
pub use rows::{AmountCell, RawRow, RowChecker};
pub use text::{DecodeError, DecodedChars, SkipBom, decode_borrowed, decode_text};

use crate::service::error::FieldError;

/// Why a file cannot be read at all (a problem with one row is a
/// [`RowIssue`](crate::service::imports::RowIssue) instead).
#[derive(Debug)]
pub enum ReadError {
    /// The file has the wrong shape (not text, a CSV header without the
    /// required columns, no array of rows): field errors.
    Invalid(Vec<FieldError>),
    /// The body is not JSON at all.
    NotJson(serde_json::Error),
}

impl ReadError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ReadError::Invalid(vec![FieldError::new(field, message)])
    }
}
