//! Sign-in security through the real server over HTTPS: second factors from real authenticators (`oathtool`,
//! `pyotp`) and from e-mail delivered by a real SMTP server (aiosmtpd), recovery codes, trusted devices, lockout
//! after failed logins, the per-address attempt limit, connection policies, the password policy and pausing the
//! server. Every answer is recorded, so each test can check at its end that no secret (a password, an
//! authenticator secret, a code, a device token) was ever shown anywhere but where it is issued.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::https_client;
use serde_json::{Value, json};
use tresor_api::{AccountOptionsPatch, CreateUserRequest, ErrorCode, Role, WirePassword};
use tresor_client::Client;
use tresor_testkit::authenticator::{self, oathtool_at, pyotp_at, unix_now};
use tresor_testkit::smtp::{ReceivedMail, SmtpSink};
use tresor_testkit::{ADMIN_PASSWORD, Engine, Options, TestServer, USER_PASSWORD, postgres_url};

const LOGIN: &str = "/api/v1/auth/login";
const SECOND_FACTOR: &str = "/api/v1/auth/login/second-factor";
const SETTINGS: &str = "/api/v1/admin/signin-settings";
const MAIL: &str = "/api/v1/admin/mail-settings";
const MAIL_WAIT: Duration = Duration::from_secs(15);

// --- peers ---------------------------------------------------------------------------------------------------------

/// Six digits that are no code of `secret` anywhere near now (the server accepts one step either side).
fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let near: Vec<String> = (-4..=4).map(|step| pyotp_at(secret, now + 30 * step)).collect();
    (0..).map(|i: u32| format!("{:06}", (i * 137_911 + 424_242) % 1_000_000)).find(|c| !near.contains(c)).unwrap()
}

/// The six-digit code in a delivered sign-in mail.
fn code_in(mail: &ReceivedMail) -> String {
    let words = mail.body.split(|c: char| !c.is_ascii_digit());
    let codes: Vec<&str> = words.filter(|w| w.len() == 6).collect();
    assert_eq!(codes.len(), 1, "one six-digit code in the mail: {}", mail.body);
    codes[0].to_owned()
}

// --- HTTP ----------------------------------------------------------------------------------------------------------

/// One answer, as the server sent it.
#[derive(Debug)]
struct Reply {
    /// Its place in the recorded answers of the test.
    index: usize,
    status: u16,
    text: String,
    json: Value,
    headers: reqwest::header::HeaderMap,
}

impl Reply {
    fn code(&self) -> &str {
        self.json.pointer("/error/code").and_then(Value::as_str).unwrap_or_default()
    }
    fn message(&self) -> &str {
        self.json.pointer("/error/message").and_then(Value::as_str).unwrap_or_default()
    }
    fn str(&self, pointer: &str) -> &str {
        self.json.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer} in {}", self.text))
    }
    /// Asserts status and error code together, showing the whole answer when either differs.
    #[track_caller]
    fn expect(&self, status: u16, code: ErrorCode) -> &Self {
        assert_eq!((self.status, self.code()), (status, code.as_str()), "answer: {}", self.text);
        assert!(!self.message().is_empty(), "an error says why: {}", self.text);
        self
    }
    #[track_caller]
    fn expect_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "answer: {}", self.text);
        &self.json
    }
}

/// A raw HTTPS client that may connect from a chosen loopback address and records every answer it gets.
#[derive(Debug, Clone)]
struct Http {
    http: reqwest::Client,
    base: String,
    ca: Vec<u8>,
    answers: Arc<Mutex<Vec<String>>>,
}

impl Http {
    fn new(server: &TestServer) -> Self {
        let ca = std::fs::read(server.ca_cert()).unwrap();
        let answers = Arc::new(Mutex::new(Vec::new()));
        Http { http: https_client(&ca, None), base: server.url.clone(), ca, answers }
    }

    /// The same recording, from another loopback address (Linux routes all of 127/8 to `lo`).
    fn from(&self, address: [u8; 4]) -> Self {
        let ip = IpAddr::V4(Ipv4Addr::from(address));
        Http { http: https_client(&self.ca, Some(ip)), ..self.clone() }
    }

    async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
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

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    async fn login_as(&self, account: &str, password: &str, client: &str, device: Option<&str>) -> Reply {
        let mut body = json!({"account": account, "password": password, "client": client});
        if let Some(d) = device {
            body["device_token"] = json!(d);
        }
        self.send("POST", LOGIN, None, Some(&body)).await
    }

    async fn login(&self, account: &str, password: &str) -> Reply {
        self.login_as(account, password, "api", None).await
    }

    /// Logs in (no second factor expected) and returns the token.
    async fn token(&self, account: &str, password: &str) -> String {
        self.login(account, password).await.expect_status(200)["token"].as_str().unwrap().to_owned()
    }

    /// Logs in and returns the challenge of the 202.
    async fn challenge(&self, account: &str, password: &str, method: &str) -> String {
        let reply = self.login(account, password).await;
        assert_eq!(reply.expect_status(202)["method"], method, "{}", reply.text);
        reply.str("/challenge").to_owned()
    }

    async fn second_factor(&self, challenge: &str, code: &str, remember: bool) -> Reply {
        let body = json!({"challenge": challenge, "code": code, "remember_device": remember});
        self.send("POST", SECOND_FACTOR, None, Some(&body)).await
    }

    /// The indexes of the recorded answers that contain `secret`.
    fn shown_in(&self, secret: &str) -> Vec<usize> {
        assert!(secret.len() >= 6, "too short to look for: {secret:?}");
        let answers = self.answers.lock().unwrap();
        answers.iter().enumerate().filter(|(_, a)| a.contains(secret)).map(|(i, _)| i).collect()
    }

    /// Asserts that `secret` was shown in exactly the answers `only` (none: never).
    #[track_caller]
    fn assert_shown_only_in(&self, what: &str, secret: &str, only: &[usize]) {
        let shown = self.shown_in(secret);
        if shown != only {
            let answers = self.answers.lock().unwrap();
            let extra: Vec<&String> = shown.iter().filter(|i| !only.contains(i)).map(|i| &answers[*i]).collect();
            panic!("{what} was shown in answers {shown:?}, expected only {only:?}; extra: {extra:#?}");
        }
    }
}

