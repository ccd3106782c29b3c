//! Bad input gets a stable 4xx code and changes nothing: broken bodies, duplicates, cycles, wrong credentials,
//! unknown routes, bad parameters and rule violations. No request ever gets a 5xx (checked in `Raw::send`).
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::{Answer, Body, Raw};
use serde_json::json;
use tresor_api::ErrorCode;
use tresor_testkit::{Options, TestServer, USER_PASSWORD};

const USERS: &str = "/api/v1/admin/users";

struct Env {
    server: TestServer,
    raw: Raw,
    admin: String,
}

async fn env() -> Env {
    let server = TestServer::start_with(Options { seats: 20, ..Options::default() }).await;
    let raw = Raw::new(&server);
    let admin = common::admin_token(&server).await;
    Env { server, raw, admin }
}

impl Env {
    async fn send(&self, method: &str, path: &str, body: &str) -> Answer {
        self.raw.send(method, path, Some(&self.admin), Body::Json(body)).await
    }
    async fn user_count(&self) -> u64 {
        self.raw.get(USERS, Some(&self.admin)).await.expect_ok()["total"].as_u64().unwrap()
    }
    async fn create_user(&self, account: &str) {
        let body = json!({"account": account, "password": USER_PASSWORD, "options": {"must_change_password": false}});
        self.send("POST", USERS, &body.to_string()).await.expect_ok();
    }
    /// Makes group `child` a member of group `parent`.
    async fn nest(&self, parent: &str, child: &str) -> Answer {
        let path = format!("/api/v1/admin/groups/{parent}/members/groups/{child}");
        self.raw.send("PUT", &path, Some(&self.admin), Body::None).await
    }
    async fn group(&self, name: &str) -> serde_json::Value {
        self.raw.get(&format!("/api/v1/admin/groups/{name}"), Some(&self.admin)).await.expect_ok().clone()
    }
}

