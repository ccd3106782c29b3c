//! The vault's features end to end through the API: every entry type, history and restore, moving, TOTP codes
//! checked against RFC 6238 computed here, attachments byte-exact over several chunks, the generator's policy and
//! a dry-run grant.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::Body;
use common::vault::{Admin, As, Rng, grant, totp, unix_now};
use serde_json::{Value, json};
use tresor_api::ErrorCode;
use tresor_testkit::{Engine, Options, TestServer, postgres_url};

async fn features(server: &TestServer) {
    let admin = Admin::new(server).await;
    let owner = admin.user(server, "owner", &[]).await;
    let mover = admin.user(server, "mover", &[]).await;
    let db = admin.database("Features").await;
    let rights = ["access", "read", "add", "modify", "delete"].map(|p| grant(None, owner.subject(), p, "allow"));
    admin.grant(&db, rights.to_vec()).await;
    let o = As::new(&admin.raw, &owner);
    let entries = format!("/api/v1/vault/databases/{db}/entries");

    // Every type with its required fields, read back.
    let types = o.get("/api/v1/vault/entry-types").await;
    let types = types.expect_ok()["types"].as_array().unwrap().clone();
    assert_eq!(types.len(), 12);
    for t in &types {
        let kind = t["type"].as_str().unwrap();
        let mut fields = serde_json::Map::new();
        for f in t["fields"].as_array().unwrap().iter().filter(|f| f["required"] == true) {
            let name = f["name"].as_str().unwrap();
            fields.insert(
                name.to_owned(),
                json!(if name == "port" { "22".to_owned() } else { format!("{kind}-{name}") }),
            );
        }
        let created = o.entry(&db, &json!({"type": kind, "title": format!("a {kind}"), "fields": fields})).await;
        let shown = o.get(&format!("{entries}/{}?reveal=true", created["id"].as_str().unwrap())).await;
        let shown = shown.expect_ok();
        assert_eq!(shown["type"], kind);
        for (name, value) in &fields {
            let field = shown["fields"].as_array().unwrap().iter().find(|f| f["name"] == name.as_str());
            assert_eq!(field.map(|f| &f["value"]), Some(value), "{kind}.{name}");
        }
        // Without a required field the type is refused.
        if let Some(name) = fields.keys().next() {
            let mut missing = fields.clone();
            missing.remove(name);
            let refused = o.send("POST", &entries, &json!({"type": kind, "title": "x", "fields": missing})).await;
            assert_eq!(refused.status / 100, 4, "{kind} without {name}: {}", refused.text);
        }
    }

    // History: three versions, show v1, restore v1 → v4 with v1's content.
    let e = o.entry(&db, &json!({"title": "hist", "password": "one"})).await;
    let e = format!("{entries}/{}", e["id"].as_str().unwrap());
    o.send("PATCH", &e, &json!({"password": "two"})).await.expect_ok();
    o.send("PATCH", &e, &json!({"password": "three", "title": "hist 3"})).await.expect_ok();
    let history = o.get(&format!("{e}/history")).await;
    let versions: Vec<u64> =
        history.expect_ok()["versions"].as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(versions.iter().copied().collect::<std::collections::BTreeSet<_>>(), [1, 2, 3].into());
    let v1 = o.get(&format!("{e}/history/1?reveal=true")).await;
    assert_eq!(
        (v1.expect_ok()["password"]["value"].as_str(), v1.expect_ok()["current"].as_bool()),
        (Some("one"), Some(false))
    );
    let restored = admin.raw.send("POST", &format!("{e}/history/1/restore"), Some(o.token), Body::None).await;
    restored.expect_ok();
    let now = o.get(&format!("{e}?reveal=true")).await;
    let now = now.expect_ok();
    assert_eq!(
        (now["version"].as_u64(), now["password"]["value"].as_str(), now["title"].as_str()),
        (Some(4), Some("one"), Some("hist"))
    );

    // Moving needs modify on the entry and add on the target.
    let from = o.folder(&db, "From", None).await;
    let to = o.folder(&db, "To", None).await;
    let m = o.entry(&db, &json!({"title": "movable", "folder": from})).await;
    let m_id = m["id"].as_str().unwrap().to_owned();
    let see = |f: &str| ["access", "read"].map(|p| grant(Some(("folder", f)), mover.subject(), p, "allow"));
    let mut g: Vec<Value> = see(&from).into_iter().chain(see(&to)).collect();
    g.push(grant(Some(("folder", &from)), mover.subject(), "modify", "allow"));
    admin.grant(&db, g).await;
    let mv = As::new(&admin.raw, &mover);
    let move_path = format!("{entries}/{m_id}/move");
    let refused = mv.send("POST", &move_path, &json!({"folder": to})).await;
    refused.expect(403, ErrorCode::Forbidden);
    assert!(refused.message().contains("add"), "{}", refused.text);
    admin.grant(&db, vec![grant(Some(("folder", &to)), mover.subject(), "add", "allow")]).await;
    mv.send("POST", &move_path, &json!({"folder": to})).await.expect_ok();
    assert_eq!(o.get(&format!("{entries}/{m_id}")).await.expect_ok()["folder"].as_str(), Some(to.as_str()));

    // TOTP: the server's code is RFC 6238 of the stored secret now (either side of a step boundary).
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let t = o.entry(&db, &json!({"title": "otp", "totp": secret})).await;
    let before = unix_now();
    let code = o.get(&format!("{entries}/{}/totp", t["id"].as_str().unwrap())).await;
    let after = unix_now();
    let code = code.expect_ok()["code"].as_str().unwrap().to_owned();
    assert!(code == totp(secret, before) || code == totp(secret, after), "{code}");
    assert_eq!(totp(secret, 59), "287082", "RFC 6238 test vector (SHA-1, T=59)");

    attachments(&o, &entries, &db).await;

    // The generator honours the policy.
    let policy = json!({"password_policy": {"min_length": 16, "default_length": 20, "require_lowercase": true,
        "require_uppercase": true, "require_digits": true, "require_symbols": false}});
    admin.send("PATCH", "/api/v1/admin/vault-settings", &policy).await.expect_ok();
    let generated = o.get("/api/v1/vault/generate").await;
    let password = generated.expect_ok()["password"].as_str().unwrap().to_owned();
    assert_eq!(password.chars().count(), 20);
    assert!(password.chars().any(|c| c.is_ascii_digit()) && password.chars().any(|c| c.is_ascii_uppercase()));
    o.get("/api/v1/vault/generate?length=12").await.expect(422, ErrorCode::ValidationFailed);

    // It also makes server passwords, within the sign-in password policy instead of the vault's.
    let login_policy = json!({"password_policy": {"min_length": 24, "require_lowercase": false,
        "require_uppercase": false, "require_digits": false, "require_symbols": true, "min_strength": 4,
        "history": 0, "max_age_days": 0, "min_age_days": 0}});
    admin.send("PATCH", "/api/v1/admin/signin-settings", &login_policy).await.expect_ok();
    let generated = o.get("/api/v1/vault/generate?for_login=true").await;
    let login_password = generated.expect_ok()["password"].as_str().unwrap().to_owned();
    assert_eq!(login_password.chars().count(), 24);
    assert!(login_password.chars().any(|c| c.is_ascii_punctuation()), "a symbol is required");
    o.get("/api/v1/vault/generate?for_login=true&length=20").await.expect(422, ErrorCode::ValidationFailed);

    // A dry-run grant reports whose rights would change and stores nothing.
    let grants_path = format!("/api/v1/admin/databases/{db}/grants");
    let before = admin.get(&grants_path).await.expect_ok()["grants"].as_array().unwrap().len();
    let dry = json!({"dry_run": true, "grants": [grant(None, mover.subject(), "access", "allow")]});
    let outcome = admin.send("PUT", &grants_path, &dry).await;
    let outcome = outcome.expect_ok();
    assert_eq!(outcome["dry_run"], true);
    let changes = outcome["changes"].as_array().unwrap();
    assert!(!changes.is_empty() && changes.iter().all(|c| c["account"] == "mover"), "{changes:?}");
    assert_eq!(admin.get(&grants_path).await.expect_ok()["grants"].as_array().unwrap().len(), before);

    // "View effective rights" names the deciding level.
    let rights = admin.get(&format!("/api/v1/admin/databases/{db}/rights?user=mover&entry={m_id}")).await;
    let rights = rights.expect_ok();
    let add = rights["permissions"].as_array().unwrap().iter().find(|p| p["permission"] == "add").unwrap();
    let at = add["decided_at"].as_u64().unwrap() as usize;
    assert_eq!((add["granted"].as_bool(), add["levels"][at]["level"].as_str()), (Some(true), Some("folder")));
}

/// Random bytes over several chunks, byte-exact; deleting the entry removes them.
async fn attachments(o: &As<'_>, entries: &str, db: &str) {
    let e = o.entry(db, &json!({"title": "files"})).await;
    let e = format!("{entries}/{}", e["id"].as_str().unwrap());
    let bytes = Rng::new(7).bytes(200_000);
    let up =
        o.raw.send("POST", &format!("{e}/attachments?name=blob.bin"), Some(o.token), Body::Raw(&bytes, None)).await;
    let id = up.expect_ok()["id"].as_str().unwrap().to_owned();
    let down = format!("{e}/attachments/{id}");
    let got = o.raw.get_bytes(&down, Some(o.token)).await;
    assert_eq!(got.len(), bytes.len());
    assert!(got == bytes, "the download differs from the upload");
    o.raw.send("DELETE", &e, Some(o.token), Body::None).await.expect_ok();
    o.get(&down).await.expect(404, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_on_sqlite() {
    let server = TestServer::start().await;
    features(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 3 }).await;
    features(&server).await;
}