// --- the server ----------------------------------------------------------------------------------------------------

struct Env {
    /// Kept so that the server runs as long as the test.
    _server: TestServer,
    http: Http,
    /// The typed client as the super administrator.
    admin: Client,
    /// The super administrator's bare token, for raw requests.
    token: String,
}

async fn env() -> Env {
    env_on(Engine::Sqlite).await
}

async fn env_on(engine: Engine) -> Env {
    let server = TestServer::start_with(Options { engine, seats: 20 }).await;
    let admin = server.admin().await;
    let http = Http::new(&server);
    let token = http.token("admin", ADMIN_PASSWORD).await;
    Env { _server: server, http, admin, token }
}

/// Generous limits, so that a test about something else is neither rate limited nor locked out.
fn no_protection() -> Value {
    json!({"failed_login_limit": 0, "attempts_per_minute": 6000, "attempt_burst": 1000})
}

fn two_factor(mode: &str, remember_device_days: u32) -> Value {
    json!({"mode": mode, "remember_device_days": remember_device_days, "email_code_minutes": 10})
}

fn connections(clients: &[&str], new_connection: &str, idle_minutes: u32) -> Value {
    json!({"credentials": true, "clients": clients, "new_connection": new_connection, "idle_minutes": idle_minutes})
}

impl Env {
    async fn settings(&self, patch: Value) -> Value {
        let reply = self.http.send("PATCH", SETTINGS, Some(&self.token), Some(&patch)).await;
        reply.expect_status(200).clone()
    }

