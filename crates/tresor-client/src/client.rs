//! The HTTP plumbing of [`Client`]: building it for a trust, addressing routes, sending the bearer token and
//! turning every failure into a [`ClientError`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, Url};
use serde::de::DeserializeOwned;
use tresor_api::{ErrorBody, ErrorCode};
use zeroize::Zeroizing;

use crate::error::{code_for_status, find_rustls_error, fingerprint_changed_message, one_line};
use crate::trust::{FingerprintMismatch, MismatchSlot, client_config};
use crate::{ClientError, Trust};

/// A whole request (connect, send, answer) must finish within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Error bodies are small; anything bigger is not a Tresor error body.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A typed client of one Tresor server's REST API. Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Arc<Url>,
    pin: Option<[u8; 32]>,
    mismatch: MismatchSlot,
    token: Option<Arc<Zeroizing<String>>>,
    /// The same trust for the live stream's WebSocket (HTTP/1.1 only); `None` for plain HTTP.
    pub(crate) stream_tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("pinned", &self.pin.is_some())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    /// A client of the server at `base_url` (`https://host:port`, optionally with a path prefix when the server
    /// sits behind a proxy), trusting it as `trust` says. No request is made yet.
    pub fn new(base_url: &str, trust: Trust) -> Result<Self, ClientError> {
        let base = normalize_base_url(base_url)?;
        let plain = matches!(trust, Trust::PlainHttp);
        match (base.scheme(), plain) {
            ("https", false) | ("http", true) => {}
            ("http", false) => {
                return Err(ClientError::InvalidUrl(
                    "an http:// URL has no certificate to pin or verify; use https://".into(),
                ));
            }
            _ => {
                return Err(ClientError::InvalidUrl("plain HTTP trust is only for http:// URLs".into()));
            }
        }
        let mismatch = MismatchSlot::default();
        let tls = client_config(&trust, &mismatch)?;
        let stream_tls = (!plain).then(|| {
            let mut config = tls.clone();
            // A WebSocket upgrade is an HTTP/1.1 request.
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        });
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(!plain)
            // Never follow a redirect: it could carry the bearer token somewhere the trust was not checked for.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("tresor-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Transport(one_line(&e)))?;
        let pin = match trust {
            Trust::Pinned(pin) => Some(pin),
            _ => None,
        };
        Ok(Self { http, base: Arc::new(base), pin, mismatch, token: None, stream_tls })
    }

    /// The same client, sending `token` as `Authorization: Bearer <token>` on every request.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Arc::new(Zeroizing::new(token.into())));
        self
    }

    /// The bearer token this client sends (for programs that make some requests of their own, and the live
    /// stream's handshake).
    pub fn bearer_token(&self) -> Option<String> {
        self.bearer().map(str::to_owned)
    }

    /// The bearer token, for the live stream's handshake.
    pub(crate) fn bearer(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.as_str())
    }

    /// Whether this client sends a bearer token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The server's base URL, normalized (no trailing slash, no query).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The URL of a route below the base URL; each segment is percent-encoded (a `/` in a name stays inside
    /// its segment).
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, ClientError> {
        let mut url = (*self.base).clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::InvalidUrl("the URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// The URL of an API route: `/api/v1/<segments>`.
    pub(crate) fn api_url(&self, segments: &[&str]) -> Result<Url, ClientError> {
        let mut all = vec!["api", "v1"];
        all.extend_from_slice(segments);
        self.url(&all)
    }

    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let builder = self.http.request(method, url);
        match &self.token {
            // `bearer_auth` marks the header sensitive, so it never shows in reqwest's Debug output.
            Some(token) => builder.bearer_auth(token.as_str()),
            None => builder,
        }
    }

    /// Sends a request and decodes a 2xx JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ClientError> {
        let response = self.send(request).await?;
        let body = response.bytes().await.map_err(|e| ClientError::Transport(one_line(&e)))?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Sends a request whose 2xx answer has no body worth reading (204).
    pub(crate) async fn send_empty(&self, request: RequestBuilder) -> Result<(), ClientError> {
        self.send(request).await.map(drop)
    }

    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(api_error(response).await)
    }

    fn transport_error(&self, err: &reqwest::Error) -> ClientError {
        let seen = self.mismatch.lock().ok().and_then(|mut slot| slot.take());
        if let Some(tls) = find_rustls_error(err) {
            if let rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) = tls
                && let Some(m) = other.0.downcast_ref::<FingerprintMismatch>()
            {
                return ClientError::Tls(fingerprint_changed_message(&m.expected, &m.got));
            }
            return ClientError::Tls(tls.to_string());
        }
        // The rustls error was wrapped beyond recognition; the verifier's own record still tells.
        if let (Some(expected), Some(got)) = (self.pin, seen) {
            return ClientError::Tls(fingerprint_changed_message(&expected, &got));
        }
        if err.is_timeout() {
            return ClientError::Transport(format!("{}: request timed out", self.base));
        }
        ClientError::Transport(one_line(err))
    }
}

