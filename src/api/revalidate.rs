//! Strong ETags and `304 Not Modified` for every read. The computed reads
//! (whole reports, tables, kommun views, documents) and single resources
//! set their own ETag; everything else a `GET` answers in one piece (lists,
//! feeds, histories) gets one here, from its bytes, so a client can
//! revalidate any read it keeps. A streamed answer (a large CSV export) is
//! left as it is: hashing it would mean holding it whole.

use actix_web::{
    Error, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderValue},
    },
    middleware::Next,
};

use super::common::{CACHE_REVALIDATE, none_match, strong_etag};

/// Paths whose answers are never kept: the probes say how the service is
/// now.
fn applies(req: &ServiceRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD) && !req.path().starts_with("/health")
}

pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let applies = applies(&req);
    let response = next.call(req).await?.map_into_boxed_body();
    if !applies
        || response.status() != StatusCode::OK
        || response.headers().contains_key(header::ETAG)
    {
        return Ok(response);
    }
    let (req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(streamed) => return Ok(ServiceResponse::new(req, res.set_body(streamed))),
    };
    let tag = strong_etag(&bytes);
    let Ok(tag_value) = HeaderValue::from_str(&tag) else {
        return Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))));
    };
    if none_match(&req, &tag) {
        let not_modified = HttpResponse::NotModified()
            .insert_header((header::ETAG, tag_value))
            .insert_header((header::CACHE_CONTROL, CACHE_REVALIDATE))
            .finish();
        return Ok(ServiceResponse::new(req, not_modified));
    }
    let mut res = res.set_body(BoxBody::new(bytes));
    res.headers_mut().insert(header::ETAG, tag_value);
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_REVALIDATE),
        );
    }
    Ok(ServiceResponse::new(req, res))
}
