//! Second passwords of entries through the real server (seed manual: "Set second password"): a user holding
//! `set_second_password` gives an entry a second password; from then on every path that releases its secrets (the
//! current version revealed, an old version, the TOTP code, a document) answers 403 `second_password_required`
//! without the `tresor-second-password` header and `second_password_wrong` with a wrong one, while the entry without
//! secrets stays visible. Changing or removing it needs the current one. It is checked before a seal, so a request
//! without it does not break an approved seal. 303 records setting and removing; no record holds the password.
//! Runs on SQLite and, when `TRESOR_TEST_POSTGRES_URL` is set, PostgreSQL.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod audit_support;
mod common;

use audit_support::{Log, Want, by};
use common::Body;
use common::vault::{Admin, As, grant, secret_paths};
use serde_json::{Value, json};
use tresor_api::{ErrorCode, Role, WirePassword};
use tresor_testkit::{TestServer, USER_PASSWORD};

const PW: &str = "router-pw-secret";
const SECOND: &str = "second pässword 1";
const OTHER: &str = "another second one";
const HEADER: &str = "tresor-second-password";
const DOCUMENT: &[u8] = b"backup configuration";

async fn second_password(server: &TestServer) {
    let admin = Admin::new(server).await;
    let client_admin = server.admin().await;
    let start = Log::read(&client_admin, 0).await.end();
    let owner = admin.user(server, "owner", &[]).await;
    let rita = admin.user(server, "rita", &[]).await;
    let dba = admin.user(server, "dba", &[Role::DatabaseAdministrator]).await;
    let db = admin.database("Second").await;
    let mut grants: Vec<Value> = ["access", "read", "add", "modify", "share", "seal", "set_second_password"]
        .map(|p| grant(None, owner.subject(), p, "allow"))
        .to_vec();
    grants.extend(["access", "read"].map(|p| grant(None, rita.subject(), p, "allow")));
    admin.grant(&db, grants).await;
    let (o, r) = (As::new(&admin.raw, &owner), As::new(&admin.raw, &rita));
    let created = o.entry(&db, &json!({"title": "Router", "password": PW, "totp": "JBSWY3DPEHPK3PXP"})).await;
    let entry = created["id"].as_str().unwrap().to_owned();
    let base = format!("/api/v1/vault/databases/{db}/entries/{entry}");
    let upload = format!("{base}/attachments?name=backup.cfg");
    let uploaded = o.raw.send("POST", &upload, Some(o.token), Body::Raw(DOCUMENT, None)).await;
    let attachment = uploaded.expect_ok()["id"].as_str().unwrap().to_owned();
    let second = format!("{base}/second-password");
    let secret_paths = secret_paths(&base, &attachment);
    // Each secret path as `who` with `given` as the second password: all answer alike, and with the secrets only
    // when they answer 200.
    let tries = |who: &'static str, given: Option<&'static str>| {
        let (raw, token) = match who {
            "owner" => (&o.raw, o.token.to_owned()),
            _ => (&r.raw, r.token.to_owned()),
        };
        let paths = secret_paths.clone();
        async move {
            let mut statuses = Vec::new();
            for path in &paths {
                let headers: Vec<(&str, &str)> = given.map(|g| (HEADER, g)).into_iter().collect();
                let answer = raw.send_with("GET", path, Some(&token), &headers, Body::None).await;
                if answer.status == 200 {
                    assert!(
                        answer.text.contains(PW) || answer.text.contains("code") || answer.text.as_bytes() == DOCUMENT
                    );
                } else {
                    assert!(!answer.text.contains(PW), "{}", answer.text);
                }
                statuses.push((answer.status, answer.code().map(str::to_owned)));
            }
            statuses.dedup();
            assert_eq!(statuses.len(), 1, "every path answers alike: {statuses:?}");
            statuses.pop().unwrap()
        }
    };
    let ok = (200, None);
    let required = (403, Some("second_password_required".to_owned()));
    let wrong = (403, Some("second_password_wrong".to_owned()));
    assert_eq!(tries("rita", None).await, ok);

    // Only with set_second_password; not empty.
    let set = |password: &str| json!({"password": password});
    let refused = r.send("PUT", &second, &set(SECOND)).await;
    refused.expect(403, ErrorCode::Forbidden);
    assert!(refused.message().contains("set_second_password"), "{}", refused.text);
    o.send("PUT", &second, &set("")).await.expect(422, ErrorCode::ValidationFailed);
    o.delete(&second).await.expect(404, ErrorCode::NotFound);
    o.send("PUT", &second, &set(SECOND)).await.expect_ok();

    // Set: nothing secret goes out without it, on any path, to anyone; the entry itself stays visible.
    assert_eq!(tries("rita", None).await, required);
    assert_eq!(tries("owner", None).await, required);
    assert_eq!(tries("rita", Some(OTHER)).await, wrong);
    assert_eq!(tries("rita", Some(SECOND)).await, ok);
    let shown = r.get(&base).await;
    assert_eq!(shown.expect_ok()["title"], "Router");
    assert!(!shown.text.contains(PW));
    let client = server.login("rita", USER_PASSWORD).await.unwrap();
    let opened = client.reveal_entry_with(&db, &entry, &WirePassword::new(SECOND)).await.unwrap();
    assert_eq!(opened.password.value.as_ref().map(WirePassword::expose_secret), Some(PW));

    // Changing it needs the current one.
    o.send("PUT", &second, &set(OTHER)).await.expect(403, ErrorCode::SecondPasswordRequired);
    let with = |given: &'static str| [(HEADER, given)];
    let changed =
        o.raw.send_with("PUT", &second, Some(o.token), &with(OTHER), Body::Json(&set(OTHER).to_string())).await;
    changed.expect(403, ErrorCode::SecondPasswordWrong);
    let changed =
        o.raw.send_with("PUT", &second, Some(o.token), &with(SECOND), Body::Json(&set(OTHER).to_string())).await;
    changed.expect_ok();
    assert_eq!(tries("rita", Some(SECOND)).await, wrong);
    assert_eq!(tries("rita", Some(OTHER)).await, ok);

    // A seal that refuses answers first, so that a sealed recipient learns nothing of guesses at the second
    // password. Once the seal is approved the second password is checked before it: without it an approved seal
    // stays approved; with it, the seal breaks.
    let share = json!({"subject": {"kind": "user", "name": "rita"}, "permissions": ["access", "read"],
        "seal": {"authorized": ["dba"]}});
    o.send("POST", &format!("{base}/shares"), &share).await.expect_ok();
    let sealed = (403, Some("entry_sealed".to_owned()));
    assert_eq!(tries("rita", Some(SECOND)).await, sealed, "a wrong guess answers as the seal");
    assert_eq!(tries("rita", Some(OTHER)).await, sealed, "so does the right one");
    assert_eq!(tries("rita", None).await, sealed);
    let d = As::new(&admin.raw, &dba);
    d.send("PUT", &format!("{base}/seals/rita"), &json!({"state": "approved"})).await.expect_ok();
    assert_eq!(tries("rita", None).await, required);
    let state = || async { r.get(&format!("{base}/seal")).await.expect_ok()["seals"][0]["state"].clone() };
    assert_eq!(state().await, "approved");
    assert_eq!(tries("rita", Some(OTHER)).await, ok);
    assert_eq!(state().await, "broken");

    // Removing it needs the current one; then the secrets go out without it again.
    o.delete(&second).await.expect(403, ErrorCode::SecondPasswordRequired);
    o.raw.send_with("DELETE", &second, Some(o.token), &with(OTHER), Body::None).await.expect_ok();
    assert_eq!(tries("rita", None).await, ok);

    let log = Log::read(&client_admin, start).await;
    let on_router = |what: &'static str| Want {
        object: Some(Some("Router")),
        new_object: Some(Some(what)),
        ..by("owner", "Second")
    };
    assert_eq!(log.of(303).iter().filter(|r| r.new_object.as_deref() == Some("second password set")).count(), 2);
    log.one(303, &on_router("second password removed"));
    for secret in [PW, SECOND, OTHER] {
        log.assert_never_says(secret);
    }
}

common::on_each_engine!(second_password, seats = 10);
