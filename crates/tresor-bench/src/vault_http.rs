//! JSON requests to the vault API over the same stack as [`crate::raw`] (reqwest, rustls with aws-lc-rs), with a
//! bearer token. The vault scenarios and their seeding speak raw HTTP: they measure the server, and need nothing of
//! the typed client but its login.

use reqwest::Method;
use serde_json::Value;
use tresor_client::Trust;

use crate::raw::{RawError, http_client, transport};

/// One connection pool and one session on one server.
#[derive(Debug, Clone)]
pub struct VaultHttp {
    http: reqwest::Client,
    /// `https://host:port/api/v1`
    base: String,
    token: String,
}

impl VaultHttp {
    pub fn new(url: &str, trust: &Trust, token: String) -> anyhow::Result<Self> {
        let base = format!("{}/api/v1", url.trim_end_matches('/'));
        Ok(Self { http: http_client(trust)?, base, token })
    }

    /// Sends a request and parses the answer; a non-2xx status is an error named by its status and code.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, RawError> {
        self.call_as(method, path, body).await
    }

    /// A page of entries, read whole and checked as JSON, but only counted: how fast the server delivers a
    /// listing, not how fast this client builds objects from it.
    pub async fn entry_page(&self, path: &str) -> Result<(usize, u64), RawError> {
        let page: CountedPage = self.call_as(Method::GET, path, None).await?;
        Ok((page.entries.len(), page.total))
    }

    async fn call_as<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, RawError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| RawError {
                status: Some(status.as_u16()),
                message: format!("{path}: the answer is not the expected JSON: {e}"),
            });
        }
        Err(refusal(path, &status, &bytes))
    }

    /// A request whose successful answer has no body (204).
    pub async fn call_empty(&self, method: Method, path: &str) -> Result<(), RawError> {
        let response = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token).send().await;
        let response = response.map_err(transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(refusal(path, &status, &response.bytes().await.map_err(transport)?))
    }

    pub async fn get(&self, path: &str) -> Result<Value, RawError> {
        self.call(Method::GET, path, None).await
    }
}

/// A non-2xx answer as an error named by its status and code.
fn refusal(path: &str, status: &reqwest::StatusCode, body: &[u8]) -> RawError {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = value["error"]["code"].as_str().unwrap_or("");
    let message = value["error"]["message"].as_str().unwrap_or("");
    RawError { status: Some(status.as_u16()), message: format!("{path}: {status} {code} {message}") }
}

/// A page of entries with each entry parsed past, not kept.
#[derive(serde::Deserialize)]
struct CountedPage {
    entries: Vec<serde::de::IgnoredAny>,
    total: u64,
}

/// Every entry id of a database visible to this session, a page of 1000 at a time.
pub async fn all_entry_ids(api: &VaultHttp, database: &str) -> Result<Vec<String>, RawError> {
    let mut ids = Vec::new();
    loop {
        let page = api.get(&entries_page(database, ids.len(), 1000)).await?;
        let entries = page["entries"].as_array().map(Vec::as_slice).unwrap_or_default();
        ids.extend(entries.iter().filter_map(|e| e["id"].as_str().map(str::to_owned)));
        let total = page["total"].as_u64().unwrap_or(0) as usize;
        if entries.is_empty() || ids.len() >= total {
            return Ok(ids);
        }
    }
}

/// The listing page at `offset` of a whole database (all folders), `limit` entries.
pub fn entries_page(database: &str, offset: usize, limit: usize) -> String {
    format!("/vault/databases/{database}/entries?recursive=true&limit={limit}&offset={offset}")
}
