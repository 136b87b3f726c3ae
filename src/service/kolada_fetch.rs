//! Fetches Kolada v3 data from the configured Kolada-compatible server:
//! `{base}/data/kpi/{ids}/municipality/{ids}[/year/{years}]?per_page=5000`
//! (each segment at most 25 ids; longer lists are split into several
//! requests), optionally `from_date` (values updated since), then every
//! `next_url` until a page has none. v2 servers' `next_page` is followed
//! the same way. The collected entries are imported by the same code as an
//! uploaded Kolada file.
//!
//! The server is outside our control, so every step is bounded: connect
//! and request timeouts, a page size and page count limit, `next_url` only
//! on the configured server (a page must not send us elsewhere) and never
//! the same page twice. 429 and 5xx answers are retried with exponential
//! backoff a few times before the fetch fails.

use std::{collections::HashSet, time::Duration};

use chrono::NaiveDate;
use reqwest::{Client, Url};
use serde_json::Value;

use crate::service::error::ServiceError;

/// Most pages one fetch follows.
pub const MAX_PAGES: usize = 200;
/// Largest page accepted.
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;
/// Ids per path segment: Kolada v3 accepts at most 25.
pub const IDS_PER_SEGMENT: usize = 25;
/// Rows per page asked for (Kolada v3's maximum).
pub const PER_PAGE: usize = 5000;
/// Attempts of one page when the server answers 429 or 5xx.
const ATTEMPTS: u32 = 4;
/// First wait before a retry; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait a `Retry-After` may ask for.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What to fetch.
#[derive(Debug, Clone)]
pub struct FetchRequest<'a> {
    /// `KOLADA_BASE_URL`, e.g. `https://api.kolada.se/v3`.
    pub base_url: &'a str,
    /// Kolada ids (already checked to be A–Z and 0–9).
    pub kpis: &'a [String],
    /// Kommunkoder or municipality group ids (`G…`); the kommun's own first.
    pub municipalities: &'a [String],
    /// Empty: every year the server has.
    pub years: &'a [i32],
    /// Only values updated since this date (incremental sync).
    pub from_date: Option<NaiveDate>,
}

/// The entries of every page, in page order.
#[derive(Debug, Default)]
pub struct Fetched {
    pub entries: Vec<Value>,
    pub pages: usize,
    /// Answers 429 or 5xx that were retried.
    pub retries: usize,
}

fn base(url: &str) -> Result<Url, ServiceError> {
    Url::parse(url).map_err(|e| ServiceError::Unexpected(format!("KOLADA_BASE_URL {url:?}: {e}")))
}

/// `items` joined by commas, in groups of at most [`IDS_PER_SEGMENT`].
fn segments(items: &[String]) -> Vec<String> {
    items.chunks(IDS_PER_SEGMENT).map(|c| c.join(",")).collect()
}

/// The first page of each combination of id groups.
pub fn first_pages(request: &FetchRequest<'_>) -> Result<Vec<Url>, ServiceError> {
    let base = base(request.base_url)?;
    let years: Vec<String> = request.years.iter().map(i32::to_string).collect();
    let year_segments = if years.is_empty() {
        vec![None]
    } else {
        segments(&years).into_iter().map(Some).collect()
    };
    let mut urls = Vec::new();
    for kpis in segments(request.kpis) {
        for municipalities in segments(request.municipalities) {
            for years in &year_segments {
                let mut url = base.clone();
                {
                    let mut path = url.path_segments_mut().map_err(|_| {
                        ServiceError::Unexpected("KOLADA_BASE_URL cannot be a base".into())
                    })?;
                    path.pop_if_empty();
                    path.extend(["data", "kpi", &kpis]);
                    path.extend(["municipality", &municipalities]);
                    if let Some(years) = years {
                        path.extend(["year", years]);
                    }
                }
                {
                    let mut query = url.query_pairs_mut();
                    query.append_pair("per_page", &PER_PAGE.to_string());
                    if let Some(date) = request.from_date {
                        query.append_pair("from_date", &date.format("%Y-%m-%d").to_string());
                    }
                }
                urls.push(url);
            }
        }
    }
    Ok(urls)
}

fn client() -> Result<Client, ServiceError> {
    Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ServiceError::Unexpected(format!("HTTP client: {e}")))
}

/// Fetches every page of `request`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fetch(request: &FetchRequest<'_>) -> Result<Fetched, ServiceError> {
    follow(request.base_url, first_pages(request)?).await
}