#[tokio::test]
async fn broken_bodies_are_refused_with_a_code() {
    let e = env().await;
    let before = e.user_count().await;

    e.send("POST", USERS, r#"{"account": "x", "password": "#).await.expect(400, ErrorCode::MalformedJson);
    e.send("POST", USERS, "not json at all").await.expect(400, ErrorCode::MalformedJson);
    e.send("POST", USERS, "").await.expect(400, ErrorCode::MalformedJson);
    e.raw.send("POST", "/api/v1/auth/login", None, Body::Json("{")).await.expect(400, ErrorCode::MalformedJson);

    let unknown = e.send("POST", USERS, r#"{"account":"x1","password":"long-enough-1","pasword":"y"}"#).await;
    unknown.expect(400, ErrorCode::InvalidBody);
    assert!(unknown.message().contains("pasword"), "the message names the unknown field: {}", unknown.text);
    e.send("POST", USERS, r#"{"account":"x2","password":"long-enough-1","options":{"admin":true}}"#)
        .await
        .expect(400, ErrorCode::InvalidBody);
    e.send("POST", USERS, r#"{"account":"x3"}"#).await.expect(400, ErrorCode::InvalidBody);
    e.send("POST", USERS, "[1, 2]").await.expect(400, ErrorCode::InvalidBody);
    e.send("POST", USERS, "null").await.expect(400, ErrorCode::InvalidBody);
    e.send("POST", USERS, r#"{"account":"x4","password":"long-enough-1","roles":["emperor"]}"#)
        .await
        .expect(400, ErrorCode::InvalidBody);

    e.send("POST", USERS, &"[".repeat(30_000)).await.expect(400, ErrorCode::MalformedJson);
    e.send("POST", USERS, r#"{"account":"\ud800","password":"long-enough-1"}"#)
        .await
        .expect(400, ErrorCode::MalformedJson);
    e.send("POST", USERS, r#"{"account":"d1","account":"d2","password":"long-enough-1"}"#)
        .await
        .expect(400, ErrorCode::InvalidBody);
    e.send("POST", USERS, r#"{"account":5,"password":"long-enough-1"}"#).await.expect(400, ErrorCode::InvalidBody);
    let client_kind = r#"{"account":"admin","password":"x","client":"telnet"}"#;
    e.raw.send("POST", "/api/v1/auth/login", None, Body::Json(client_kind)).await.expect(400, ErrorCode::InvalidBody);
    e.raw.get("/api/v1/admin/users/%FF%FE", Some(&e.admin)).await.expect(400, ErrorCode::InvalidParameter);

    // A value sent in the wrong place may be a secret: it must not be echoed.
    let wrong_type = r#"{"account":"x5","password":"long-enough-1","options":{"deactivated":"s3cret-Value-42"}}"#;
    let a = e.send("POST", USERS, wrong_type).await;
    a.expect(400, ErrorCode::InvalidBody);
    assert!(!a.text.contains("s3cret-Value-42"), "the offending value is echoed: {}", a.text);
    let a = e
        .raw
        .send("POST", "/api/v1/auth/login", None, Body::Json(r#"{"account":"admin","password":["p4ss-Word-99"]}"#))
        .await;
    a.expect(400, ErrorCode::InvalidBody);
    assert!(!a.text.contains("p4ss-Word-99"), "the offending value is echoed: {}", a.text);

    let no_type = e.raw.send("POST", USERS, Some(&e.admin), Body::Raw(br#"{"account":"x6"}"#, None)).await;
    no_type.expect(415, ErrorCode::UnsupportedMediaType);
    let text = e.raw.send("POST", USERS, Some(&e.admin), Body::Raw(br#"{"account":"x7"}"#, Some("text/plain"))).await;
    text.expect(415, ErrorCode::UnsupportedMediaType);
    let login =
        e.raw.send("POST", "/api/v1/auth/login", None, Body::Raw(b"{}", Some("application/x-www-form-urlencoded")));
    login.await.expect(415, ErrorCode::UnsupportedMediaType);
    // `application/json; charset=utf-8` is JSON.
    let body = json!({"account": "x8", "password": "long-enough-1"}).to_string();
    let ok =
        e.raw.send("POST", USERS, Some(&e.admin), Body::Raw(body.as_bytes(), Some("application/json; charset=utf-8")));
    ok.await.expect_ok();

    let huge = json!({"account": "x9", "password": "long-enough-1", "description": "d".repeat(70 * 1024)}).to_string();
    e.send("POST", USERS, &huge).await.expect(413, ErrorCode::PayloadTooLarge);
    let huge_login = json!({"account": "admin", "password": "p".repeat(70 * 1024)}).to_string();
    e.raw
        .send("POST", "/api/v1/auth/login", None, Body::Json(&huge_login))
        .await
        .expect(413, ErrorCode::PayloadTooLarge);
    // Just under the limit is read (and then refused by a rule, not by its size).
    let near = json!({"account": "x10", "password": "long-enough-1", "description": "d".repeat(60 * 1024)}).to_string();
    e.send("POST", USERS, &near).await.expect(422, ErrorCode::ValidationFailed);

    assert_eq!(e.user_count().await, before + 1, "only the well-formed x8 was created");
}

#[tokio::test]
async fn duplicates_and_cycles_change_nothing() {
    let e = env().await;
    e.create_user("Alice").await;
    let before = e.user_count().await;
    for name in ["alice", "ALICE", " Alice "] {
        let body = json!({"account": name, "password": USER_PASSWORD}).to_string();
        let a = e.send("POST", USERS, &body).await;
        a.expect(409, ErrorCode::DuplicateName);
    }
    assert_eq!(e.user_count().await, before);

    for name in ["a", "b", "c"] {
        e.send("POST", "/api/v1/admin/groups", &json!({"name": name}).to_string()).await.expect_ok();
    }
    e.send("POST", "/api/v1/admin/groups", r#"{"name":"A"}"#).await.expect(409, ErrorCode::DuplicateName);
    e.send("PATCH", "/api/v1/admin/groups/b", r#"{"name":"a"}"#).await.expect(409, ErrorCode::DuplicateName);
    assert_eq!(e.group("b").await["name"], "b", "a refused rename changes nothing");

    e.nest("a", "a").await.expect(422, ErrorCode::GroupCycle);
    assert_eq!(e.group("a").await["members"]["groups"], json!([]));
    e.nest("a", "b").await.expect_ok();
    e.nest("b", "c").await.expect_ok();
    e.nest("c", "a").await.expect(422, ErrorCode::GroupCycle);
    e.nest("c", "b").await.expect(422, ErrorCode::GroupCycle);
    let names = |v: &serde_json::Value| {
        v.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let (a, b, c) = (e.group("a").await, e.group("b").await, e.group("c").await);
    assert_eq!((names(&a["members"]["groups"]), names(&a["member_of"])), (vec!["b".to_owned()], vec![]));
    assert_eq!((names(&b["members"]["groups"]), names(&b["member_of"])), (vec!["c".to_owned()], vec!["a".to_owned()]));
    assert_eq!((names(&c["members"]["groups"]), names(&c["member_of"])), (vec![], vec!["b".to_owned()]));
    // Adding a member twice is not an error and does not duplicate it.
    e.nest("a", "b").await.expect_ok();
    assert_eq!(names(&e.group("a").await["members"]["groups"]), ["b"]);
    let a_id = e.group("a").await["id"].as_str().unwrap().to_owned();
    e.nest("a", &a_id).await.expect(422, ErrorCode::GroupCycle);
    e.nest("c", &a_id).await.expect(422, ErrorCode::GroupCycle);
    // Deleting the middle of the chain breaks it: c ⊃ a is now fine.
    e.raw.send("DELETE", "/api/v1/admin/groups/b", Some(&e.admin), Body::None).await.expect_ok();
    assert_eq!(
        (e.group("a").await["members"]["groups"].clone(), e.group("c").await["member_of"].clone()),
        (json!([]), json!([]))
    );
    e.nest("c", "a").await.expect_ok();
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let e = env().await;
    e.create_user("known").await;
    // This test guesses more often than the per-address limit allows by default; the limit has its own tests.
    let protection = r#"{"protection":{"failed_login_limit":100,"attempts_per_minute":6000,"attempt_burst":1000}}"#;
    e.send("PATCH", "/api/v1/admin/signin-settings", protection).await.expect_ok();
    let login = |account: &str, password: &str| {
        let body = json!({"account": account, "password": password}).to_string();
        let raw = e.raw.clone();
        async move { raw.send("POST", "/api/v1/auth/login", None, Body::Json(&body)).await }
    };
    let wrong = login("known", "wrong-password-1").await;
    wrong.expect(401, ErrorCode::InvalidCredentials);
    let unknown = login("nobody-here", "wrong-password-1").await;
    unknown.expect(401, ErrorCode::InvalidCredentials);
    assert_eq!(wrong.text, unknown.text, "the two answers differ");
    assert_eq!(login("", "x").await.text, wrong.text);
    assert_eq!(login(&"n".repeat(5000), "x").await.text, wrong.text);
    // A deactivated account's state is told only to someone who knows its password.
    e.send("PATCH", "/api/v1/admin/users/known", r#"{"options":{"deactivated":true}}"#).await.expect_ok();
    assert_eq!(login("known", "wrong-password-1").await.text, wrong.text);
    login("known", USER_PASSWORD).await.expect(403, ErrorCode::AccountDisabled);

    // An unknown account costs a password hash too (the fastest of five tries each, to damp scheduling noise):
    // without the dummy verification it answers dozens of times faster.
    let fastest = |account: &'static str| {
        let login = &login;
        async move {
            let mut best = std::time::Duration::MAX;
            for _ in 0..5 {
                let started = std::time::Instant::now();
                login(account, "wrong-password-1").await.expect(401, ErrorCode::InvalidCredentials);
                best = best.min(started.elapsed());
            }
            best
        }
    };
    let (known, unknown) = (fastest("known").await, fastest("nobody-here").await);
    assert!(unknown * 4 > known, "unknown account {unknown:?} vs wrong password {known:?}");
}

#[tokio::test]
async fn routes_parameters_and_rules() {
    let e = env().await;
    let (raw, admin) = (&e.raw, Some(e.admin.as_str()));
    for path in ["/api/v1/nope", "/nope", "/api/v2/admin/users", "/api/v1/admin/users/x/y/z"] {
        raw.get(path, admin).await.expect(404, ErrorCode::NotFound);
        raw.get(path, None).await.expect(404, ErrorCode::NotFound);
    }
    raw.send("DELETE", "/api/v1/admin/info", admin, Body::None).await.expect(405, ErrorCode::MethodNotAllowed);
    raw.send("GET", "/api/v1/auth/login", None, Body::None).await.expect(405, ErrorCode::MethodNotAllowed);
    raw.send("POST", "/healthz", None, Body::None).await.expect(405, ErrorCode::MethodNotAllowed);
    raw.get("/api/v1/admin/users/nobody", admin).await.expect(404, ErrorCode::NotFound);
    raw.get("/api/v1/admin/groups/nothing", admin).await.expect(404, ErrorCode::NotFound);
    raw.send("DELETE", "/api/v1/admin/sessions/not-an-id", admin, Body::None).await.expect(404, ErrorCode::NotFound);
    let no_session = "/api/v1/admin/sessions/6f1c1f9e-3c7e-4a55-9d0f-5a4bd1b0e2a1";
    raw.send("DELETE", no_session, admin, Body::None).await.expect(404, ErrorCode::NotFound);

    for query in ["limit=0", "limit=1001", "limit=abc", "limit=-1", "offset=x", "offset=-5", "colour=red"] {
        for list in [USERS, "/api/v1/admin/groups"] {
            raw.get(&format!("{list}?{query}"), admin).await.expect(400, ErrorCode::InvalidParameter);
        }
    }
    let long_q = format!("{USERS}?q={}", "q".repeat(300));
    raw.get(&long_q, admin).await.expect(400, ErrorCode::InvalidParameter);
    let past_the_end = raw.get(&format!("{USERS}?limit=1000&offset=2000000000"), admin).await;
    assert_eq!(past_the_end.expect_ok()["users"], json!([]));
    let huge_offset = raw.get(&format!("{USERS}?offset=4000000000"), admin).await;
    huge_offset.expect(400, ErrorCode::InvalidParameter);

    let before = e.user_count().await;
    let refused = [
        json!({"account": "r1", "password": USER_PASSWORD, "allowed_addresses": ["10.0.0.0/33"]}),
        json!({"account": "r2", "password": USER_PASSWORD, "allowed_addresses": ["host.example"]}),
        json!({"account": "r3", "password": USER_PASSWORD, "roles": ["directory_operator"]}),
        json!({"account": "r4", "password": USER_PASSWORD, "roles": ["directory_operator", "event_log_reader"]}),
        json!({"account": "", "password": USER_PASSWORD}),
        json!({"account": "   ", "password": USER_PASSWORD}),
        json!({"account": "a/b", "password": USER_PASSWORD}),
        json!({"account": "6f1c1f9e-3c7e-4a55-9d0f-5a4bd1b0e2a1", "password": USER_PASSWORD}),
        json!({"account": "x".repeat(65), "password": USER_PASSWORD}),
        json!({"account": "r5", "password": "short"}),
        json!({"account": "r6", "password": USER_PASSWORD, "email": "not-an-address"}),
        json!({"account": "r7", "password": USER_PASSWORD, "member_of": ["no such group"]}),
        json!({"account": "r8", "password": USER_PASSWORD, "full_name": "bell\u{7}"}),
    ];
    for body in refused {
        let a = e.send("POST", USERS, &body.to_string()).await;
        assert_eq!((a.status, a.code()), (422, Some("validation_failed")), "{body}: {}", a.text);
    }
    assert_eq!(e.user_count().await, before, "a refused user was created");

    e.create_user("patched").await;
    for patch in
        [r#"{"allowed_addresses":["10.0.0.0/33"]}"#, r#"{"roles":["directory_operator"]}"#, r#"{"account":""}"#]
    {
        e.send("PATCH", "/api/v1/admin/users/patched", patch).await.expect(422, ErrorCode::ValidationFailed);
    }
    let user = raw.get("/api/v1/admin/users/patched", admin).await.expect_ok().clone();
    assert_eq!((user["allowed_addresses"].clone(), user["roles"].clone()), (json!([]), json!([])));
    let bad_reset = e.send("PUT", "/api/v1/admin/users/patched/password", r#"{"password":"short"}"#).await;
    bad_reset.expect(422, ErrorCode::ValidationFailed);
    common::token(&e.server, "patched", USER_PASSWORD).await;
}

#[tokio::test]
async fn tokens_that_are_not_sessions() {
    let e = env().await;
    let raw = &e.raw;
    let long = "x".repeat(10_000);
    for token in ["garbage", "0000000000000000000000000000000000000000000000000000000000000000", long.as_str()] {
        raw.get("/api/v1/me", Some(token)).await.expect(401, ErrorCode::Unauthenticated);
        raw.get("/api/v1/admin/info", Some(token)).await.expect(401, ErrorCode::Unauthenticated);
    }
    let none = raw.get("/api/v1/me", None).await;
    none.expect(401, ErrorCode::Unauthenticated);
    assert_eq!(none.header("www-authenticate"), "Bearer");
    assert_eq!(none.header("cache-control"), "no-store");
    let me = raw.get("/api/v1/me", Some(&e.admin)).await;
    me.expect_ok();
    assert_eq!(me.header("cache-control"), "no-store", "a response with account data may be cached");
    let basic = raw.http_get_with_header("/api/v1/me", "authorization", "Basic YWRtaW46YWRtaW4=").await;
    basic.expect(401, ErrorCode::Unauthenticated);
    let empty = raw.http_get_with_header("/api/v1/me", "authorization", "Bearer ").await;
    empty.expect(401, ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn a_fourth_user_needs_a_licence() {
    let server = TestServer::start().await;
    let raw = Raw::new(&server);
    let admin = common::admin_token(&server).await;
    let create = |account: &str| {
        let body = json!({"account": account, "password": USER_PASSWORD}).to_string();
        let (raw, admin) = (raw.clone(), admin.clone());
        async move { raw.send("POST", USERS, Some(&admin), Body::Json(&body)).await }
    };
    for name in ["u1", "u2", "u3"] {
        create(name).await.expect_ok();
    }
    let fourth = create("u4").await;
    fourth.expect(409, ErrorCode::SeatLimitReached);
    assert!(fourth.message().contains('3'), "the message names the limit: {}", fourth.text);
    let info = raw.get("/api/v1/admin/info", Some(&admin)).await;
    assert_eq!(info.expect_ok()["seats"], json!({"licensed": 3, "used": 3}));
    // A freed seat can be taken again.
    raw.send("DELETE", "/api/v1/admin/users/u1", Some(&admin), Body::None).await.expect_ok();
    create("u4").await.expect_ok();
    create("u5").await.expect(409, ErrorCode::SeatLimitReached);
}
