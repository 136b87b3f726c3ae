//! A request body handed to a synchronous parser while it arrives, so a
//! large import is never held whole in memory.
//!
//! The payload is read here, on the async side, and its chunks are passed
//! through a small bounded channel to the parser on a blocking thread,
//! which sees them as one `std::io::Read` (less a UTF-8 byte-order mark:
//! [`SkipBom`]). The limit is enforced as the chunks arrive; when the parser
//! stops early (a syntax error), the rest of the body is not read.

use crate::error::ServiceError;
use std::io::Read;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, http::header, web};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::{error::ApiError, service::import_readers::SkipBom};

/// Chunks in flight between the payload and the parser.
const CHUNKS_IN_FLIGHT: usize = 16;

/// The body's chunks as one reader.
pub struct ChunkReader {
    chunks: mpsc::Receiver<Bytes>,
    chunk: Bytes,
}

impl ChunkReader {
    fn new(chunks: mpsc::Receiver<Bytes>) -> Self {
        ChunkReader {
            chunks,
            chunk: Bytes::new(),
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.chunk = chunk,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len());
        out[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// The whole body, up to `limit` bytes (413 beyond it, and at once when
/// `Content-Length` says so).
pub async fn read_whole(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    check_declared_length(req, limit)?;
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(unreadable()),
        Err(_) => Err(too_large(limit)),
    }
}

pub(super) fn unreadable() -> ApiError {
    ApiError::BadRequest("the request body could not be read".into())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"))
}

fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// Runs `parse` on a blocking thread over the body of `req` (a UTF-8
/// byte-order mark at its start skipped), read from `payload` up to `limit`
/// bytes (413 beyond it, 400 when it cannot be read; either way the parser's
/// result is dropped).
pub async fn parse_streamed<T, F>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    parse: F,
) -> Result<T, ApiError>
where
    F: FnOnce(SkipBom<ChunkReader>) -> T + Send + 'static,
    T: Send + 'static,
{
    check_declared_length(req, limit)?;
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let parser =
        tokio::task::spawn_blocking(move || parse(SkipBom::new(ChunkReader::new(receiver))));
    let mut read = 0usize;
    let mut failure = None;
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            failure = Some(unreadable());
            break;
        };
        read += chunk.len();
        if read > limit {
            failure = Some(too_large(limit));
            break;
        }
        if sender.send(chunk).await.is_err() {
            // The parser has stopped; its result says why.
            break;
        }
    }
    drop(sender);
    let parsed = parser
        .await
        .map_err(|e| ServiceError::Unexpected(format!("import parser: {e}")))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(parsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(chunks: &[&[u8]]) -> Vec<u8> {
        let (sender, receiver) = mpsc::channel(chunks.len().max(1));
        for chunk in chunks {
            sender.try_send(Bytes::copy_from_slice(chunk)).ok();
        }
        drop(sender);
        let mut out = Vec::new();
        SkipBom::new(ChunkReader::new(receiver))
            .read_to_end(&mut out)
            .ok();
        out
    }

    #[test]
    fn chunks_read_as_one_body_without_its_bom() {
        assert_eq!(read_all(&[b"ab", b"", b"cd"]), b"abcd");
        assert_eq!(read_all(&[b"\xef", b"\xbb", b"\xbfx", b"y"]), b"xy");
        assert_eq!(read_all(&[b"\xef\xbb\xbf"]), b"");
        assert_eq!(read_all(&[b"\xef\xbb"]), b"\xef\xbb");
        assert_eq!(read_all(&[]), b"");
    }
}
