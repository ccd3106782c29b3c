//! Bad input to the vault routes: each mistake gets its own status and stable code, never a 500, never a partial
//! write, and something the caller may not see is "not found", never "forbidden".
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::vault::{Admin, As, grant};
use common::{Body, post_chunked};
use serde_json::json;
use tresor_api::{DATABASE_PASSWORD_HEADER, ErrorCode};
use tresor_testkit::{Engine, Options, TestServer, postgres_url};

const MISSING: &str = "00000000-0000-4000-8000-000000000000";

async fn bad_input(server: &TestServer) {
    let admin = Admin::new(server).await;
    let owner = admin.user(server, "owner", &[]).await;
    let other = admin.user(server, "other", &[]).await;
    let db = admin.database("Bad").await;
    let rights = ["access", "read", "add", "modify", "delete"].map(|p| grant(None, owner.subject(), p, "allow"));
    admin.grant(&db, rights.to_vec()).await;
    admin.grant(&db, vec![grant(None, other.subject(), "access", "allow")]).await;
    let o = As::new(&admin.raw, &owner);
    let x = As::new(&admin.raw, &other);
    let base = format!("/api/v1/vault/databases/{db}");
    let entries = format!("{base}/entries");
    let folder = o.folder(&db, "Full", None).await;
    let entry = o.entry(&db, &json!({"title": "mine", "folder": folder, "password": "pw-1"})).await;
    let id = entry["id"].as_str().unwrap().to_owned();
    let count = || async { o.all_pages(&format!("{entries}?recursive=true"), 100).await.len() };
    let before = count().await;

    // Entry contents.
    let unknown_type = o.send("POST", &entries, &json!({"type": "spaceship", "title": "x"})).await;
    unknown_type.expect(400, ErrorCode::InvalidValue);
    let unknown_field = o.send("POST", &entries, &json!({"title": "x", "fields": {"colour": "red"}})).await;
    unknown_field.expect(400, ErrorCode::InvalidValue);
    let bad_totp = o.send("POST", &entries, &json!({"title": "x", "totp": "not base32 at all!"})).await;
    bad_totp.expect(400, ErrorCode::InvalidValue);
    let patch_totp = o.send("PATCH", &format!("{entries}/{id}"), &json!({"totp": "1!1!"})).await;
    patch_totp.expect(400, ErrorCode::InvalidValue);
    // Places that do not exist.
    o.send("POST", &entries, &json!({"title": "x", "folder": MISSING})).await.expect(404, ErrorCode::NotFound);
    o.get(&format!("{entries}?folder={MISSING}")).await.expect(404, ErrorCode::NotFound);
    o.get(&format!("{entries}/{MISSING}")).await.expect(404, ErrorCode::NotFound);
    o.get(&format!("/api/v1/vault/databases/{MISSING}/folders")).await.expect(404, ErrorCode::NotFound);
    assert_eq!(count().await, before, "a refused create wrote something");

    // Someone else's entry: not found, for every verb, never forbidden; and it is unchanged.
    for (method, path, body) in [
        ("GET", format!("{entries}/{id}"), Body::None),
        ("PATCH", format!("{entries}/{id}"), Body::Json(r#"{"title":"stolen"}"#)),
        ("DELETE", format!("{entries}/{id}"), Body::None),
        ("GET", format!("{entries}/{id}/history"), Body::None),
        ("POST", format!("{entries}/{id}/move"), Body::Json(r#"{"folder":null}"#)),
        ("GET", format!("{entries}/{id}/attachments"), Body::None),
        ("POST", format!("{entries}/{id}/attachments?name=a"), Body::Raw(b"x", None)),
        ("POST", format!("{entries}/{id}/history/1/restore"), Body::None),
    ] {
        let answer = x.raw.send(method, &path, Some(x.token), body).await;
        answer.expect(404, ErrorCode::NotFound);
    }
    assert_eq!(o.get(&format!("{entries}/{id}")).await.expect_ok()["title"], "mine");

    // Stale version.
    o.send("PATCH", &format!("{entries}/{id}"), &json!({"version": 1, "notes": "v2"})).await.expect_ok();
    let stale = o.send("PATCH", &format!("{entries}/{id}"), &json!({"version": 1, "notes": "lost"})).await;
    stale.expect(409, ErrorCode::VersionConflict);
    assert_eq!(o.get(&format!("{entries}/{id}")).await.expect_ok()["notes"], "v2");

    // Malformed ids.
    for (method, path) in [
        ("GET", format!("{entries}/not-an-id")),
        ("GET", format!("{entries}/12345/history")),
        ("PATCH", format!("{base}/folders/xyz")),
        ("GET", format!("{entries}/{id}/attachments/nope")),
        ("GET", format!("{entries}?folder=nope")),
        ("GET", format!("/api/v1/admin/databases/{db}/rights?user=owner&entry=nope")),
    ] {
        let token = if path.contains("/admin/") { admin.token.as_str() } else { o.token };
        let answer = admin.raw.send(method, &path, Some(token), Body::Json("{}")).await;
        answer.expect(400, ErrorCode::InvalidParameter);
    }

    // The super administrator is no client of the vault.
    for path in ["/api/v1/vault/databases", &format!("{entries}/{id}"), "/api/v1/vault/search?q=a"] {
        admin.get(path).await.expect(403, ErrorCode::SuperAdminNotAClient);
    }

    // A non-empty folder goes only with recursive=true.
    let folder_path = format!("{base}/folders/{folder}");
    o.delete(&folder_path).await.expect(409, ErrorCode::Conflict);
    o.get(&format!("{entries}/{id}")).await.expect_ok();

    // A reason for deleting, when the database asks for one.
    let props = json!({"reason_required_on_delete": true});
    admin.send("PATCH", &format!("/api/v1/admin/databases/{db}"), &props).await.expect_ok();
    let spare = o.entry(&db, &json!({"title": "spare"})).await;
    let spare = format!("{entries}/{}", spare["id"].as_str().unwrap());
    o.delete(&spare).await.expect(422, ErrorCode::ReasonRequired);
    o.get(&spare).await.expect_ok();
    o.delete(&format!("{spare}?reason=no%20longer%20used")).await.expect_ok();
    o.get(&spare).await.expect(404, ErrorCode::NotFound);
    admin.send("PATCH", &format!("/api/v1/admin/databases/{db}"), &json!({"reason_required_on_delete": false})).await;
    o.delete(&format!("{folder_path}?recursive=true")).await.expect_ok();
    o.get(&format!("{entries}/{id}")).await.expect(404, ErrorCode::NotFound);

    attachments_over_the_limit(server, &admin, &o, &entries).await;
    custom_password(&admin, &db).await;
    nothing_to_probe(server, &admin).await;
}

/// Someone who sees only entries shared with them one by one, or nothing at all, cannot tell an entry or a
/// database that exists from one that does not: the answers are the same, word for word.
async fn nothing_to_probe(server: &TestServer, admin: &Admin) {
    let owner = admin.user(server, "keeper", &[]).await;
    let guest = admin.user(server, "guest", &[]).await;
    let db = admin.database("Probed").await;
    admin.grant(&db, ["access", "read", "add"].map(|p| grant(None, owner.subject(), p, "allow")).to_vec()).await;
    let o = As::new(&admin.raw, &owner);
    let shared = o.entry(&db, &json!({"title": "shared", "password": "pw-shared"})).await;
    let hidden = o.entry(&db, &json!({"title": "hidden", "password": "pw-hidden"})).await;
    let shared_id = shared["id"].as_str().unwrap();
    let on_entry = |p| grant(Some(("entry", shared_id)), guest.subject(), p, "allow");
    admin.grant(&db, vec![on_entry("access"), on_entry("read")]).await;
    let g = As::new(&admin.raw, &guest);
    let entries = format!("/api/v1/vault/databases/{db}/entries");
    g.get(&format!("{entries}/{shared_id}")).await.expect_ok();
    for suffix in ["", "/history", "/totp", "/attachments"] {
        let existing = g.get(&format!("{entries}/{}{suffix}", hidden["id"].as_str().unwrap())).await;
        let missing = g.get(&format!("{entries}/{MISSING}{suffix}")).await;
        assert_eq!((existing.status, &existing.text), (missing.status, &missing.text), "{suffix}");
        existing.expect(404, ErrorCode::NotFound);
    }
    // A database that exists but that the caller cannot open, on the user's routes and the administrators'.
    let stranger = admin.user(server, "stranger", &[]).await;
    let s = As::new(&admin.raw, &stranger);
    for path in
        ["/api/v1/vault/databases/{}/folders", "/api/v1/admin/databases/{}", "/api/v1/admin/databases/{}/grants"]
    {
        let existing = s.get(&path.replace("{}", "Probed")).await;
        let missing = s.get(&path.replace("{}", "No-such-database")).await;
        assert_eq!((existing.status, &existing.text), (missing.status, &missing.text), "{path}");
        existing.expect(404, ErrorCode::NotFound);
    }
}

async fn attachments_over_the_limit(server: &TestServer, admin: &Admin, o: &As<'_>, entries: &str) {
    let holder = o.entry(entries.rsplit('/').nth(1).unwrap(), &json!({"title": "holder"})).await;
    let upload = format!("{entries}/{}/attachments?name=big.bin", holder["id"].as_str().unwrap());
    admin.send("PATCH", "/api/v1/admin/vault-settings", &json!({"attachment_limit_bytes": 1000})).await.expect_ok();
    let small = vec![7u8; 1000];
    o.raw.send("POST", &upload, Some(o.token), Body::Raw(&small, Some("application/octet-stream"))).await.expect_ok();
    let big = vec![7u8; 1001];
    let over = o.raw.send("POST", &upload, Some(o.token), Body::Raw(&big, Some("application/octet-stream"))).await;
    over.expect(413, ErrorCode::PayloadTooLarge);
    let huge = vec![7u8; 200_000];
    let (status, answer) = post_chunked(server, &upload, Some(o.token), "application/octet-stream", &huge).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    let listed = o.get(&upload.replace("?name=big.bin", "")).await;
    let sizes: Vec<u64> =
        listed.expect_ok()["attachments"].as_array().unwrap().iter().map(|a| a["size"].as_u64().unwrap()).collect();
    assert_eq!(sizes, [1000], "only the upload within the limit is kept");
    admin.send("PATCH", "/api/v1/admin/vault-settings", &json!({"attachment_limit_bytes": 26_214_400})).await;
}

async fn custom_password(admin: &Admin, db: &str) {
    let set = json!({"custom_password": {"new": "database-secret-1"}});
    admin.send("PATCH", &format!("/api/v1/admin/databases/{db}"), &set).await.expect_ok();
    let path = format!("/api/v1/admin/databases/{db}/grants");
    let send = |headers: &'static [(&'static str, &'static str)]| {
        let path = path.clone();
        async move { admin.raw.send_with("GET", &path, Some(&admin.token), headers, Body::None).await }
    };
    send(&[]).await.expect(403, ErrorCode::DatabasePasswordRequired);
    send(&[(DATABASE_PASSWORD_HEADER, "database-secret-2")]).await.expect(403, ErrorCode::DatabasePasswordWrong);
    let right = send(&[(DATABASE_PASSWORD_HEADER, "database-secret-1")]).await;
    assert!(right.expect_ok()["grants"].as_array().is_some_and(|g| !g.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_sqlite() {
    let server = TestServer::start_with(Options { seats: 8, ..Options::default() }).await;
    bad_input(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 8 }).await;
    bad_input(&server).await;
}
