//! What the sign-in tests share: an HTTPS helper that records every answer (and can connect from other loopback
//! addresses), a test server with the super administrator logged in, and the settings the tests change.
#![allow(dead_code, unused_imports)] // Each test binary uses its own part.

pub use std::net::{IpAddr, Ipv4Addr};
pub use std::sync::{Arc, Mutex};
pub use std::time::{Duration, Instant};

pub use crate::common::https_client;
pub use serde_json::{Value, json};
pub use tresor_api::{AccountOptionsPatch, CreateUserRequest, ErrorCode, Role, WirePassword};
pub use tresor_client::Client;
pub use tresor_testkit::authenticator::{self, oathtool_at, pyotp_at, unix_now};
pub use tresor_testkit::smtp::{ReceivedMail, SmtpSink};
pub use tresor_testkit::{ADMIN_PASSWORD, Engine, Options, TestServer, USER_PASSWORD, postgres_url};

pub const LOGIN: &str = "/api/v1/auth/login";
pub const SECOND_FACTOR: &str = "/api/v1/auth/login/second-factor";
pub const SETTINGS: &str = "/api/v1/admin/signin-settings";
pub const MAIL: &str = "/api/v1/admin/mail-settings";
pub const MAIL_WAIT: Duration = Duration::from_secs(15);

// --- peers ---------------------------------------------------------------------------------------------------------

/// Six digits that are no code of `secret` anywhere near now (the server accepts one step either side).
pub fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let near: Vec<String> = (-4..=4).map(|step| pyotp_at(secret, now + 30 * step)).collect();
    (0..).map(|i: u32| format!("{:06}", (i * 137_911 + 424_242) % 1_000_000)).find(|c| !near.contains(c)).unwrap()
}

/// The six-digit code in a delivered sign-in mail.
pub fn code_in(mail: &ReceivedMail) -> String {
    let words = mail.body.split(|c: char| !c.is_ascii_digit());
    let codes: Vec<&str> = words.filter(|w| w.len() == 6).collect();
    assert_eq!(codes.len(), 1, "one six-digit code in the mail: {}", mail.body);
    codes[0].to_owned()
}

// --- HTTP ----------------------------------------------------------------------------------------------------------

/// One answer, as the server sent it.
#[derive(Debug)]
pub struct Reply {
    /// Its place in the recorded answers of the test.
    pub index: usize,
    pub status: u16,
    pub text: String,
    pub json: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json.pointer("/error/code").and_then(Value::as_str).unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.json.pointer("/error/message").and_then(Value::as_str).unwrap_or_default()
    }
    pub fn str(&self, pointer: &str) -> &str {
        self.json.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer} in {}", self.text))
    }
    /// Asserts status and error code together, showing the whole answer when either differs.
    #[track_caller]
    pub fn expect(&self, status: u16, code: ErrorCode) -> &Self {
        assert_eq!((self.status, self.code()), (status, code.as_str()), "answer: {}", self.text);
        assert!(!self.message().is_empty(), "an error says why: {}", self.text);
        self
    }
    #[track_caller]
    pub fn expect_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "answer: {}", self.text);
        &self.json
    }
}

/// A raw HTTPS client that may connect from a chosen loopback address and records every answer it gets.
#[derive(Debug, Clone)]
pub struct Http {
    pub http: reqwest::Client,
    pub base: String,
    pub ca: Vec<u8>,
    pub answers: Arc<Mutex<Vec<String>>>,
}

impl Http {
    pub fn new(server: &TestServer) -> Self {
        let ca = std::fs::read(server.ca_cert()).unwrap();
        let answers = Arc::new(Mutex::new(Vec::new()));
        Http { http: https_client(&ca, None), base: server.url.clone(), ca, answers }
    }

    /// The same recording, from another loopback address (Linux routes all of 127/8 to `lo`).
    pub fn from(&self, address: [u8; 4]) -> Self {
        let ip = IpAddr::V4(Ipv4Addr::from(address));
        Http { http: https_client(&self.ca, Some(ip)), ..self.clone() }
    }

    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert!(status != 500, "{method} {path} answered 500: {text}");
        let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        if status >= 400 {
            assert!(json.pointer("/error/code").is_some(), "{method} {path}: {status} without an error body: {text}");
        }
        let mut answers = self.answers.lock().unwrap();
        let header_text: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v:?}")).collect();
        answers.push(format!("{method} {path} -> {status}\n{}\n{text}", header_text.join("\n")));
        Reply { index: answers.len() - 1, status, text, json, headers }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    pub async fn login_as(&self, account: &str, password: &str, client: &str, device: Option<&str>) -> Reply {
        let mut body = json!({"account": account, "password": password, "client": client});
        if let Some(d) = device {
            body["device_token"] = json!(d);
        }
        self.send("POST", LOGIN, None, Some(&body)).await
    }

    pub async fn login(&self, account: &str, password: &str) -> Reply {
        self.login_as(account, password, "api", None).await
    }

    /// Logs in (no second factor expected) and returns the token.
    pub async fn token(&self, account: &str, password: &str) -> String {
        self.login(account, password).await.expect_status(200)["token"].as_str().unwrap().to_owned()
    }

    /// Logs in and returns the challenge of the 202.
    pub async fn challenge(&self, account: &str, password: &str, method: &str) -> String {
        let reply = self.login(account, password).await;
        assert_eq!(reply.expect_status(202)["method"], method, "{}", reply.text);
        reply.str("/challenge").to_owned()
    }

    pub async fn second_factor(&self, challenge: &str, code: &str, remember: bool) -> Reply {
        let body = json!({"challenge": challenge, "code": code, "remember_device": remember});
        self.send("POST", SECOND_FACTOR, None, Some(&body)).await
    }

    /// The indexes of the recorded answers that contain `secret`.
    pub fn shown_in(&self, secret: &str) -> Vec<usize> {
        assert!(secret.len() >= 6, "too short to look for: {secret:?}");
        let answers = self.answers.lock().unwrap();
        answers.iter().enumerate().filter(|(_, a)| a.contains(secret)).map(|(i, _)| i).collect()
    }

    /// Asserts that `secret` was shown in exactly the answers `only` (none: never).
    #[track_caller]
    pub fn assert_shown_only_in(&self, what: &str, secret: &str, only: &[usize]) {
        let shown = self.shown_in(secret);
        if shown != only {
            let answers = self.answers.lock().unwrap();
            let extra: Vec<&String> = shown.iter().filter(|i| !only.contains(i)).map(|i| &answers[*i]).collect();
            panic!("{what} was shown in answers {shown:?}, expected only {only:?}; extra: {extra:#?}");
        }
    }
}

