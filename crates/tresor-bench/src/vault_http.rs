//! JSON requests to the vault API over the same stack as [`crate::raw`] (reqwest, rustls with aws-lc-rs), with a
//! bearer token. The vault scenarios and their seeding speak raw HTTP: they measure the server, and need nothing of
//! the typed client but its login.

use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use serde_json::Value;
use tresor_client::Trust;

use crate::raw::RawError;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("tresor-bench/", env!("CARGO_PKG_VERSION")));
        if !matches!(trust, Trust::PlainHttp) {
            builder = builder.tls_backend_preconfigured(tresor_client::tls_config(trust)?).https_only(true);
        }
        let base = format!("{}/api/v1", url.trim_end_matches('/'));
        Ok(Self { http: builder.build().context("HTTP client")?, base, token })
    }

    /// Sends a request and parses the answer; a non-2xx status is an error named by its status and code.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, RawError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let code = value["error"]["code"].as_str().unwrap_or("").to_owned();
        Err(RawError {
            status: Some(status.as_u16()),
            message: format!("{path}: {status} {code} {}", value["error"]["message"].as_str().unwrap_or("")),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, RawError> {
        self.call(Method::GET, path, None).await
    }
}

fn transport(e: reqwest::Error) -> RawError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    RawError { status: None, message }
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RawError {}

/// Every entry id of a database visible to this session, a page of 1000 at a time.
pub async fn all_entry_ids(api: &VaultHttp, database: &str) -> Result<Vec<String>, RawError> {
    let mut ids = Vec::new();
    loop {
        let page = api.get(&entries_page(database, ids.len())).await?;
        let entries = page["entries"].as_array().map(Vec::as_slice).unwrap_or_default();
        ids.extend(entries.iter().filter_map(|e| e["id"].as_str().map(str::to_owned)));
        let total = page["total"].as_u64().unwrap_or(0) as usize;
        if entries.is_empty() || ids.len() >= total {
            return Ok(ids);
        }
    }
}

/// The listing page at `offset` of a whole database (all folders), 1000 entries, the most one page holds.
pub fn entries_page(database: &str, offset: usize) -> String {
    format!("/vault/databases/{database}/entries?recursive=true&limit=1000&offset={offset}")
}
