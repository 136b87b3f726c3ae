//! Answers computed from a kommun's figures, kept until the kommun changes.
//!
//! Every write of a kommun moves its change number (`service::changes`) in
//! the write's own transaction. An answer computed after the number was read
//! as `n` is therefore at least as new as `n`, and it stays right for as
//! long as the number is still `n`: a read that finds the same number gets
//! the same bytes without running the queries and the figure rules again.
//! This holds across several instances of the service, because the number
//! lives in the database; each instance keeps its own answers.
//!
//! A handler authorises first (the key does not stand for who may read),
//! takes a [`Snapshot`] *before* it reads anything the answer is made of,
//! and names everything the answer depends on in the key: the resource, the
//! normalised query, and the caller's view where it narrows the answer.

use crate::error::ServiceError;
use std::future::Future;

use actix_web::{HttpRequest, HttpResponse, http::header, web::Bytes};
use uuid::Uuid;

use super::common::{CACHE_REVALIDATE, strong_etag, with_etag};
use crate::{
    error::ApiError,
    service::changes,
    state::{AppState, Kept},
};

/// A computed answer: its bytes, their media type and further headers
/// (`Content-Disposition`, `Vary`).
pub struct Answer {
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub headers: Vec<(header::HeaderName, String)>,
}

impl Answer {
    /// The answer made for this request only: 200 with a strong ETag of
    /// its bytes, or 304 for a matching `If-None-Match`.
    pub fn respond(self, req: &HttpRequest) -> HttpResponse {
        let etag = strong_etag(&self.body);
        send(req, etag, self.content_type, &self.headers, self.body)
    }
}

fn send(
    req: &HttpRequest,
    etag: String,
    content_type: &str,
    headers: &[(header::HeaderName, String)],
    body: impl Into<Bytes>,
) -> HttpResponse {
    with_etag(req, etag, CACHE_REVALIDATE, |ok| {
        for (name, value) in headers {
            ok.insert_header((name.clone(), value.as_str()));
        }
        ok.content_type(content_type).body(body.into())
    })
}

/// A kommun's change number, read before anything an answer is made of.
pub struct Snapshot {
    kommun_id: Uuid,
    seq: i64,
}

impl Snapshot {
    pub async fn take(state: &AppState, kommun_id: Uuid) -> Result<Snapshot, ApiError> {
        Ok(Snapshot {
            kommun_id,
            seq: changes::current(&state.db, kommun_id).await?,
        })
    }

    /// The answer for `key` as of this snapshot: kept bytes when the kommun
    /// has not changed since they were made, otherwise `produce`'s, which
    /// are kept. 200 with a strong ETag, or 304 for a matching
    /// `If-None-Match`; `Cache-Control` asks clients to revalidate.
    pub async fn respond<F, Fut>(
        &self,
        req: &HttpRequest,
        state: &AppState,
        key: String,
        produce: F,
    ) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Answer, ApiError>>,
    {
        let entry = match state.read_cache.get(self.kommun_id, &key, self.seq) {
            Some(entry) => entry,
            None => {
                let answer = produce().await?;
                let entry = Kept {
                    seq: self.seq,
                    content_type: answer.content_type,
                    headers: answer.headers,
                    etag: strong_etag(&answer.body),
                    body: Bytes::from(answer.body),
                };
                state.read_cache.put(self.kommun_id, key, entry.clone());
                entry
            }
        };
        Ok(send(
            req,
            entry.etag,
            entry.content_type,
            &entry.headers,
            entry.body,
        ))
    }
}

/// A key for an answer that depends on the request's path, its query and
/// the media type asked for (and on nothing about the caller but that they
/// may read it).
pub fn request_key(req: &HttpRequest) -> String {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("{}?{}|{accept}", req.path(), req.query_string())
}

/// Serialises an answer as JSON for [`Snapshot::respond`].
pub fn json<T: serde::Serialize>(body: &T) -> Result<Answer, ApiError> {
    serde_json::to_vec(body)
        .map(|body| Answer {
            body,
            content_type: "application/json",
            headers: Vec::new(),
        })
        .map_err(|e| ApiError::Service(ServiceError::Unexpected(format!("serialise: {e}"))))
}