// --- the server ----------------------------------------------------------------------------------------------------

pub struct Env {
    /// Kept so that the server runs as long as the test.
    pub _server: TestServer,
    pub http: Http,
    /// The typed client as the super administrator.
    pub admin: Client,
    /// The super administrator's bare token, for raw requests.
    pub token: String,
}

pub async fn env() -> Env {
    env_on(Engine::Sqlite).await
}

pub async fn env_on(engine: Engine) -> Env {
    let server = TestServer::start_with(Options { engine, seats: 20 }).await;
    let admin = server.admin().await;
    let http = Http::new(&server);
    let token = http.token("admin", ADMIN_PASSWORD).await;
    Env { _server: server, http, admin, token }
}

/// Generous limits, so that a test about something else is neither rate limited nor locked out.
pub fn no_protection() -> Value {
    json!({"failed_login_limit": 0, "attempts_per_minute": 6000, "attempt_burst": 1000})
}

pub fn two_factor(mode: &str, remember_device_days: u32) -> Value {
    json!({"mode": mode, "remember_device_days": remember_device_days, "email_code_minutes": 10})
}

pub fn connections(clients: &[&str], new_connection: &str, idle_minutes: u32) -> Value {
    json!({"credentials": true, "clients": clients, "new_connection": new_connection, "idle_minutes": idle_minutes})
}

impl Env {
    pub async fn settings(&self, patch: Value) -> Value {
        let reply = self.http.send("PATCH", SETTINGS, Some(&self.token), Some(&patch)).await;
        reply.expect_status(200).clone()
    }

    /// A ready user (no forced password change) with [`USER_PASSWORD`].
    pub async fn user(&self, account: &str, email: &str, roles: &[Role]) {
        let request = CreateUserRequest {
            account: account.to_owned(),
            password: WirePassword::new(USER_PASSWORD),
            email: email.to_owned(),
            roles: roles.to_vec(),
            options: AccountOptionsPatch { must_change_password: Some(false), ..Default::default() },
            ..Default::default()
        };
        self.admin.create_user(&request).await.unwrap_or_else(|e| panic!("create {account}: {e}"));
    }

    pub async fn user_options(&self, account: &str, options: Value) -> Value {
        let path = format!("/api/v1/admin/users/{account}");
        let body = json!({ "options": options });
        self.http.send("PATCH", &path, Some(&self.token), Some(&body)).await.expect_status(200)["options"].clone()
    }

    pub async fn two_factor_status(&self, account: &str) -> Value {
        self.http
            .get(&format!("/api/v1/admin/users/{account}/two-factor"), &self.token)
            .await
            .expect_status(200)
            .clone()
    }

    /// Whether a session token still works.
    pub async fn works(&self, token: &str) -> bool {
        let reply = self.http.get("/api/v1/me", token).await;
        match reply.status {
            200 => true,
            401 => false,
            _ => panic!("GET /me: {}", reply.text),
        }
    }

    /// Logs `account` in for the first time with authenticator codes on: enrols the offered secret with a code from
    /// `oathtool`, typed as people do (with a space). Returns the secret and the recovery codes.
    pub async fn enrol(&self, account: &str) -> Enrolled {
        let offer = self.http.login(account, USER_PASSWORD).await;
        let body = offer.expect_status(202);
        assert_eq!(body["method"], "totp_enrolment", "{}", offer.text);
        let secret = offer.str("/enrolment/secret").to_owned();
        let code = oathtool_at(&secret, unix_now());
        let done =
            self.http.second_factor(offer.str("/challenge"), &format!("{} {}", &code[..3], &code[3..]), false).await;
        let body = done.expect_status(200);
        assert!(self.works(body["token"].as_str().unwrap()).await);
        let recovery: Vec<String> =
            body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        Enrolled { secret, recovery, offer: offer.index, done: done.index }
    }
}

pub struct Enrolled {
    /// The authenticator secret, base32.
    pub secret: String,
    pub recovery: Vec<String>,
    /// The answers that showed the secret and the recovery codes.
    pub offer: usize,
    pub done: usize,
}
