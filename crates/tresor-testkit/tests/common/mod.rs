//! Helpers shared by the behaviour tests: raw HTTP over TLS (for what the typed client cannot send), tokens, and
//! assertions on error answers. Every raw answer is checked to be no 5xx and, when it is an error, a JSON body.
#![allow(dead_code)] // Each test file uses a different part of these helpers.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

pub mod cases;
pub mod vault;

use std::net::IpAddr;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use tresor_api::{ClientKind, ErrorCode, LoginRequest, WirePassword};
use tresor_client::ClientError;
use tresor_testkit::{ADMIN_PASSWORD, TestServer};

/// A bare HTTPS client trusting the server's generated CA (WebPKI verification of 127.0.0.1, no pinning).
#[derive(Debug, Clone)]
pub struct Raw {
    http: reqwest::Client,
    base: String,
}

/// A raw answer: status, the body as text, and the body as JSON when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub json: Option<Value>,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The `error.code` of an error body.
    pub fn code(&self) -> Option<&str> {
        self.json.as_ref()?.pointer("/error/code")?.as_str()
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.json.as_ref().and_then(|j| j.pointer("/error/message")).and_then(Value::as_str).unwrap_or_default()
    }
    /// Asserts status and error code together, showing the whole answer when either differs.
    #[track_caller]
    pub fn expect(&self, status: u16, code: ErrorCode) -> &Self {
        assert_eq!((self.status, self.code()), (status, Some(code.as_str())), "answer: {}", self.text);
        self
    }
    #[track_caller]
    pub fn expect_ok(&self) -> &Value {
        assert!((200..300).contains(&self.status), "expected success, got {} {}", self.status, self.text);
        self.json.as_ref().unwrap_or(&Value::Null)
    }
}

/// What to send as the body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    None,
    /// JSON text with `Content-Type: application/json`.
    Json(&'a str),
    /// Bytes with the given content type, or none.
    Raw(&'a [u8], Option<&'a str>),
}

/// A TLS client configuration that trusts the CA certificates in `ca_pem` (the server's generated CA) and nothing
/// else.
pub fn trusting(ca_pem: &[u8]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// An HTTPS client trusting the CA in `ca_pem`, connecting from the `local` address when one is given.
pub fn https_client(ca_pem: &[u8], local: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder().tls_backend_preconfigured(trusting(ca_pem)).local_address(local).build().unwrap()
}

impl Raw {
    pub fn new(server: &TestServer) -> Self {
        let pem = std::fs::read(server.ca_cert()).unwrap();
        Raw { http: https_client(&pem, None), base: server.url.clone() }
    }

    /// Sends a request; `path` starts with `/`. Asserts the answer is not a 5xx and that errors are JSON.
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Body<'_>) -> Answer {
        self.send_with(method, path, token, &[], body).await
    }

    /// A GET with one header set verbatim (e.g. an `Authorization` that is not a bearer token).
    pub async fn http_get_with_header(&self, path: &str, name: &str, value: &str) -> Answer {
        let response = self.http.get(format!("{}{path}", self.base)).header(name, value).send().await.unwrap();
        finish(&reqwest::Method::GET, path, response).await
    }

    /// Sends a request with extra headers (e.g. a database password).
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req = match body {
            Body::None => req,
            Body::Json(text) => req.header("content-type", "application/json").body(text.to_owned()),
            Body::Raw(bytes, Some(ct)) => req.header("content-type", ct).body(bytes.to_vec()),
            Body::Raw(bytes, None) => req.body(bytes.to_vec()),
        };
        finish(&method, path, req.send().await.unwrap()).await
    }

    /// A GET whose successful body is bytes (a download).
    pub async fn get_bytes(&self, path: &str, token: Option<&str>) -> Vec<u8> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let response = req.send().await.unwrap();
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.bytes().await.unwrap().to_vec()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, Body::None).await
    }
}

async fn finish(method: &reqwest::Method, path: &str, response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).ok();
    assert!(status < 500, "{method} {path} answered {status}: {text}");
    if status >= 400 {
        assert!(content_type.starts_with("application/json"), "{method} {path}: {status} is not JSON: {text}");
        assert!(json.is_some(), "{method} {path}: {status} body is not JSON: {text}");
    }
    Answer { status, text, json, content_type, headers }
}

/// Logs in and returns the bare token, for raw requests.
pub async fn token(server: &TestServer, account: &str, password: &str) -> String {
    login(server, account, password, ClientKind::Api).await.token
}

pub async fn login(
    server: &TestServer,
    account: &str,
    password: &str,
    client: ClientKind,
) -> tresor_api::LoginResponse {
    let request = LoginRequest {
        account: account.to_owned(),
        password: WirePassword::new(password),
        client: Some(client),
        device_token: None,
    };
    server.client().login(&request).await.unwrap_or_else(|e| panic!("login {account}: {e}"))
}

/// The super administrator's bare token (after the forced first password change).
pub async fn admin_token(server: &TestServer) -> String {
    server.admin().await;
    token(server, "admin", ADMIN_PASSWORD).await
}

/// Asserts a typed client call failed with this status and code.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(result: Result<T, ClientError>, status: u16, code: ErrorCode) -> String {
    match result {
        Err(ClientError::Api { status: s, code: c, message }) => {
            assert_eq!((s, c), (status, code), "message: {message}");
            message
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// Sends `body` chunked (no `Content-Length`) to `path` over HTTP/1.1 and returns the status and body of the answer.
pub async fn post_chunked(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let config = trusting(&std::fs::read(server.ca_cert()).unwrap());
    let addr = server.url.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n{auth}\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(8 * 1024) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        // The server may answer and close as soon as the limit is passed; the rest then has nowhere to go.
        if tls.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = tls.write_all(b"0\r\n\r\n").await;
    let _ = tls.flush().await;
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no answer: {answer}"));
    (status, answer)
}

/// Tests `$case(&server)` on SQLite and, when `TRESOR_TEST_POSTGRES_URL` is set, on PostgreSQL, each on a server of
/// its own with `$seats` seats: one line instead of the same pair of tests in every file.
#[allow(unused_macros)] // Each test binary uses a different part of these helpers.
macro_rules! on_each_engine {
    ($case:ident, seats = $seats:expr) => {
        mod $case {
            use tresor_testkit::{Engine, Options, TestServer, postgres_url};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let server = TestServer::start_with(Options { seats: $seats, ..Options::default() }).await;
                super::$case(&server).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let Some(url) = postgres_url() else { return };
                let server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: $seats }).await;
                super::$case(&server).await;
            }
        }
    };
}
#[allow(unused_imports)] // As above.
pub(crate) use on_each_engine;