/// The `values` of the KPIs `ids` (`{base}/kpi/{ids}`, 25 ids a request).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fetch_kpis(base_url: &str, ids: &[String]) -> Result<Vec<Value>, ServiceError> {
    let root = base(base_url)?;
    let mut firsts = Vec::new();
    for group in segments(ids) {
        let mut url = root.clone();
        url.path_segments_mut()
            .map_err(|_| ServiceError::Unexpected("KOLADA_BASE_URL cannot be a base".into()))?
            .pop_if_empty()
            .extend(["kpi", &group]);
        url.query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string());
        firsts.push(url);
    }
    Ok(follow(base_url, firsts).await?.entries)
}

/// The KPI groups whose title contains `title` (`{base}/kpi_groups?title=`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fetch_kpi_groups(base_url: &str, title: &str) -> Result<Vec<Value>, ServiceError> {
    let mut url = base(base_url)?;
    url.path_segments_mut()
        .map_err(|_| ServiceError::Unexpected("KOLADA_BASE_URL cannot be a base".into()))?
        .pop_if_empty()
        .push("kpi_groups");
    url.query_pairs_mut().append_pair("title", title);
    Ok(follow(base_url, vec![url]).await?.entries)
}

/// Every page from each of `firsts`, following `next_url`.
async fn follow(base_url: &str, firsts: Vec<Url>) -> Result<Fetched, ServiceError> {
    let base = base(base_url)?;
    let client = client()?;
    let mut fetched = Fetched::default();
    let mut visited = HashSet::new();
    for first in firsts {
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if fetched.pages == MAX_PAGES {
                return Err(ServiceError::BadGateway(format!(
                    "the Kolada server sent more than {MAX_PAGES} pages; ask for fewer years or Kolada ids"
                )));
            }
            if !visited.insert(url.clone()) {
                return Err(ServiceError::BadGateway(format!(
                    "the Kolada server's next_url leads back to {url}"
                )));
            }
            fetched.pages += 1;
            let page = get_page(&client, &url, fetched.pages, &mut fetched.retries).await?;
            next = next_page(&page, &base, fetched.pages)?;
            if let Some(Value::Array(values)) = page.get("values") {
                fetched.entries.extend(values.iter().cloned());
            }
        }
    }
    Ok(fetched)
}

