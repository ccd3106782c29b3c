//! A plain `GET` over the same stack the typed client uses (reqwest, rustls with aws-lc-rs, ALPN h2 and
//! http/1.1, no redirects), for what the typed client has no method for: `GET /` of the reference hello-world
//! server, and finding out which HTTP version a server negotiates.

use std::time::Duration;

use anyhow::Context;
use tresor_client::Trust;

/// Same limits as the typed client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection pool for `GET`s of one URL.
#[derive(Debug, Clone)]
pub struct RawClient {
    http: reqwest::Client,
    url: reqwest::Url,
}

/// A connection pool configured as the typed client configures its own.
pub fn http_client(trust: &Trust) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("tresor-bench/", env!("CARGO_PKG_VERSION")));
    if !matches!(trust, Trust::PlainHttp) {
        builder = builder.tls_backend_preconfigured(tresor_client::tls_config(trust)?).https_only(true);
    }
    builder.build().context("HTTP client")
}

/// A connection pool like [`http_client`] whose connections leave from `local`: the load driver tells the
/// server's per-address limits apart by source address.
pub fn http_client_from(trust: &Trust, local: std::net::IpAddr) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .local_address(local)
        .user_agent(concat!("tresor-bench/", env!("CARGO_PKG_VERSION")));
    if !matches!(trust, Trust::PlainHttp) {
        builder = builder.tls_backend_preconfigured(tresor_client::tls_config(trust)?).https_only(true);
    }
    builder.build().context("HTTP client")
}

/// A failed raw request: the HTTP status, or none when the request did not get an answer.
#[derive(Debug)]
pub struct RawError {
    pub status: Option<u16>,
    pub message: String,
}

impl RawClient {
    /// A client that sends `GET` requests to exactly `url`.
    pub fn new(url: &str, trust: &Trust) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(url).context("--url")?;
        Ok(Self { http: http_client(trust)?, url })
    }

    /// The same client for another path on the same server (and so another pool).
    pub fn with_path(mut self, path: &str) -> Self {
        self.url.set_path(path);
        self
    }

    /// Sends `GET` and reads the whole body; any non-2xx status is an error.
    pub async fn get(&self) -> Result<(), RawError> {
        let response = self.http.get(self.url.clone()).send().await.map_err(transport)?;
        let status = response.status();
        response.bytes().await.map_err(transport)?;
        if status.is_success() {
            Ok(())
        } else {
            Err(RawError { status: Some(status.as_u16()), message: format!("the server answered {status}") })
        }
    }

    /// The HTTP version the server speaks with this client stack (whatever the answer's status).
    pub async fn protocol(&self) -> anyhow::Result<String> {
        let response = self.http.get(self.url.clone()).send().await.context("probing the HTTP version")?;
        Ok(format!("{:?}", response.version()))
    }
}

/// A request that got no complete answer, with the whole chain of causes.
pub fn transport(e: reqwest::Error) -> RawError {
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
