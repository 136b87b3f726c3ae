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
/// [`RowIssue`] instead).
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

/// Items handed from the reading thread to the checking one at a time.
const PIPELINE_BATCH: usize = 1024;
/// Batches in flight between the two (bounds the memory of a fast reader).
const PIPELINE_BATCHES: usize = 4;

/// Runs `produce` on a thread of its own and hands every item it emits, in
/// order, to `consume` on this one: reading a large file (decoding, CSV
/// fields, amounts) and checking its rows then use two cores instead of
/// one. Returns what `produce` returns; an error when its thread cannot be
/// started or panicked.
pub fn pipelined<T, R>(
    produce: impl FnOnce(&mut dyn FnMut(T)) -> R + Send,
    mut consume: impl FnMut(T),
) -> Result<R, String>
where
    T: Send,
    R: Send,
{
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<T>>(PIPELINE_BATCHES);
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("import-reader".into())
            .spawn_scoped(scope, move || {
                let mut batch = Vec::with_capacity(PIPELINE_BATCH);
                let result = produce(&mut |item| {
                    batch.push(item);
                    if batch.len() == PIPELINE_BATCH {
                        let full =
                            std::mem::replace(&mut batch, Vec::with_capacity(PIPELINE_BATCH));
                        // The receiver lives until this thread has ended.
                        let _ = sender.send(full);
                    }
                });
                if !batch.is_empty() {
                    let _ = sender.send(batch);
                }
                result
            })
            .map_err(|e| format!("cannot start the import reader: {e}"))?;
        for batch in receiver {
            batch.into_iter().for_each(&mut consume);
        }
        reader
            .join()
            .map_err(|_| "the import reader panicked".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipeline_hands_on_every_item_in_order() {
        let mut seen = Vec::new();
        let result = pipelined(
            |emit| {
                for i in 0..(3 * PIPELINE_BATCH + 5) {
                    emit(i);
                }
                "read"
            },
            |i| seen.push(i),
        );
        assert_eq!(result.as_deref(), Ok("read"));
        assert_eq!(seen, (0..(3 * PIPELINE_BATCH + 5)).collect::<Vec<_>>());
        let mut none = 0;
        assert_eq!(pipelined(|_emit| 7, |_: ()| none += 1), Ok(7));
        assert_eq!(none, 0);
    }

    #[test]
    fn a_reader_that_panics_is_an_error() {
        let result: Result<(), String> = pipelined(
            |emit| {
                emit(1);
                panic!("bad reader");
            },
            |_: i32| {},
        );
        assert!(result.is_err());
    }
}

/// A problem with one row of an imported file: `index` is the row's
/// position among the file's data rows (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub index: usize,
    pub field: String,
    pub message: String,
}

impl RowIssue {
    pub fn new(index: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        RowIssue {
            index,
            field: field.into(),
            message: message.into(),
        }
    }
}