fn transport_error(e: &reqwest::Error, url: &Url) -> ServiceError {
    let server = url.host_str().unwrap_or("the Kolada server");
    if e.is_timeout() {
        ServiceError::GatewayTimeout(format!(
            "the Kolada server {server} did not answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        ))
    } else if e.is_connect() {
        ServiceError::BadGateway(format!(
            "cannot reach the Kolada server {server} (KOLADA_BASE_URL)"
        ))
    } else {
        ServiceError::BadGateway(format!("reading from the Kolada server {server} failed"))
    }
}

/// Whether an answer is worth asking again: rate limited or a server error.
fn retryable(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The wait before retry `attempt` (1-based): `Retry-After` seconds when the
/// server gives them (at most [`MAX_BACKOFF`]), else exponential.
fn backoff(attempt: u32, retry_after: Option<&reqwest::header::HeaderValue>) -> Duration {
    let asked = retry_after
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    asked
        .unwrap_or_else(|| FIRST_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(10)))
        .min(MAX_BACKOFF)
}

/// One page as JSON: a Kolada document with a `values` array. Retries 429
/// and 5xx answers with backoff, counting them in `retries`.
async fn get_page(
    client: &Client,
    url: &Url,
    number: usize,
    retries: &mut usize,
) -> Result<Value, ServiceError> {
    let mut attempt = 0;
    let mut response = loop {
        attempt += 1;
        let response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| transport_error(&e, url))?;
        let status = response.status();
        if status.is_success() {
            break response;
        }
        if retryable(status) && attempt < ATTEMPTS {
            *retries += 1;
            let wait = backoff(
                attempt,
                response.headers().get(reqwest::header::RETRY_AFTER),
            );
            tracing::info!(%status, attempt, wait_ms = wait.as_millis() as u64, "Kolada asks us to wait; retrying");
            tokio::time::sleep(wait).await;
            continue;
        }
        let tries = if attempt > 1 {
            format!(" after {attempt} attempts")
        } else {
            String::new()
        };
        return Err(ServiceError::BadGateway(format!(
            "the Kolada server answered {status} for page {number} ({url}){tries}"
        )));
    };
    let too_large = || {
        ServiceError::BadGateway(format!(
            "page {number} from the Kolada server is larger than {} MiB",
            MAX_PAGE_BYTES / (1024 * 1024)
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PAGE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(&e, url))?
    {
        if bytes.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    let page: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ServiceError::BadGateway(format!(
            "page {number} from the Kolada server is not JSON: {e}"
        ))
    })?;
    if !page.get("values").is_some_and(Value::is_array) {
        return Err(ServiceError::BadGateway(format!(
            "page {number} from the Kolada server is not Kolada data: it has no \"values\" array"
        )));
    }
    Ok(page)
}

/// The page's `next_url` (v3; `next_page` on a v2 server): None when
/// absent, null or empty; an error when it is not a URL on the configured
/// server.
fn next_page(page: &Value, base: &Url, number: usize) -> Result<Option<Url>, ServiceError> {
    let link = match page.get("next_url") {
        None | Some(Value::Null) => page.get("next_page"),
        found => found,
    };
    let text = match link {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            return Err(ServiceError::BadGateway(format!(
                "page {number} from the Kolada server has a next_url that is not a URL"
            )));
        }
    };
    let url = base.join(text).map_err(|_| {
        ServiceError::BadGateway(format!(
            "page {number} from the Kolada server has a next_url that is not a URL: {text:?}"
        ))
    })?;
    if url.origin() != base.origin() {
        return Err(ServiceError::BadGateway(format!(
            "page {number} from the Kolada server points next_url at another server ({}); only {} is followed",
            url.origin().ascii_serialization(),
            base.origin().ascii_serialization()
        )));
    }
    Ok(Some(url))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn first_pages_have_kolada_v3_paths_in_segments_of_at_most_25_ids() {
        let kpis: Vec<String> = (0..30).map(|i| format!("U{i:05}")).collect();
        let kommun = vec!["0483".to_string()];
        let request = FetchRequest {
            base_url: "https://api.kolada.se/v3",
            kpis: &kpis[..2],
            municipalities: &kommun,
            years: &[2023, 2024],
            from_date: None,
        };
        let urls = first_pages(&request).unwrap();
        assert_eq!(
            urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            [
                "https://api.kolada.se/v3/data/kpi/U00000,U00001/municipality/0483/year/2023,2024?per_page=5000"
            ]
        );
        let years: Vec<i32> = (1990..2020).collect();
        let all = FetchRequest {
            base_url: "http://127.0.0.1:8099/",
            kpis: &kpis,
            years: &years,
            from_date: NaiveDate::from_ymd_opt(2025, 3, 1),
            ..request
        };
        let urls = first_pages(&all).unwrap();
        assert_eq!(urls.len(), 4, "2 groups of ids times 2 groups of years");
        for url in &urls {
            let path = url.path();
            for segment in path.split('/') {
                assert!(segment.split(',').count() <= IDS_PER_SEGMENT, "{path}");
            }
            assert_eq!(url.query(), Some("per_page=5000&from_date=2025-03-01"));
        }
        assert!(
            urls[3]
                .path()
                .ends_with("/data/kpi/U00025,U00026,U00027,U00028,U00029/municipality/0483/year/2015,2016,2017,2018,2019")
        );
        let no_years = FetchRequest { years: &[], ..all };
        assert_eq!(first_pages(&no_years).unwrap().len(), 2);
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after_within_a_bound() {
        assert_eq!(backoff(1, None), FIRST_BACKOFF);
        assert_eq!(backoff(3, None), FIRST_BACKOFF * 4);
        let two = reqwest::header::HeaderValue::from_static("2");
        assert_eq!(backoff(1, Some(&two)), Duration::from_secs(2));
        let long = reqwest::header::HeaderValue::from_static("3600");
        assert_eq!(backoff(1, Some(&long)), MAX_BACKOFF);
        assert!(retryable(reqwest::StatusCode::TOO_MANY_REQUESTS));
        assert!(retryable(reqwest::StatusCode::BAD_GATEWAY));
        assert!(!retryable(reqwest::StatusCode::NOT_FOUND));
    }

    #[test]
    fn next_page_stays_on_the_configured_server() {
        let base = Url::parse("http://127.0.0.1:8099/v3").unwrap();
        let page = |next: Value| json!({"values": [], "next_url": next});
        let v2 = json!({"values": [], "next_page": "http://127.0.0.1:8099/v2/x?page=2"});
        assert_eq!(
            next_page(&v2, &base, 1).unwrap().unwrap().query(),
            Some("page=2")
        );
        assert_eq!(next_page(&page(Value::Null), &base, 1).unwrap(), None);
        assert_eq!(next_page(&json!({"values": []}), &base, 1).unwrap(), None);
        let next = next_page(
            &page(json!("http://127.0.0.1:8099/v2/data/kpi/U1?page=2")),
            &base,
            1,
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.query(), Some("page=2"));
        for bad in [
            json!("http://evil.example/v2/x"),
            json!("http://127.0.0.1:8100/v2"),
            json!(3),
        ] {
            assert!(matches!(
                next_page(&page(bad), &base, 1),
                Err(ServiceError::BadGateway(_))
            ));
        }
    }
}