    /// A ready user (no forced password change) with [`USER_PASSWORD`].
    async fn user(&self, account: &str, email: &str, roles: &[Role]) {
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

    async fn user_options(&self, account: &str, options: Value) -> Value {
        let path = format!("/api/v1/admin/users/{account}");
        let body = json!({ "options": options });
        self.http.send("PATCH", &path, Some(&self.token), Some(&body)).await.expect_status(200)["options"].clone()
    }

    async fn two_factor_status(&self, account: &str) -> Value {
        self.http
            .get(&format!("/api/v1/admin/users/{account}/two-factor"), &self.token)
            .await
            .expect_status(200)
            .clone()
    }

    /// Whether a session token still works.
    async fn works(&self, token: &str) -> bool {
        let reply = self.http.get("/api/v1/me", token).await;
        match reply.status {
            200 => true,
            401 => false,
            _ => panic!("GET /me: {}", reply.text),
        }
    }

    /// Logs `account` in for the first time with authenticator codes on: enrols the offered secret with a code from
    /// `oathtool`, typed as people do (with a space). Returns the secret and the recovery codes.
    async fn enrol(&self, account: &str) -> Enrolled {
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

/// An Account Administrator manages users' second factor, but not that of a Server Administrator or the super
/// administrator (whose password alone would then enrol a new authenticator); two enrolments pending at once for one
/// account enrol one authenticator, not the later over the earlier.
#[tokio::test]
async fn second_factor_resets_follow_the_administration_rules_and_an_enrolment_is_not_replaced() {
    if !authenticator::available() {
        return;
    }
    let e = env().await;
    e.settings(json!({"protection": no_protection(), "two_factor": two_factor("totp", 0)})).await;
    e.user("acct", "", &[Role::AccountAdministrator]).await;
    e.user("boss", "", &[Role::ServerAdministrator]).await;
    e.user("wren", "", &[]).await;
    e.user_options("acct", json!({"two_factor_disabled": true})).await;
    let acct = e.http.token("acct", USER_PASSWORD).await;
    for target in ["boss", "admin"] {
        let reply = e.http.send("DELETE", &format!("/api/v1/admin/users/{target}/two-factor"), Some(&acct), None).await;
        assert_eq!(reply.status, 403, "{target}: {}", reply.text);
    }
    let reply = e.http.send("DELETE", "/api/v1/admin/users/wren/two-factor", Some(&acct), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    // Two logins of wren before she has enrolled: each offers a secret. The first completed enrols; the second is
    // refused and does not replace it.
    let first = e.http.login("wren", USER_PASSWORD).await;
    first.expect_status(202);
    let second = e.http.login("wren", USER_PASSWORD).await;
    second.expect_status(202);
    let (s1, s2) = (first.str("/enrolment/secret").to_owned(), second.str("/enrolment/secret").to_owned());
    assert_ne!(s1, s2);
    let now = unix_now();
    e.http.second_factor(first.str("/challenge"), &oathtool_at(&s1, now), false).await.expect_status(200);
    let late = e.http.second_factor(second.str("/challenge"), &oathtool_at(&s2, now), false).await;
    late.expect(401, ErrorCode::SecondFactorExpired);
    let next = e.http.challenge("wren", USER_PASSWORD, "totp").await;
    e.http.second_factor(&next, &oathtool_at(&s1, now + 30), false).await.expect_status(200);
}

struct Enrolled {
    /// The authenticator secret, base32.
    secret: String,
    recovery: Vec<String>,
    /// The answers that showed the secret and the recovery codes.
    offer: usize,
    done: usize,
}

// --- authenticator apps --------------------------------------------------------------------------------------------

#[tokio::test]
async fn authenticator_codes_enrol_log_in_once_and_bad_codes_are_told_apart() {
    if authenticator::available() {
        authenticator_codes(env().await).await;
    }
}

/// The same on PostgreSQL: the step last used, the challenges and the recovery codes live in the store.
#[tokio::test]
async fn authenticator_codes_on_postgres() {
    if let Some(url) = postgres_url()
        && authenticator::available()
    {
        authenticator_codes(env_on(Engine::Postgres(url)).await).await;
    }
}

async fn authenticator_codes(e: Env) {
    e.user("tom", "", &[]).await;
    let settings = e.settings(json!({"two_factor": two_factor("totp", 0), "protection": no_protection()})).await;
    assert_eq!(settings["two_factor"]["mode"], "totp");

    // First login: an authenticator to enrol.
    let offer = e.http.login("tom", USER_PASSWORD).await;
    let body = offer.expect_status(202).clone();
    assert_eq!(body["method"], "totp_enrolment");
    assert!(body.get("token").is_none(), "no session before the second factor: {}", offer.text);
    let secret = offer.str("/enrolment/secret").to_owned();
    assert!(secret.len() >= 32, "at least 160 bits: {secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "base32: {secret}");
    let uri = offer.str("/enrolment/uri");
    assert!(uri.starts_with("otpauth://totp/Tresor:tom?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Tresor"), "{uri}");
    let enrol_challenge = offer.str("/challenge").to_owned();
    // Bad input on the enrolment challenge leaves it usable.
    e.http.second_factor(&enrol_challenge, "12ab", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    let unknown = format!("tresor_ch_{}", "0".repeat(64));
    e.http
        .second_factor(&unknown, &oathtool_at(&secret, unix_now()), false)
        .await
        .expect(401, ErrorCode::SecondFactorExpired);
    assert!(!e.two_factor_status("tom").await["totp_enrolled"].as_bool().unwrap(), "not enrolled before a code");

    let first_code = oathtool_at(&secret, unix_now());
    let enrolled = e.http.second_factor(&enrol_challenge, &first_code, false).await;
    let body = enrolled.expect_status(200).clone();
    assert!(e.works(body["token"].as_str().unwrap()).await);
    let recovery = body["recovery_codes"].as_array().unwrap();
    assert_eq!(recovery.len(), 10, "{}", enrolled.text);
    let mut distinct: Vec<&str> = recovery.iter().map(|c| c.as_str().unwrap()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    let status = e.two_factor_status("tom").await;
    assert_eq!((status["totp_enrolled"].as_bool(), status["recovery_codes_left"].as_u64()), (Some(true), Some(10)));
    // An enrolment challenge opens one session.
    e.http.second_factor(&enrol_challenge, &first_code, false).await.expect(401, ErrorCode::SecondFactorExpired);

    // The next login asks for a code, nothing to enrol. The enrolment's code is spent; the next step's code from
    // pyotp (one step ahead is within the window) opens the session, once.
    let login = e.http.login("tom", USER_PASSWORD).await;
    assert_eq!(login.expect_status(202)["method"], "totp");
    assert!(login.json.get("enrolment").is_none(), "{}", login.text);
    let challenge = login.str("/challenge").to_owned();
    e.http.second_factor(&challenge, &first_code, false).await.expect(401, ErrorCode::SecondFactorReused);
    let fresh = pyotp_at(&secret, unix_now() + 30);
    let body = e.http.second_factor(&challenge, &fresh, false).await.expect_status(200).clone();
    assert!(e.works(body["token"].as_str().unwrap()).await);
    assert!(body.get("recovery_codes").is_none(), "recovery codes only at enrolment: {body}");
    e.http.second_factor(&challenge, &fresh, false).await.expect(401, ErrorCode::SecondFactorExpired);
    let again = e.http.challenge("tom", USER_PASSWORD, "totp").await;
    e.http.second_factor(&again, &fresh, false).await.expect(401, ErrorCode::SecondFactorReused);

    // Five codes per challenge (the used one above was one of them), then it is gone, even for a right code.
    // Malformed ones are not guesses. Real codes outside the window (one step either side) are wrong too.
    let wrong = wrong_code(&secret);
    let now = unix_now();
    let far = [pyotp_at(&secret, now + 90), pyotp_at(&secret, now - 60)];
    e.http.second_factor(&again, "12ab", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    e.http.second_factor(&again, "1234567", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    for code in [&far[0], &far[1], &wrong, &wrong] {
        e.http.second_factor(&again, code, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    }
    e.http.second_factor(&again, &wrong, false).await.expect(401, ErrorCode::SecondFactorExpired);
    let status = e.two_factor_status("tom").await;
    assert_eq!(status["failed_logins"], 4, "wrong codes count as failed logins: {status}");

    // A recovery code, typed in capitals without its dash, opens one login, once; a success resets the failures.
    let code = recovery[0].as_str().unwrap();
    let typed = code.replace('-', "").to_uppercase();
    let challenge = e.http.challenge("tom", USER_PASSWORD, "totp").await;
    // A challenge belongs to the address that gave the password: from another one it does not exist.
    let elsewhere = e.http.from([127, 0, 0, 2]).second_factor(&challenge, &typed, false).await;
    elsewhere.expect(401, ErrorCode::SecondFactorExpired);
    let body = e.http.second_factor(&challenge, &typed, false).await.expect_status(200).clone();
    assert!(e.works(body["token"].as_str().unwrap()).await);
    let status = e.two_factor_status("tom").await;
    assert_eq!((status["recovery_codes_left"].as_u64(), status["failed_logins"].as_u64()), (Some(9), Some(0)));
    let challenge = e.http.challenge("tom", USER_PASSWORD, "totp").await;
    e.http.second_factor(&challenge, code, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    let other = recovery[1].as_str().unwrap();
    e.http.second_factor(&challenge, other, false).await.expect_status(200);

    // A wrong password never reaches the second factor, and says nothing about it.
    e.http.login("tom", "not-toms-password-1").await.expect(401, ErrorCode::InvalidCredentials);

    // Secrets: the authenticator secret only in its enrolment offer, the recovery codes only where issued, the
    // password nowhere.
    e.http.assert_shown_only_in("the authenticator secret", &secret, &[offer.index]);
    for c in recovery {
        let c = c.as_str().unwrap();
        e.http.assert_shown_only_in("a recovery code", c, &[enrolled.index]);
        e.http.assert_shown_only_in("a recovery code as typed", &c.replace('-', ""), &[]);
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

#[tokio::test]
async fn trusted_devices_per_user_exemption_and_reset() {
    if !authenticator::available() {
        return;
    }
    let e = env().await;
    e.user("dora", "", &[]).await;
    e.user("eve", "", &[]).await;
    e.settings(json!({"two_factor": two_factor("totp", 30), "protection": no_protection()})).await;
    let first = e.enrol("dora").await;

    // Remembering is offered; a recovery code (or any code) with remember_device gives a device token.
    let login = e.http.login("dora", USER_PASSWORD).await;
    assert_eq!(login.expect_status(202)["remember_device_days"], 30);
    let remembered = e.http.second_factor(login.str("/challenge"), &first.recovery[0], true).await;
    remembered.expect_status(200);
    let device = remembered.str("/device_token/token").to_owned();
    assert!(device.starts_with("tresor_dt_"), "{device}");
    let expires = time::OffsetDateTime::parse(
        remembered.str("/device_token/expires_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_hours() as f64 / 24.0;
    assert!((29.9..=30.1).contains(&days), "trusted for 30 days: {days}");

    // The device skips the second factor, but never the password, and only for its own user.
    let skipped = e.http.login_as("dora", USER_PASSWORD, "api", Some(&device)).await;
    assert!(e.works(skipped.expect_status(200)["token"].as_str().unwrap()).await);
    let wrong_password = e.http.login_as("dora", "not-doras-password-1", "api", Some(&device)).await;
    wrong_password.expect(401, ErrorCode::InvalidCredentials);
    let made_up = format!("tresor_dt_{}", "ab".repeat(32));
    assert_eq!(
        e.http.login_as("dora", USER_PASSWORD, "api", Some(&made_up)).await.expect_status(202)["method"],
        "totp"
    );
    let eve = e.http.login_as("eve", USER_PASSWORD, "api", Some(&device)).await;
    assert_eq!(eve.expect_status(202)["method"], "totp_enrolment", "dora's device is not eve's: {}", eve.text);

    // With remembering switched off, asking for it gives no token.
    e.settings(json!({"two_factor": two_factor("totp", 0)})).await;
    let login = e.http.login("dora", USER_PASSWORD).await;
    assert_eq!(login.expect_status(202)["remember_device_days"], 0);
    let not_remembered = e.http.second_factor(login.str("/challenge"), &first.recovery[1], true).await;
    assert!(not_remembered.expect_status(200).get("device_token").is_none(), "{}", not_remembered.text);
    e.settings(json!({"two_factor": two_factor("totp", 30)})).await;

    // "2FA deactivated" for one user: a password alone logs in; switched back, the code is asked again.
    let options = e.user_options("eve", json!({"two_factor_disabled": true})).await;
    assert_eq!(options["two_factor_disabled"], true);
    assert!(e.works(&e.http.token("eve", USER_PASSWORD).await).await);
    e.user_options("eve", json!({"two_factor_disabled": false})).await;
    e.http.challenge("eve", USER_PASSWORD, "totp_enrolment").await;

    // An administrator resets dora's second factor: the authenticator, its recovery codes, the trusted device and
    // pending challenges are forgotten; the next login enrols a new secret.
    let pending = e.http.challenge("dora", USER_PASSWORD, "totp").await;
    let before = e.two_factor_status("dora").await;
    assert_eq!((before["totp_enrolled"].as_bool(), before["recovery_codes_left"].as_u64()), (Some(true), Some(8)));
    let reset = e.http.send("DELETE", "/api/v1/admin/users/dora/two-factor", Some(&e.token), None).await;
    reset.expect_status(204);
    let after = e.two_factor_status("dora").await;
    assert_eq!((after["totp_enrolled"].as_bool(), after["recovery_codes_left"].as_u64()), (Some(false), Some(0)));
    e.http.second_factor(&pending, &first.recovery[2], false).await.expect(401, ErrorCode::SecondFactorExpired);
    let offer = e.http.login_as("dora", USER_PASSWORD, "api", Some(&device)).await;
    assert_eq!(offer.expect_status(202)["method"], "totp_enrolment", "the device no longer skips: {}", offer.text);
    assert_ne!(offer.str("/enrolment/secret"), first.secret, "a new secret");
    let second = e.enrol("dora").await;
    assert_ne!(second.secret, first.secret);
    let challenge = e.http.challenge("dora", USER_PASSWORD, "totp").await;
    e.http.second_factor(&challenge, &first.recovery[3], false).await.expect(401, ErrorCode::SecondFactorInvalid);
    e.http.second_factor(&challenge, &second.recovery[0], false).await.expect_status(200);
    let missing = e.http.send("DELETE", "/api/v1/admin/users/nobody/two-factor", Some(&e.token), None).await;
    missing.expect(404, ErrorCode::NotFound);

    // Secrets: each only where it was issued.
    e.http.assert_shown_only_in("the device token", &device, &[remembered.index]);
    e.http.assert_shown_only_in("the first secret", &first.secret, &[first.offer]);
    for c in first.recovery.iter().chain(&second.recovery) {
        let issued = if first.recovery.contains(c) { first.done } else { second.done };
        e.http.assert_shown_only_in("a recovery code", c, &[issued]);
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

/// Regression: the second step used up the code before it checked that the login may still go on, so a login
/// refused there (the account deactivated, or the server paused, between password and code) cost the user a
/// recovery code or an authenticator step.
#[tokio::test]
async fn a_login_refused_at_its_second_step_uses_up_no_code() {
    if !authenticator::available() {
        return;
    }
    let e = env().await;
    e.user("rex", "", &[]).await;
    e.settings(json!({"two_factor": two_factor("totp", 0), "protection": no_protection()})).await;
    let enrolled = e.enrol("rex").await;
    // One step ahead of the enrolment's code, which is spent.
    let next = pyotp_at(&enrolled.secret, unix_now() + 30);

    // Deactivated after the password step: the second step says so, for a recovery code and an authenticator code.
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    e.user_options("rex", json!({"deactivated": true})).await;
    e.http.second_factor(&challenge, &enrolled.recovery[0], false).await.expect(403, ErrorCode::AccountDisabled);
    e.http.second_factor(&challenge, &next, false).await.expect(403, ErrorCode::AccountDisabled);
    let status = e.two_factor_status("rex").await;
    assert_eq!((status["recovery_codes_left"].as_u64(), status["failed_logins"].as_u64()), (Some(10), Some(0)));
    e.user_options("rex", json!({"deactivated": false})).await;

    // Paused after the password step: the same.
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    e.http.send("POST", "/api/v1/admin/pause", Some(&e.token), None).await.expect_status(200);
    e.http.second_factor(&challenge, &enrolled.recovery[0], false).await.expect(503, ErrorCode::ServerPaused);
    e.http.second_factor(&challenge, &next, false).await.expect(503, ErrorCode::ServerPaused);
    e.http.send("POST", "/api/v1/admin/continue", Some(&e.token), None).await.expect_status(200);
    assert_eq!(e.two_factor_status("rex").await["recovery_codes_left"], 10);

    // Neither code was used up: each still opens a login.
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    assert!(e.works(e.http.second_factor(&challenge, &next, false).await.str("/token")).await);
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    let recovered = e.http.second_factor(&challenge, &enrolled.recovery[0], false).await;
    assert!(e.works(recovered.str("/token")).await);
    assert_eq!(e.two_factor_status("rex").await["recovery_codes_left"], 9);
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- e-mailed codes ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn emailed_codes_through_a_real_smtp_server() {
    let Some(sink) = SmtpSink::start() else { return };
    let e = env().await;
    e.user("emma", "emma.jones@example.org", &[]).await;
    e.user("nomail", "", &[]).await;
    e.settings(json!({"protection": no_protection()})).await;

    let mail = json!({"sender_name": "Tresor", "sender_address": "tresor@example.org", "host": "127.0.0.1",
                      "port": sink.port(), "tls": "none"});
    let shown = e.http.send("PUT", MAIL, Some(&e.token), Some(&mail)).await;
    assert_eq!(shown.expect_status(200)["password_set"], false);
    let test = json!({"to": "ops@example.org"});
    e.http.send("POST", &format!("{MAIL}/test"), Some(&e.token), Some(&test)).await.expect_status(204);
    let delivered = sink.wait_for_messages(1, MAIL_WAIT).await;
    assert_eq!(delivered[0].to, ["ops@example.org"]);
    assert_eq!(delivered[0].subject, "Tresor test message");
    assert!(delivered[0].from.contains("tresor@example.org"), "{}", delivered[0].from);

    e.settings(json!({"two_factor": two_factor("email", 0)})).await;
    let first = e.http.login("emma", USER_PASSWORD).await;
    let body = first.expect_status(202).clone();
    assert_eq!(body["method"], "email");
    let sent_to = first.str("/sent_to");
    assert!(sent_to.ends_with("@example.org") && !sent_to.contains("emma.jones"), "partly hidden: {sent_to}");
    let delivered = sink.wait_for_messages(2, MAIL_WAIT).await;
    assert_eq!(delivered[1].to, ["emma.jones@example.org"]);
    assert_eq!(delivered[1].subject, "Your Tresor sign-in code");
    let code_a = code_in(&delivered[1]);
    let challenge_a = first.str("/challenge").to_owned();

    // A second login has its own code; each code opens its own challenge only, once.
    let challenge_b = e.http.challenge("emma", USER_PASSWORD, "email").await;
    let code_b = code_in(&sink.wait_for_messages(3, MAIL_WAIT).await[2]);
    if code_a != code_b {
        e.http.second_factor(&challenge_b, &code_a, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    }
    let session = e.http.second_factor(&challenge_b, &code_b, false).await;
    assert!(e.works(session.expect_status(200)["token"].as_str().unwrap()).await);
    e.http.second_factor(&challenge_b, &code_b, false).await.expect(401, ErrorCode::SecondFactorExpired);
    e.http.second_factor(&challenge_a, "abcde-fghjk", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    e.http.second_factor(&challenge_a, "12ab", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    e.http.second_factor(&challenge_a, &code_a, false).await.expect_status(200);
    e.http.second_factor(&challenge_a, &code_a, false).await.expect(401, ErrorCode::SecondFactorExpired);

    // Five wrong codes and the challenge is gone, right code or not.
    let challenge = e.http.challenge("emma", USER_PASSWORD, "email").await;
    let code = code_in(&sink.wait_for_messages(4, MAIL_WAIT).await[3]);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        e.http.second_factor(&challenge, wrong, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    }
    e.http.second_factor(&challenge, &code, false).await.expect(401, ErrorCode::SecondFactorExpired);

    // Without an address there is nothing to send to; a wrong password still learns nothing.
    let unavailable = e.http.login("nomail", USER_PASSWORD).await;
    assert!(unavailable.expect(403, ErrorCode::SecondFactorUnavailable).message().contains("e-mail"));
    e.http.login("nomail", "not-the-password-1").await.expect(401, ErrorCode::InvalidCredentials);

    // The mail server down: the login says the code could not be sent; the test message says why, without the
    // mail server's password.
    let smtp_password = "smtp-secret-password-42";
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = json!({"sender_address": "tresor@example.org", "host": "127.0.0.1", "port": down_port, "tls": "none",
                      "username": "tresor", "password": smtp_password});
    assert_eq!(e.http.send("PUT", MAIL, Some(&e.token), Some(&down)).await.expect_status(200)["password_set"], true);
    let before = sink.messages().len();
    e.http.login("emma", USER_PASSWORD).await.expect(503, ErrorCode::SecondFactorNotSent);
    let failed = e.http.send("POST", &format!("{MAIL}/test"), Some(&e.token), Some(&test)).await;
    failed.expect(502, ErrorCode::MailFailed);
    e.http.get(MAIL, &e.token).await.expect_status(200);
    assert_eq!(sink.messages().len(), before, "nothing was delivered");

    // Secrets: the codes only ever in the mail; no password in any answer.
    for code in [&code_a, &code_b, &code] {
        e.http.assert_shown_only_in("an e-mailed code", &format!("\"{code}\""), &[]);
        e.http.assert_shown_only_in("an e-mailed code", &format!(" {code}"), &[]);
    }
    e.http.assert_shown_only_in("the SMTP password", smtp_password, &[]);
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- lockout -------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn failed_logins_deactivate_the_account_until_an_administrator_reactivates_it() {
    lockout(env().await).await;
}

/// The same on PostgreSQL, where the failure counter and the deactivation are one transaction.
#[tokio::test]
async fn failed_logins_deactivate_the_account_on_postgres() {
    if let Some(url) = postgres_url() {
        lockout(env_on(Engine::Postgres(url)).await).await;
    }
}

async fn lockout(e: Env) {
    e.user("lou", "", &[]).await;
    let protection = json!({"failed_login_limit": 3, "attempts_per_minute": 6000, "attempt_burst": 1000});
    e.settings(json!({ "protection": protection })).await;
    let wrong = "not-lous-password-1";

    // The counter resets on a successful login: 2 wrong, right, 2 wrong leaves the account active.
    for _ in 0..2 {
        e.http.login("lou", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    assert_eq!(e.two_factor_status("lou").await["failed_logins"], 2);
    let session = e.http.token("lou", USER_PASSWORD).await;
    assert_eq!(e.two_factor_status("lou").await["failed_logins"], 0);
    for _ in 0..2 {
        e.http.login("lou", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    assert!(e.works(&session).await, "two failures since the last success do not deactivate");
    let unknown = e.http.login("nobody-here", wrong).await;
    unknown.expect(401, ErrorCode::InvalidCredentials);

    // The third in a row deactivates it; the answer is the same as for an unknown account.
    let third = e.http.login("lou", wrong).await;
    assert_eq!((third.status, &third.text), (unknown.status, &unknown.text), "the third failure tells nothing");
    let user = e.http.get("/api/v1/admin/users/lou", &e.token).await;
    assert_eq!(user.expect_status(200)["options"]["deactivated"], true);
    assert!(!e.works(&session).await, "a deactivated account's session ends");
    // Only the right password learns that the account is deactivated.
    e.http.login("lou", USER_PASSWORD).await.expect(403, ErrorCode::AccountDisabled);
    let after = e.http.login("lou", wrong).await;
    assert_eq!((after.status, &after.text), (unknown.status, &unknown.text));
    assert_eq!(after.headers.get("www-authenticate"), unknown.headers.get("www-authenticate"));

    // An administrator reactivates it: it logs in again, with its counter started afresh.
    let options = e.user_options("lou", json!({"deactivated": false})).await;
    assert_eq!(options["deactivated"], false);
    assert_eq!(e.two_factor_status("lou").await["failed_logins"], 0);
    for _ in 0..2 {
        e.http.login("lou", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    assert!(e.works(&e.http.token("lou", USER_PASSWORD).await).await);

    // The super administrator is never locked out, or nobody could reactivate anyone.
    for _ in 0..4 {
        e.http.login("admin", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    e.http.token("admin", ADMIN_PASSWORD).await;

    // Wrong second-factor codes count with wrong passwords.
    if authenticator::available() {
        e.user("lena", "", &[]).await;
        e.settings(json!({"two_factor": two_factor("totp", 0)})).await;
        let enrolled = e.enrol("lena").await;
        let wrong_code = wrong_code(&enrolled.secret);
        let challenge = e.http.challenge("lena", USER_PASSWORD, "totp").await;
        for _ in 0..2 {
            e.http.second_factor(&challenge, &wrong_code, false).await.expect(401, ErrorCode::SecondFactorInvalid);
        }
        assert_eq!(e.two_factor_status("lena").await["failed_logins"], 2);
        e.http.login("lena", wrong).await.expect(401, ErrorCode::InvalidCredentials);
        e.http.login("lena", USER_PASSWORD).await.expect(403, ErrorCode::AccountDisabled);
        // The challenge still open dies with the account.
        let late = e.http.second_factor(&challenge, &enrolled.recovery[0], false).await;
        late.expect(403, ErrorCode::AccountDisabled);
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
    e.http.assert_shown_only_in("a wrong password", wrong, &[]);
}

// --- the per-address limit -----------------------------------------------------------------------------------------

#[tokio::test]
async fn a_flood_of_guesses_from_one_address_is_limited_and_successes_give_their_attempt_back() {
    let e = env().await;
    e.user("rita", "", &[]).await;
    // One attempt a minute after a burst of five: nothing refills while the test runs.
    let slow = json!({"failed_login_limit": 0, "attempts_per_minute": 1, "attempt_burst": 5});
    e.settings(json!({ "protection": slow })).await;
    let wrong = "not-ritas-password-1";

    let guesser = e.http.from([127, 0, 0, 3]);
    for _ in 0..5 {
        guesser.login("rita", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    let limited = guesser.login("rita", wrong).await;
    limited.expect(429, ErrorCode::RateLimited);
    let retry: u64 = limited.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    // The limit comes before the password check: the right password is refused too, and so are codes.
    guesser.login("rita", USER_PASSWORD).await.expect(429, ErrorCode::RateLimited);
    let unknown = format!("tresor_ch_{}", "0".repeat(64));
    guesser.second_factor(&unknown, "123456", false).await.expect(429, ErrorCode::RateLimited);
    // Another address has its own attempts.
    e.http.from([127, 0, 0, 4]).token("rita", USER_PASSWORD).await;

    // Successful logins give their attempt back: with one attempt left, any number of them go through.
    let office = e.http.from([127, 0, 0, 5]);
    for _ in 0..4 {
        office.login("rita", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    for _ in 0..6 {
        office.token("rita", USER_PASSWORD).await;
    }
    office.login("rita", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    office.login("rita", USER_PASSWORD).await.expect(429, ErrorCode::RateLimited);

    // At a sustained 60 a minute, the limited address gets an attempt back within about a second.
    let quick = json!({"failed_login_limit": 0, "attempts_per_minute": 60, "attempt_burst": 5});
    e.settings(json!({ "protection": quick })).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = guesser.login("rita", USER_PASSWORD).await;
        if reply.status == 200 {
            break;
        }
        reply.expect(429, ErrorCode::RateLimited);
        assert_eq!(reply.headers.get("retry-after").unwrap(), "1");
        assert!(Instant::now() < deadline, "no attempt came back within 10 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A refusal comes after a pause of a second (a guessing tool waiting for answers slows down with it), and its
    // Retry-After counts from the answer, rounded up: right after the only attempt of a minute is spent, 60 s less
    // the pause is 59, not 58. (The limit is taken before the unknown challenge is looked up, so the first request
    // spends it cheaply.)
    let one = json!({"failed_login_limit": 0, "attempts_per_minute": 1, "attempt_burst": 1});
    e.settings(json!({ "protection": one })).await;
    let fresh = e.http.from([127, 0, 0, 6]);
    let started = Instant::now();
    fresh.second_factor(&unknown, "123456", false).await.expect(401, ErrorCode::SecondFactorExpired);
    let between = started.elapsed();
    let limited = fresh.second_factor(&unknown, "123456", false).await;
    let answered_after = started.elapsed() - between;
    limited.expect(429, ErrorCode::RateLimited);
    assert!(answered_after >= Duration::from_millis(950), "the refusal came after {answered_after:?}");
    let retry = limited.headers.get("retry-after").unwrap().to_str().unwrap().to_owned();
    if between < Duration::from_secs(1) {
        assert_eq!(retry, "59", "{}", limited.text);
        assert!(limited.message().contains("59 seconds"), "the message says the same: {}", limited.text);
    } else {
        // The first request took more than a second: the exact figure cannot be told from here.
        assert!(["58", "59"].contains(&retry.as_str()), "Retry-After: {retry} after {between:?}");
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- connection policies -------------------------------------------------------------------------------------------

#[tokio::test]
async fn connection_policies_apply_at_login() {
    let e = env().await;
    e.user("cara", "", &[]).await;
    e.user("sven", "", &[Role::ServerAdministrator]).await;
    e.settings(json!({"protection": no_protection()})).await;

    // Supported clients: only the web client may log in; the super administrator is exempt.
    let web_only = e.settings(json!({"connections": connections(&["web"], "allow_multiple", 30)})).await;
    assert_eq!(web_only["connections"]["clients"], json!(["web"]));
    for client in ["api", "cli"] {
        let refused = e.http.login_as("cara", USER_PASSWORD, client, None).await;
        assert!(refused.expect(403, ErrorCode::ClientNotAllowed).message().contains(client), "{}", refused.text);
        e.http.login_as("sven", USER_PASSWORD, client, None).await.expect(403, ErrorCode::ClientNotAllowed);
    }
    e.http.login_as("cara", "not-caras-password-1", "api", None).await.expect(401, ErrorCode::InvalidCredentials);
    e.http.login_as("cara", USER_PASSWORD, "web", None).await.expect_status(200);
    e.http.login_as("admin", ADMIN_PASSWORD, "cli", None).await.expect_status(200);
    let empty = json!({"connections": connections(&[], "deny", 30)});
    let refused = e.http.send("PATCH", SETTINGS, Some(&e.token), Some(&empty)).await;
    assert!(refused.expect(422, ErrorCode::ValidationFailed).message().contains("connections.clients"));
    let all = ["cli", "web", "api"];

    // Close existing: a second login ends the first session.
    e.settings(json!({"connections": connections(&all, "close_existing", 30)})).await;
    let first = e.http.token("cara", USER_PASSWORD).await;
    let second = e.http.token("cara", USER_PASSWORD).await;
    assert!(!e.works(&first).await, "the first session was closed");
    assert!(e.works(&second).await);

    // Deny: while cara is logged on from one address, another address is refused; the same address is not.
    e.settings(json!({"connections": connections(&all, "deny", 30)})).await;
    let elsewhere = e.http.from([127, 0, 0, 2]);
    elsewhere.login("cara", USER_PASSWORD).await.expect(409, ErrorCode::AlreadyLoggedOn);
    elsewhere.login("cara", "not-caras-password-1").await.expect(401, ErrorCode::InvalidCredentials);
    let again = e.http.token("cara", USER_PASSWORD).await;
    assert!(e.works(&second).await && e.works(&again).await, "the same address may log in again");
    for token in [&second, &again] {
        e.http.send("POST", "/api/v1/auth/logout", Some(token), None).await.expect_status(204);
    }
    let moved = elsewhere.token("cara", USER_PASSWORD).await;
    assert!(elsewhere.get("/api/v1/me", &moved).await.status == 200);
    e.http.login("cara", USER_PASSWORD).await.expect(409, ErrorCode::AlreadyLoggedOn);

    // Inactive sessions: the idle timeout in force is told to the client.
    e.settings(json!({"connections": connections(&all, "allow_multiple", 7)})).await;
    let login = e.http.login("cara", USER_PASSWORD).await;
    assert_eq!(login.expect_status(200)["session"]["idle_timeout_minutes"], 7);
    let me = e.http.get("/api/v1/me", login.str("/token")).await;
    assert_eq!(me.expect_status(200)["session"]["idle_timeout_minutes"], 7);
    // Never idle (0): sessions stay connected on the dashboard and in the session list, whatever their last request.
    e.settings(json!({"connections": connections(&all, "allow_multiple", 0)})).await;
    let sessions = e.http.get("/api/v1/admin/sessions", &e.token).await;
    let listed = sessions.expect_status(200)["sessions"].as_array().unwrap().len();
    assert!(listed >= 2, "{}", sessions.text);
    let info = e.http.get("/api/v1/admin/info", &e.token).await;
    assert!(info.expect_status(200)["connected_users"].as_u64().unwrap() >= 2, "{}", info.text);
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- the password policy -------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_password_policy_applies_to_server_passwords() {
    let e = env().await;
    e.user("pat", "pat@example.org", &[]).await;
    e.settings(json!({"protection": no_protection()})).await;
    let policy = |min_age_days: u32| {
        json!({"min_length": 12, "require_lowercase": false, "require_uppercase": false, "require_digits": true,
               "require_symbols": false, "min_strength": 2, "history": 3, "max_age_days": 0,
               "min_age_days": min_age_days})
    };
    e.settings(json!({"password_policy": policy(0)})).await;
    let bad_policy = json!({"password_policy": {"min_length": 7, "require_lowercase": false,
        "require_uppercase": false, "require_digits": false, "require_symbols": false, "min_strength": 0,
        "history": 0, "max_age_days": 0, "min_age_days": 0}});
    let refused = e.http.send("PATCH", SETTINGS, Some(&e.token), Some(&bad_policy)).await;
    assert!(refused.expect(422, ErrorCode::ValidationFailed).message().contains("min_length"));

    let pat = e.http.token("pat", USER_PASSWORD).await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let put = |body: Value| {
        let (http, pat) = (e.http.clone(), pat.clone());
        async move { http.send("PUT", "/api/v1/me/password", Some(&pat), Some(&body)).await }
    };
    let weak = [
        ("too short", "k7-plover-x"),
        ("no digit", "correct-horse-battery-staple"),
        ("too guessable", "password12345"),
        ("the account's own name", "pat@example.org1"),
    ];
    for (why, password) in weak {
        let reply = put(change(USER_PASSWORD, password)).await;
        reply.expect(422, ErrorCode::ValidationFailed);
        assert!(!reply.text.contains(password), "{why}: the message quotes the password: {}", reply.text);
    }
    let short = put(change(USER_PASSWORD, "k7-plover-x")).await;
    assert!(short.message().contains("12 characters"), "{}", short.text);
    assert!(put(change(USER_PASSWORD, "correct-horse-battery-staple")).await.message().contains("digit"));

    // History of 3: the current password and the two before it may not come back.
    let second = "violet-canyon-4-drifting";
    let third = "amber-lantern-7-quietly";
    put(change(USER_PASSWORD, second)).await.expect_status(204);
    put(change(second, third)).await.expect_status(204);
    for used in [USER_PASSWORD, second, third] {
        let reply = put(change(third, used)).await;
        reply.expect(422, ErrorCode::ValidationFailed);
        assert!(!reply.text.contains(used), "{}", reply.text);
    }
    // Three changes later the first password is out of the history; the second is not yet.
    let fourth = "granite-meadow-9-whistles";
    put(change(third, fourth)).await.expect_status(204);
    put(change(fourth, second)).await.expect(422, ErrorCode::ValidationFailed);
    put(change(fourth, USER_PASSWORD)).await.expect_status(204);

    // Minimum age of a day: no change right away, unless the account must change its password.
    e.settings(json!({"password_policy": policy(1)})).await;
    let fifth = "copper-harbour-2-lanterns";
    let young = put(change(USER_PASSWORD, fifth)).await;
    assert!(young.expect(422, ErrorCode::ValidationFailed).message().contains("days"), "{}", young.text);
    e.user_options("pat", json!({"must_change_password": true})).await;
    let pat = e.http.token("pat", USER_PASSWORD).await;
    let body = change(USER_PASSWORD, fifth);
    e.http.send("PUT", "/api/v1/me/password", Some(&pat), Some(&body)).await.expect_status(204);

    // Administrators meet the same rules when they create a user or set a password.
    let create = json!({"account": "weakling", "password": "password12345"});
    let reply = e.http.send("POST", "/api/v1/admin/users", Some(&e.token), Some(&create)).await;
    reply.expect(422, ErrorCode::ValidationFailed);
    let set = json!({"password": "abc"});
    e.http
        .send("PUT", "/api/v1/admin/users/pat/password", Some(&e.token), Some(&set))
        .await
        .expect(422, ErrorCode::ValidationFailed);
    let set = json!({"password": "no-digits-in-here-at-all"});
    e.http
        .send("PUT", "/api/v1/admin/users/pat/password", Some(&e.token), Some(&set))
        .await
        .expect(422, ErrorCode::ValidationFailed);
    let good = json!({"account": "strongling", "password": "saffron-glacier-5-ticking"});
    e.http.send("POST", "/api/v1/admin/users", Some(&e.token), Some(&good)).await.expect_status(201);

    for password in [USER_PASSWORD, second, third, fourth, fifth, "password12345", "correct-horse-battery-staple"] {
        e.http.assert_shown_only_in("a password", password, &[]);
    }
}

// --- pause and continue --------------------------------------------------------------------------------------------

#[tokio::test]
async fn pause_stops_clients_but_not_administrators() {
    let e = env().await;
    e.user("paula", "", &[]).await;
    e.user("sam", "", &[Role::AccountAdministrator]).await;
    e.settings(json!({"protection": no_protection()})).await;
    let paula = e.http.token("paula", USER_PASSWORD).await;
    let sam = e.http.token("sam", USER_PASSWORD).await;

    // Only a server administrator may pause.
    e.http.send("POST", "/api/v1/admin/pause", Some(&paula), None).await.expect(403, ErrorCode::Forbidden);
    let paused = e.http.send("POST", "/api/v1/admin/pause", Some(&e.token), None).await;
    assert_eq!(paused.expect_status(200).clone(), json!({"paused": true, "changed": true}));
    let again = e.http.send("POST", "/api/v1/admin/pause", Some(&e.token), None).await;
    assert_eq!(again.expect_status(200)["changed"], false);

    // A plain user can neither work nor log in; an unauthenticated guess learns nothing about the pause.
    e.http.get("/api/v1/me", &paula).await.expect(503, ErrorCode::ServerPaused);
    e.http.get("/api/v1/vault/databases", &paula).await.expect(503, ErrorCode::ServerPaused);
    e.http.login("paula", USER_PASSWORD).await.expect(503, ErrorCode::ServerPaused);
    e.http.login("paula", "not-paulas-password-1").await.expect(401, ErrorCode::InvalidCredentials);
    // Administrators work on: a user with a server role, and the super administrator.
    e.http.get("/api/v1/me", &sam).await.expect_status(200);
    let sam_again = e.http.token("sam", USER_PASSWORD).await;
    e.http.get("/api/v1/admin/users", &sam_again).await.expect_status(200);
    let info = e.http.get("/api/v1/admin/info", &e.token).await;
    assert_eq!(info.expect_status(200)["status"], "paused");
    assert_eq!(e.http.get(SETTINGS, &e.token).await.expect_status(200)["paused"], true);
    let admin_again = e.http.token("admin", ADMIN_PASSWORD).await;

    let resumed = e.http.send("POST", "/api/v1/admin/continue", Some(&admin_again), None).await;
    assert_eq!(resumed.expect_status(200).clone(), json!({"paused": false, "changed": true}));
    e.http.get("/api/v1/me", &paula).await.expect_status(200);
    e.http.token("paula", USER_PASSWORD).await;
    assert_eq!(e.http.get("/api/v1/admin/info", &e.token).await.expect_status(200)["status"], "running");
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}
