//! Fetches Kolada v2 data from the configured Kolada-compatible server:
//! `{base}/data/kpi/{ids}/municipality/{kommunkod}[/year/{years}]`, then
//! every `next_page` until a page has none. The collected entries are
//! imported by the same code as an uploaded Kolada file.
//!
//! The server is outside our control, so every step is bounded: connect
//! and request timeouts, a page size and page count limit, `next_page` only
//! on the configured server (a page must not send us elsewhere) and never
//! the same page twice.

use std::{collections::HashSet, time::Duration};

use reqwest::{Client, Url};
use serde_json::Value;

use crate::service::error::ServiceError;

/// Most pages one fetch follows.
pub const MAX_PAGES: usize = 100;
/// Largest page accepted.
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;
/// Kolada ids per request path, so a kommun with many indicators does not
/// build a path longer than servers accept.
const KPIS_PER_REQUEST: usize = 25;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What to fetch.
#[derive(Debug, Clone)]
pub struct FetchRequest<'a> {
    /// `KOLADA_BASE_URL`, e.g. `https://api.kolada.se/v2`.
    pub base_url: &'a str,
    /// Kolada ids (already checked to be A–Z and 0–9).
    pub kpis: &'a [String],
    pub kommun_code: &'a str,
    /// Empty: every year the server has.
    pub years: &'a [i32],
}

/// The entries of every page, in page order.
#[derive(Debug, Default)]
pub struct Fetched {
    pub entries: Vec<Value>,
    pub pages: usize,
}

fn base(url: &str) -> Result<Url, ServiceError> {
    Url::parse(url).map_err(|e| ServiceError::Unexpected(format!("KOLADA_BASE_URL {url:?}: {e}")))
}

/// The first page of each group of Kolada ids.
pub fn first_pages(request: &FetchRequest<'_>) -> Result<Vec<Url>, ServiceError> {
    let base = base(request.base_url)?;
    let years: Vec<String> = request.years.iter().map(i32::to_string).collect();
    request
        .kpis
        .chunks(KPIS_PER_REQUEST)
        .map(|kpis| {
            let mut url = base.clone();
            {
                let mut path = url.path_segments_mut().map_err(|_| {
                    ServiceError::Unexpected("KOLADA_BASE_URL cannot be a base".into())
                })?;
                path.pop_if_empty();
                path.extend(["data", "kpi", &kpis.join(",")]);
                path.extend(["municipality", request.kommun_code]);
                if !years.is_empty() {
                    path.extend(["year", &years.join(",")]);
                }
            }
            Ok(url)
        })
        .collect()
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
    let base = base(request.base_url)?;
    let client = client()?;
    let mut fetched = Fetched::default();
    let mut visited = HashSet::new();
    for first in first_pages(request)? {
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if fetched.pages == MAX_PAGES {
                return Err(ServiceError::BadGateway(format!(
                    "the Kolada server sent more than {MAX_PAGES} pages; ask for fewer years or Kolada ids"
                )));
            }
            if !visited.insert(url.clone()) {
                return Err(ServiceError::BadGateway(format!(
                    "the Kolada server's next_page leads back to {url}"
                )));
            }
            fetched.pages += 1;
            let page = get_page(&client, &url, fetched.pages).await?;
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

/// One page as JSON: a Kolada v2 document with a `values` array.
async fn get_page(client: &Client, url: &Url, number: usize) -> Result<Value, ServiceError> {
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| transport_error(&e, url))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ServiceError::BadGateway(format!(
            "the Kolada server answered {status} for page {number} ({url})"
        )));
    }
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
            "page {number} from the Kolada server is not Kolada v2 data: it has no \"values\" array"
        )));
    }
    Ok(page)
}

/// The page's `next_page`: None when absent or null; an error when it is
/// not a URL on the configured server.
fn next_page(page: &Value, base: &Url, number: usize) -> Result<Option<Url>, ServiceError> {
    let text = match page.get("next_page") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            return Err(ServiceError::BadGateway(format!(
                "page {number} from the Kolada server has a next_page that is not a URL"
            )));
        }
    };
    let url = base.join(text).map_err(|_| {
        ServiceError::BadGateway(format!(
            "page {number} from the Kolada server has a next_page that is not a URL: {text:?}"
        ))
    })?;
    if url.origin() != base.origin() {
        return Err(ServiceError::BadGateway(format!(
            "page {number} from the Kolada server points next_page at another server ({}); only {} is followed",
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
    fn first_pages_have_kolada_v2_paths_in_groups_of_ids() {
        let kpis: Vec<String> = (0..30).map(|i| format!("U{i:05}")).collect();
        let request = FetchRequest {
            base_url: "https://api.kolada.se/v2",
            kpis: &kpis[..2],
            kommun_code: "0483",
            years: &[2023, 2024],
        };
        let urls = first_pages(&request).unwrap();
        assert_eq!(
            urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            ["https://api.kolada.se/v2/data/kpi/U00000,U00001/municipality/0483/year/2023,2024"]
        );
        let all_years = FetchRequest {
            base_url: "http://127.0.0.1:8099/",
            kpis: &kpis,
            years: &[],
            ..request
        };
        let urls = first_pages(&all_years).unwrap();
        assert_eq!(urls.len(), 2);
        assert!(
            urls[1]
                .as_str()
                .ends_with("/data/kpi/U00025,U00026,U00027,U00028,U00029/municipality/0483")
        );
        assert!(
            urls[0]
                .as_str()
                .starts_with("http://127.0.0.1:8099/data/kpi/U00000,")
        );
    }

    #[test]
    fn next_page_stays_on_the_configured_server() {
        let base = Url::parse("http://127.0.0.1:8099/v2").unwrap();
        let page = |next: Value| json!({"values": [], "next_page": next});
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
