//! Entry locks and write preconditions through the real server: a lock names its holder to everyone else and
//! refuses their changes (423); releasing a lock one does not hold is 409; logout, disconnection and the "edit
//! entries" time limit release it; an administrator of the database breaks it (644). Every write carries the
//! version it was based on in `If-Match` and a stale one is refused with 412 and the current version. Taking and
//! releasing are in the log (301/302). Runs on SQLite and, when `TRESOR_TEST_POSTGRES_URL` is set, PostgreSQL.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod audit_support;
mod common;

use std::time::{Duration, Instant};

use audit_support::{Log, Want, by};
use common::vault::{Admin, As, User, grant};
use common::{Answer, Body};
use serde_json::{Value, json};
use tresor_api::{ErrorCode, Role};
use tresor_testkit::{TestServer, USER_PASSWORD};

/// A write with an `If-Match` header, raw.
async fn send_if_match(who: &As<'_>, method: &str, path: &str, tag: &str, body: Option<&Value>) -> Answer {
    let text = body.map(Value::to_string);
    let body = text.as_deref().map_or(Body::None, Body::Json);
    who.raw.send_with(method, path, Some(who.token), &[("if-match", tag)], body).await
}

fn lock_of(answer: &Answer) -> &Value {
    &answer.json.as_ref().unwrap()["error"]["lock"]
}