/// Parses, checks and normalizes a server URL.
fn normalize_base_url(base_url: &str) -> Result<Url, ClientError> {
    let mut url = Url::parse(base_url.trim()).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::InvalidUrl(format!("unsupported scheme {:?}; use https://", url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientError::InvalidUrl("credentials do not belong in the server URL".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ClientError::InvalidUrl("the URL has no host".into()));
    }
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
    }
    Ok(url)
}

/// Turns a non-2xx answer into [`ClientError::Api`], tolerating bodies that are not Tresor error bodies (a
/// proxy's HTML page) and error codes newer than this client.
async fn api_error(response: Response) -> ClientError {
    let status = response.status();
    let body = match response.bytes().await {
        Ok(body) if body.len() <= MAX_ERROR_BODY => body,
        _ => Default::default(),
    };
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(&body) {
        return ClientError::Api {
            status: status.as_u16(),
            code: parsed.error.code,
            message: single_line(&parsed.error.message),
        };
    }
    let loose = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let message = loose
        .as_ref()
        .and_then(|v| v.pointer("/error/message"))
        .and_then(|m| m.as_str())
        .map(single_line)
        .unwrap_or_else(|| {
            format!("the server answered {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
                .trim_end()
                .to_owned()
        });
    let code: ErrorCode = code_for_status(status.as_u16());
    ClientError::Api { status: status.as_u16(), code, message }
}

/// Server messages are one sentence; control characters are replaced so that a message can neither break the
/// one-line error convention nor drive the terminal.
fn single_line(message: &str) -> String {
    message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str) -> Client {
        Client::new(url, Trust::Pinned([0; 32])).expect("client")
    }

    #[test]
    fn route_segments_are_percent_encoded() {
        let c = client("https://tresor.example:8714");
        let url = c.api_url(&["admin", "users", "a/b c?d"]).expect("url");
        assert_eq!(url.as_str(), "https://tresor.example:8714/api/v1/admin/users/a%2Fb%20c%3Fd");
    }

    #[test]
    fn a_path_prefix_is_kept() {
        let c = client("https://proxy.example/tresor/?x=1#f");
        assert_eq!(c.base_url().as_str(), "https://proxy.example/tresor");
        let url = c.api_url(&["me"]).expect("url");
        assert_eq!(url.as_str(), "https://proxy.example/tresor/api/v1/me");
    }

    #[test]
    fn bad_urls_are_refused() {
        for (url, trust) in [
            ("ftp://x", Trust::PlainHttp),
            ("https://user:pw@x", Trust::Pinned([0; 32])),
            ("http://x", Trust::Pinned([0; 32])),
            ("https://x", Trust::PlainHttp),
            ("not a url", Trust::PlainHttp),
        ] {
            let err = Client::new(url, trust).expect_err(url);
            assert!(matches!(err, ClientError::InvalidUrl(_)), "{url}: {err}");
            assert!(!err.to_string().contains("pw"));
        }
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = client("https://x").with_token("s3cr3t-token");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn single_line_removes_control_characters() {
        assert_eq!(single_line("a\nb\u{1b}[31m"), "a b [31m");
    }
}