async fn locks_and_preconditions(server: &TestServer) {
    let admin = Admin::new(server).await;
    let client_admin = server.admin().await;
    let start = Log::read(&client_admin, 0).await.end();
    let alice = admin.user(server, "alice", &[]).await;
    let bob = admin.user(server, "bob", &[]).await;
    let carol = admin.user(server, "carol", &[]).await;
    let dba = admin.user(server, "dba", &[Role::DatabaseAdministrator]).await;
    let db = admin.database("Shared").await;
    let mut grants = Vec::new();
    for u in [&alice, &bob] {
        grants.extend(["access", "read", "add", "modify", "delete"].map(|p| grant(None, u.subject(), p, "allow")));
    }
    grants.extend(["access", "read"].map(|p| grant(None, carol.subject(), p, "allow")));
    admin.grant(&db, grants).await;
    let (a, b, c) = (As::new(&admin.raw, &alice), As::new(&admin.raw, &bob), As::new(&admin.raw, &carol));
    let created = a.entry(&db, &json!({"title": "Router", "password": "one"})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let entry = format!("/api/v1/vault/databases/{db}/entries/{id}");
    let lock = format!("{entry}/lock");

    // The version travels as the ETag.
    let shown = a.get(&entry).await;
    assert_eq!(shown.header("etag"), "\"1\"", "{:?}", shown.headers);

    // Alice takes the lock; everyone who sees the entry sees who holds it.
    let taken = a.send("POST", &lock, &json!({})).await;
    let taken = taken.expect_ok();
    assert_eq!(
        (taken["locked"].as_bool(), taken["holder"].as_str(), taken["mine"].as_bool()),
        (Some(true), Some("alice"), Some(true))
    );
    let seen = b.get(&lock).await;
    let seen = seen.expect_ok();
    assert_eq!((seen["holder"].as_str(), seen["mine"].as_bool()), (Some("alice"), Some(false)));
    assert_eq!(seen["since"], taken["since"]);

    // Bob's changes are refused with 423 naming alice; nothing changes.
    let refused = b.send("PATCH", &entry, &json!({"password": "bob's"})).await;
    refused.expect(423, ErrorCode::EntryLocked);
    assert!(refused.message().contains("alice"), "{}", refused.text);
    assert_eq!(lock_of(&refused)["holder"], "alice");
    assert_eq!(lock_of(&refused)["since"], taken["since"]);
    b.delete(&entry).await.expect(423, ErrorCode::EntryLocked);
    b.send("POST", &format!("{entry}/move"), &json!({"folder": null})).await.expect(423, ErrorCode::EntryLocked);
    b.send("POST", &format!("{entry}/history/1/restore"), &json!({})).await.expect(423, ErrorCode::EntryLocked);
    b.send("POST", &lock, &json!({})).await.expect(423, ErrorCode::EntryLocked);
    let not_held = b.delete(&lock).await;
    not_held.expect(409, ErrorCode::LockNotHeld);
    assert!(not_held.message().contains("alice"), "{}", not_held.text);
    // Locking needs the right to modify; someone who cannot see the entry learns nothing.
    c.send("POST", &lock, &json!({})).await.expect(403, ErrorCode::Forbidden);
    let stranger = admin.user(server, "stranger", &[]).await;
    As::new(&admin.raw, &stranger).get(&lock).await.expect(404, ErrorCode::NotFound);
    assert_eq!(a.get(&format!("{entry}?reveal=true")).await.expect_ok()["password"]["value"], "one");

    // The holder saves (based on version 1), renews and releases.
    let saved = send_if_match(&a, "PATCH", &entry, "\"1\"", Some(&json!({"password": "two"}))).await;
    assert_eq!((saved.expect_ok()["version"].as_u64(), saved.header("etag")), (Some(2), "\"2\""));
    let renewed = a.send("POST", &lock, &json!({})).await;
    assert_eq!(renewed.expect_ok()["since"], taken["since"], "a renewal keeps the time it was taken");
    a.delete(&lock).await.expect_ok();
    a.delete(&lock).await.expect(409, ErrorCode::LockNotHeld);
    assert_eq!(b.get(&lock).await.expect_ok()["locked"], false);

    // Bob, still based on version 1, is refused with 412 and the current version; his change is not written.
    let stale = send_if_match(&b, "PATCH", &entry, "\"1\"", Some(&json!({"password": "lost"}))).await;
    stale.expect(412, ErrorCode::PreconditionFailed);
    assert_eq!(stale.json.as_ref().unwrap()["error"]["current_version"], 2);
    assert_eq!(stale.header("etag"), "\"2\"");
    send_if_match(&b, "DELETE", &entry, "\"1\"", None).await.expect(412, ErrorCode::PreconditionFailed);
    let move_body = json!({"folder": null});
    send_if_match(&b, "POST", &format!("{entry}/move"), "\"1\"", Some(&move_body))
        .await
        .expect(412, ErrorCode::PreconditionFailed);
    send_if_match(&b, "POST", &format!("{entry}/history/1/restore"), "\"1\"", None)
        .await
        .expect(412, ErrorCode::PreconditionFailed);
    for bad in ["W/\"2\"", "2", "\"2\", \"3\"", "\"two\""] {
        send_if_match(&b, "PATCH", &entry, bad, Some(&json!({"notes": "x"})))
            .await
            .expect(400, ErrorCode::InvalidParameter);
    }
    assert_eq!(a.get(&format!("{entry}?reveal=true")).await.expect_ok()["password"]["value"], "two");
    // Based on the current version, or on none at all (`*`), it goes through.
    send_if_match(&b, "PATCH", &entry, "\"2\"", Some(&json!({"notes": "checked"}))).await.expect_ok();
    send_if_match(&b, "PATCH", &entry, "*", Some(&json!({"notes": "checked again"}))).await.expect_ok();

    // Logging out releases bob's lock.
    b.send("POST", &lock, &json!({})).await.expect_ok();
    a.send("PATCH", &entry, &json!({"notes": "alice"})).await.expect(423, ErrorCode::EntryLocked);
    admin.raw.send("POST", "/api/v1/auth/logout", Some(&bob.token), Body::None).await.expect_ok();
    assert_eq!(a.get(&lock).await.expect_ok()["locked"], false);
    a.send("PATCH", &entry, &json!({"notes": "alice"})).await.expect_ok();
    let bob = User { token: common::token(server, "bob", USER_PASSWORD).await, ..bob };
    let b = As::new(&admin.raw, &bob);

    // An administrator disconnecting alice's session releases hers.
    a.send("POST", &lock, &json!({})).await.expect_ok();
    let sessions = admin.get("/api/v1/admin/sessions").await;
    let session = sessions.expect_ok()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["account"] == "alice")
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .unwrap();
    admin.raw.send("DELETE", &format!("/api/v1/admin/sessions/{session}"), Some(&admin.token), Body::None).await;
    let taken_by_bob = b.send("POST", &lock, &json!({})).await;
    assert_eq!(taken_by_bob.expect_ok()["holder"], "bob");
    let alice = User { token: common::token(server, "alice", USER_PASSWORD).await, ..alice };
    let a = As::new(&admin.raw, &alice);

    // Administrators of the database see the locks and break them; others may not.
    let locks = format!("/api/v1/admin/databases/{db}/locks");
    let listed = As::new(&admin.raw, &dba).get(&locks).await;
    let listed = listed.expect_ok()["locks"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0]["folder_path"].as_str(), listed[0]["lock"]["entry"].as_str(), listed[0]["lock"]["holder"].as_str()),
        (Some(""), Some(id.as_str()), Some("bob"))
    );
    assert!(!listed[0].to_string().contains("Router"), "administrators name entries by id: {}", listed[0]);
    // Alice can open the database but not administer it; the stranger cannot even see it.
    a.get(&locks).await.expect(403, ErrorCode::Forbidden);
    a.delete(&format!("{locks}/{id}")).await.expect(403, ErrorCode::Forbidden);
    As::new(&admin.raw, &stranger).get(&locks).await.expect(404, ErrorCode::NotFound);
    let broken = As::new(&admin.raw, &dba).delete(&format!("{locks}/{id}")).await;
    assert_eq!(broken.expect_ok()["holder"], "bob");
    As::new(&admin.raw, &dba).delete(&format!("{locks}/{id}")).await.expect(404, ErrorCode::NotFound);
    a.send("PATCH", &entry, &json!({"notes": "after the break"})).await.expect_ok();
    b.delete(&lock).await.expect(409, ErrorCode::LockNotHeld);

    // The log: taken (301), released by its holder (302), broken (644).
    let log = Log::read(&client_admin, start).await;
    let router = Want { object: Some(Some("Router")), ..by("alice", "Shared") };
    log.one(302, &Want { new_object: Some(Some("released by its holder")), ..router.clone() });
    assert!(log.of(301).iter().filter(|r| r.user.as_deref() == Some("alice")).count() >= 2, "{:#?}", log.of(301));
    assert!(log.of(301).iter().any(|r| r.user.as_deref() == Some("bob")), "{:#?}", log.of(301));
    let broke = log.one(644, &Want { object: Some(Some("Router")), ..by("dba", "Shared") });
    assert!(broke.new_object.as_deref().unwrap_or_default().starts_with("held by bob since "), "{broke:#?}");

    // The "edit entries" time limit: out of range is refused; a lock runs out after it.
    let settings = "/api/v1/admin/vault-settings";
    admin.send("PATCH", settings, &json!({"edit_lock_secs": 5})).await.expect(422, ErrorCode::ValidationFailed);
    admin.send("PATCH", settings, &json!({"edit_lock_secs": 86_401})).await.expect(422, ErrorCode::ValidationFailed);
    assert_eq!(admin.send("PATCH", settings, &json!({"edit_lock_secs": 10})).await.expect_ok()["edit_lock_secs"], 10);
    let short = a.send("POST", &lock, &json!({})).await;
    let short = short.expect_ok();
    let span = |v: &Value| {
        let t = |k: &str| {
            time::OffsetDateTime::parse(v[k].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
        };
        t("expires") - t("since")
    };
    assert_eq!(span(short), time::Duration::seconds(10));
    b.send("PATCH", &entry, &json!({"notes": "too early"})).await.expect(423, ErrorCode::EntryLocked);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = b.send("PATCH", &entry, &json!({"notes": "after the time limit"})).await;
        if attempt.status == 200 {
            break;
        }
        attempt.expect(423, ErrorCode::EntryLocked);
        assert!(Instant::now() < deadline, "the lock did not run out");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(b.get(&lock).await.expect_ok()["locked"], false);
}

common::on_each_engine!(locks_and_preconditions, seats = 10);
