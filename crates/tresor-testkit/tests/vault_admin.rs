//! Administering the vault end to end: private databases that come and go with their users, "Assign database"
//! (existing, new, private; all or nothing), grant dry runs, who has a database open and how to end it, the
//! dashboard's database count, search paging, database properties with a custom password, and folder operations.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::collections::BTreeSet;

use common::Body;
use common::vault::{Admin, As, User, grant};
use serde_json::{Value, json};
use tresor_api::{ClientKind, DATABASE_PASSWORD_HEADER, ErrorCode};
use tresor_testkit::{Engine, Options, TestServer, USER_PASSWORD, postgres_url};

const MISSING: &str = "00000000-0000-4000-8000-000000000000";
const ALL_RIGHTS: [&str; 5] = ["access", "read", "add", "modify", "delete"];

/// Each area on SQLite and, when `TRESOR_TEST_POSTGRES_URL` is set, on PostgreSQL, each on a server of its own.
macro_rules! on_both_engines {
    ($($area:ident),* $(,)?) => {$(
        mod $area {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let server = TestServer::start_with(Options { seats: 12, ..Options::default() }).await;
                super::$area(&server).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let Some(url) = postgres_url() else { return };
                let server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 12 }).await;
                super::$area(&server).await;
            }
        }
    )*};
}

on_both_engines!(
    private_databases,
    assign_database,
    grant_dry_runs,
    connections,
    installed_databases,
    search_paging,
    database_properties,
    folder_operations,
);

/// Every database as administrators list it: name → view.
async fn databases(admin: &Admin) -> std::collections::BTreeMap<String, Value> {
    let list = admin.get("/api/v1/admin/databases?limit=1000").await;
    let list = list.expect_ok()["databases"].as_array().unwrap().clone();
    list.into_iter().map(|d| (d["name"].as_str().unwrap().to_owned(), d)).collect()
}

/// The databases a user sees in the vault, by name.
async fn my_databases(u: &As<'_>) -> BTreeSet<String> {
    let list = u.get("/api/v1/vault/databases").await;
    list.expect_ok()["databases"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
}

/// The caller's rights on a database as it opens it.
async fn rights_on(u: &As<'_>, db: &str) -> BTreeSet<String> {
    let opened = u.get(&format!("/api/v1/vault/databases/{db}/folders")).await;
    strings(&opened.expect_ok()["database"]["rights"])
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn delete_user(admin: &Admin, user: &User) {
    let path = format!("/api/v1/admin/users/{}", user.id);
    admin.raw.send("DELETE", &path, Some(&admin.token), Body::None).await.expect_ok();
}

/// Databases → private databases: one per new user, only theirs, deleted with them when the settings say so.
async fn private_databases(server: &TestServer) {
    let admin = Admin::new(server).await;
    let settings = json!({"private_database_for_new_users": true, "delete_private_database_with_user": true});
    admin.send("PATCH", "/api/v1/admin/vault-settings", &settings).await.expect_ok();
    let pat = admin.user(server, "pat", &[]).await;
    let other = admin.user(server, "other", &[]).await;
    let all = databases(&admin).await;
    assert_eq!(all.keys().cloned().collect::<BTreeSet<_>>(), set(&["other (private)", "pat (private)"]));
    assert!(!all.contains_key("admin (private)"), "the super administrator gets none");
    let db = id_of(&all["pat (private)"]);

    // The owner opens it, adds and reads entries there; nobody else sees it.
    let p = As::new(&admin.raw, &pat);
    assert_eq!(my_databases(&p).await, set(&["pat (private)"]));
    assert_eq!(rights_on(&p, &db).await, set(&ALL_RIGHTS));
    let folder = p.folder(&db, "Mine", None).await;
    let entry = p.entry(&db, &json!({"title": "my mail", "password": "pw-pat", "folder": folder})).await;
    let shown = p.get(&format!("/api/v1/vault/databases/{db}/entries/{}?reveal=true", id_of(&entry))).await;
    assert_eq!(shown.expect_ok()["password"]["value"], "pw-pat");
    let o = As::new(&admin.raw, &other);
    assert_eq!(my_databases(&o).await, set(&["other (private)"]));
    o.get(&format!("/api/v1/vault/databases/{db}/folders")).await.expect(404, ErrorCode::NotFound);
    o.get(&format!("/api/v1/vault/databases/{db}/entries/{}", id_of(&entry))).await.expect(404, ErrorCode::NotFound);

    // Deleted with the user...
    delete_user(&admin, &pat).await;
    assert!(!databases(&admin).await.contains_key("pat (private)"));
    admin.get(&format!("/api/v1/admin/databases/{db}")).await.expect(404, ErrorCode::NotFound);
    // ...or kept, when the settings say so.
    admin
        .send("PATCH", "/api/v1/admin/vault-settings", &json!({"delete_private_database_with_user": false}))
        .await
        .expect_ok();
    delete_user(&admin, &other).await;
    let kept = databases(&admin).await;
    assert_eq!(kept.keys().cloned().collect::<BTreeSet<_>>(), set(&["other (private)"]));

    // Without the setting, a new user gets none.
    admin
        .send("PATCH", "/api/v1/admin/vault-settings", &json!({"private_database_for_new_users": false}))
        .await
        .expect_ok();
    admin.user(server, "plain", &[]).await;
    assert_eq!(databases(&admin).await.len(), 1);
}

/// Users → Assign database: the same permissions for every selected account, on an existing, a new or a private
/// database; refused input changes nothing.
async fn assign_database(server: &TestServer) {
    let admin = Admin::new(server).await;
    let ann = admin.user(server, "ann", &[]).await;
    let ben = admin.user(server, "ben", &[]).await;
    let cid = admin.user(server, "cid", &[]).await;
    let dee = admin.user(server, "dee", &[]).await;
    let eve = admin.user(server, "eve", &[]).await;
    admin.group("crew", false).await;
    admin.add_user_to_group("crew", &cid.account).await;
    admin.add_user_to_group("crew", &dee.account).await;

    // An existing database, for two users and a group: each member opens it with exactly the given rights.
    let shared = admin.database("Shared").await;
    let body = json!({"users": ["ann", ben.id], "groups": ["crew"], "database": {"kind": "existing", "name": "Shared"},
        "permissions": ["access", "read", "add"]});
    let assigned = admin.send("POST", "/api/v1/admin/assign", &body).await;
    let assigned = assigned.expect_ok()["databases"].as_array().unwrap().clone();
    assert_eq!((assigned.len(), id_of(&assigned[0])), (1, shared.clone()));
    for u in [&ann, &ben, &cid, &dee] {
        assert_eq!(rights_on(&As::new(&admin.raw, u), &shared).await, set(&["access", "read", "add"]), "{}", u.account);
    }
    let e = As::new(&admin.raw, &eve);
    e.get(&format!("/api/v1/vault/databases/{shared}/folders")).await.expect(404, ErrorCode::NotFound);
    let d = As::new(&admin.raw, &dee);
    let made = d.entry(&shared, &json!({"title": "by dee"})).await;
    let change =
        d.send("PATCH", &format!("/api/v1/vault/databases/{shared}/entries/{}", id_of(&made)), &json!({})).await;
    change.expect(403, ErrorCode::Forbidden);

    // A new database, named as asked.
    let body =
        json!({"users": ["ann"], "database": {"kind": "new", "name": "Fresh"}, "permissions": ["access", "read"]});
    let fresh = admin.send("POST", "/api/v1/admin/assign", &body).await;
    let fresh = fresh.expect_ok()["databases"][0].clone();
    assert_eq!(fresh["name"], "Fresh");
    let fresh = id_of(&fresh);
    assert_eq!(rights_on(&As::new(&admin.raw, &ann), &fresh).await, set(&["access", "read"]));
    // The same name again: refused, and eve is given nothing anywhere.
    let grants_before = admin.get(&format!("/api/v1/admin/databases/{fresh}/grants")).await.expect_ok().clone();
    let count = databases(&admin).await.len();
    let body = json!({"users": ["eve"], "database": {"kind": "new", "name": "fresh"}, "permissions": ["access"]});
    admin.send("POST", "/api/v1/admin/assign", &body).await.expect(409, ErrorCode::DuplicateName);
    assert_eq!(admin.get(&format!("/api/v1/admin/databases/{fresh}/grants")).await.expect_ok(), &grants_before);
    assert_eq!(databases(&admin).await.len(), count);
    assert!(my_databases(&e).await.is_empty());

    // Private, for two users: one database each, visible only to its owner.
    let body =
        json!({"users": ["ann", "ben"], "database": {"kind": "private"}, "permissions": ["access", "read", "add"]});
    let private = admin.send("POST", "/api/v1/admin/assign", &body).await;
    let private = private.expect_ok()["databases"].as_array().unwrap().clone();
    let names: BTreeSet<String> = private.iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, set(&["ann (private)", "ben (private)"]));
    let a = As::new(&admin.raw, &ann);
    let b = As::new(&admin.raw, &ben);
    assert_eq!(my_databases(&a).await, set(&["Fresh", "Shared", "ann (private)"]));
    assert_eq!(my_databases(&b).await, set(&["Shared", "ben (private)"]));
    for d in &private {
        let (owner, stranger) = if d["name"] == "ann (private)" { (&a, &b) } else { (&b, &a) };
        assert_eq!(rights_on(owner, &id_of(d)).await, set(&["access", "read", "add"]));
        stranger.get(&format!("/api/v1/vault/databases/{}/folders", id_of(d))).await.expect(404, ErrorCode::NotFound);
    }

    // Private again where one of the names is taken: refused, and the other user gets no database either.
    let count = databases(&admin).await.len();
    let body = json!({"users": ["eve", "ann"], "database": {"kind": "private"}, "permissions": ["access"]});
    admin.send("POST", "/api/v1/admin/assign", &body).await.expect(409, ErrorCode::DuplicateName);
    assert_eq!(databases(&admin).await.len(), count, "a refused assignment created a database");
    assert!(my_databases(&e).await.is_empty());
    // Two selected accounts with one private name: the first database made is undone.
    admin.group("Eve", false).await;
    let body = json!({"users": ["eve"], "groups": ["Eve"], "database": {"kind": "private"}, "permissions": ["access"]});
    admin.send("POST", "/api/v1/admin/assign", &body).await.expect(409, ErrorCode::DuplicateName);
    assert_eq!(databases(&admin).await.len(), count, "a refused assignment left a database behind");
    assert!(my_databases(&e).await.is_empty());

    // Bad input: nobody, no permission, an unknown account; nothing is created.
    for (body, status, code) in [
        (
            json!({"database": {"kind": "new", "name": "Nobody"}, "permissions": ["access"]}),
            422,
            ErrorCode::ValidationFailed,
        ),
        (
            json!({"users": ["eve"], "database": {"kind": "new", "name": "Nothing"}, "permissions": []}),
            422,
            ErrorCode::ValidationFailed,
        ),
        (
            json!({"users": ["eve", "ghost"], "database": {"kind": "new", "name": "Ghostly"}, "permissions": ["access"]}),
            404,
            ErrorCode::NotFound,
        ),
        (
            json!({"groups": ["no such group"], "database": {"kind": "private"}, "permissions": ["access"]}),
            404,
            ErrorCode::NotFound,
        ),
        (
            json!({"users": ["eve"], "database": {"kind": "existing", "name": MISSING}, "permissions": ["access"]}),
            404,
            ErrorCode::NotFound,
        ),
    ] {
        admin.send("POST", "/api/v1/admin/assign", &body).await.expect(status, code);
    }
    assert_eq!(databases(&admin).await.len(), count);
    assert!(my_databases(&e).await.is_empty());
}

/// A dry run checks its grants as a real one does, and lists exactly whose rights would change.
async fn grant_dry_runs(server: &TestServer) {
    let admin = Admin::new(server).await;
    let owner = admin.user(server, "owner", &[]).await;
    let member = admin.user(server, "member", &[]).await;
    let outsider = admin.user(server, "outsider", &[]).await;
    admin.group("team", false).await;
    admin.add_user_to_group("team", &member.account).await;
    let db = admin.database("Dry").await;
    admin.grant(&db, ALL_RIGHTS.map(|p| grant(None, owner.subject(), p, "allow")).to_vec()).await;
    let entry = As::new(&admin.raw, &owner).entry(&db, &json!({"title": "x"})).await;
    let path = format!("/api/v1/admin/databases/{db}/grants");
    let stored = || async { admin.get(&path).await.expect_ok()["grants"].clone() };
    let before = stored().await;

    // Objects that do not exist: not found, dry or not.
    for dry_run in [true, false] {
        for object in [("folder", MISSING), ("entry", MISSING)] {
            let body = json!({"dry_run": dry_run, "grants": [grant(Some(object), owner.subject(), "read", "deny")]});
            admin.send("PUT", &path, &body).await.expect(404, ErrorCode::NotFound);
        }
    }
    // A folder of another database is not in this one.
    let elsewhere = admin.database("Elsewhere").await;
    admin.grant(&elsewhere, ["access", "add"].map(|p| grant(None, owner.subject(), p, "allow")).to_vec()).await;
    let foreign = As::new(&admin.raw, &owner).folder(&elsewhere, "Foreign", None).await;
    let body = json!({"dry_run": true, "grants": [grant(Some(("folder", &foreign)), owner.subject(), "read", "deny")]});
    admin.send("PUT", &path, &body).await.expect(404, ErrorCode::NotFound);
    assert_eq!(stored().await, before);

    // Nothing changes for anyone: 200 with no changes.
    for g in [
        grant(None, owner.subject(), "read", "allow"),
        grant(Some(("entry", &id_of(&entry))), outsider.subject(), "read", "undefined"),
    ] {
        let answer = admin.send("PUT", &path, &json!({"dry_run": true, "grants": [g]})).await;
        assert_eq!(answer.expect_ok()["changes"], json!([]), "{}", answer.text);
    }

    // Through a group: its member is listed, nobody else.
    let body = json!({"dry_run": true, "grants": [grant(None, ("group", "team"), "access", "allow"),
        grant(None, ("group", "team"), "read", "allow")]});
    let answer = admin.send("PUT", &path, &body).await;
    let changes = answer.expect_ok()["changes"].as_array().unwrap().clone();
    assert!(!changes.is_empty(), "{}", answer.text);
    assert!(changes.iter().all(|c| c["account"] == "member" && c["lost"] == json!([])), "{}", answer.text);
    let on_db = changes.iter().find(|c| c["object"] == json!({"kind": "database"})).unwrap();
    assert_eq!(strings(&on_db["gained"]), set(&["access", "read"]));
    assert_eq!(stored().await, before, "a dry run stored something");

    // The super administrator cannot open databases, so it cannot be given rights in them (dry or not).
    for dry_run in [true, false] {
        let body = json!({"dry_run": dry_run, "grants": [grant(None, ("user", "admin"), "read", "allow")]});
        admin.send("PUT", &path, &body).await.expect(422, ErrorCode::ValidationFailed);
    }
    let assign = json!({"users": ["admin"], "database": {"kind": "private"}, "permissions": ["access", "read"]});
    admin.send("POST", "/api/v1/admin/assign", &assign).await.expect(422, ErrorCode::ValidationFailed);
    assert_eq!(stored().await, before);
}

/// Database Properties → General: who has the database open, until they log out or are disconnected.
async fn connections(server: &TestServer) {
    let admin = Admin::new(server).await;
    let viewer = admin.user(server, "viewer", &[]).await;
    let db = admin.database("Watched").await;
    admin.grant(&db, vec![grant(None, viewer.subject(), "access", "allow")]).await;
    let props = format!("/api/v1/admin/databases/{db}");
    let connected = || async { databases(&admin).await["Watched"]["connected_users"].as_u64().unwrap() };
    assert_eq!(admin.get(&props).await.expect_ok()["connections"], json!([]));
    assert_eq!(admin.get(&props).await.expect_ok()["database"]["last_accessed"], Value::Null);

    // Opening it makes a connection, shown with the account and the address.
    let v = As::new(&admin.raw, &viewer);
    v.get(&format!("/api/v1/vault/databases/{db}/folders")).await.expect_ok();
    let shown = admin.get(&props).await;
    let shown = shown.expect_ok();
    let list = shown["connections"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{shown}");
    assert_eq!(
        (list[0]["account"].as_str(), list[0]["user"].as_str(), list[0]["address"].as_str()),
        (Some("viewer"), Some(viewer.id.as_str()), Some("127.0.0.1"))
    );
    assert!(shown["database"]["last_accessed"].is_string());
    assert_eq!(connected().await, 1);

    // Logging out ends it.
    admin.raw.send("POST", "/api/v1/auth/logout", Some(&viewer.token), Body::None).await.expect_ok();
    assert_eq!(admin.get(&props).await.expect_ok()["connections"], json!([]));
    assert_eq!(connected().await, 0);

    // Disconnecting ends the session itself.
    let login = common::login(server, "viewer", USER_PASSWORD, ClientKind::Api).await;
    let token = login.token;
    admin.raw.get(&format!("/api/v1/vault/databases/{db}/folders"), Some(&token)).await.expect_ok();
    let listed = admin.get(&props).await.expect_ok()["connections"].clone();
    assert_eq!(listed[0]["session"].as_str(), Some(login.session.id.as_str()));
    let disconnect = format!("{props}/connections/{}", login.session.id);
    admin.raw.send("DELETE", &disconnect, Some(&admin.token), Body::None).await.expect_ok();
    admin.raw.get("/api/v1/vault/databases", Some(&token)).await.expect(401, ErrorCode::Unauthenticated);
    assert_eq!(connected().await, 0);
    admin.raw.send("DELETE", &disconnect, Some(&admin.token), Body::None).await.expect(404, ErrorCode::NotFound);
    // A session that never opened it is no connection of it.
    let other = common::login(server, "viewer", USER_PASSWORD, ClientKind::Api).await;
    let never = format!("{props}/connections/{}", other.session.id);
    admin.raw.send("DELETE", &never, Some(&admin.token), Body::None).await.expect(404, ErrorCode::NotFound);
    admin.raw.get("/api/v1/vault/databases", Some(&other.token)).await.expect_ok();
}

/// The dashboard counts the databases there are.
async fn installed_databases(server: &TestServer) {
    let admin = Admin::new(server).await;
    let installed = || async { admin.get("/api/v1/admin/info").await.expect_ok()["installed_databases"].as_u64() };
    assert_eq!(installed().await, Some(0));
    let first = admin.database("One").await;
    admin.database("Two").await;
    assert_eq!(installed().await, Some(databases(&admin).await.len() as u64));
    assert_eq!(installed().await, Some(2));
    let path = format!("/api/v1/admin/databases/{first}");
    admin.raw.send("DELETE", &path, Some(&admin.token), Body::None).await.expect_ok();
    assert_eq!(databases(&admin).await.len(), 1);
    assert_eq!(installed().await, Some(1));
}

/// Search pages through every match; what the caller may not see never matches.
async fn search_paging(server: &TestServer) {
    let admin = Admin::new(server).await;
    let owner = admin.user(server, "owner", &[]).await;
    let seeker = admin.user(server, "seeker", &[]).await;
    let db = admin.database("Haystack").await;
    admin.grant(&db, ALL_RIGHTS.map(|p| grant(None, owner.subject(), p, "allow")).to_vec()).await;
    admin.grant(&db, ["access", "read"].map(|p| grant(None, seeker.subject(), p, "allow")).to_vec()).await;
    let o = As::new(&admin.raw, &owner);
    let mut expected = BTreeSet::new();
    for i in 0..25 {
        let created = o.entry(&db, &json!({"title": format!("needle {i:02}"), "notes": "hay"})).await;
        expected.insert(id_of(&created));
    }
    o.entry(&db, &json!({"title": "just hay"})).await;
    // Visible only to the owner: denied to the seeker, or in a database the seeker cannot open.
    let denied = o.entry(&db, &json!({"title": "needle denied"})).await;
    admin.grant(&db, vec![grant(Some(("entry", &id_of(&denied))), seeker.subject(), "access", "deny")]).await;
    let hidden = admin.database("Hidden").await;
    admin.grant(&hidden, ALL_RIGHTS.map(|p| grant(None, owner.subject(), p, "allow")).to_vec()).await;
    o.entry(&hidden, &json!({"title": "needle hidden"})).await;

    let s = As::new(&admin.raw, &seeker);
    let mut seen = BTreeSet::new();
    for (offset, size) in [(0, 10), (10, 10), (20, 5), (30, 0)] {
        let page = s.get(&format!("/api/v1/vault/search?q=NEEDLE&offset={offset}&limit=10")).await;
        let page = page.expect_ok();
        assert_eq!((page["entries"].as_array().unwrap().len(), page["total"].as_u64()), (size, Some(25)), "{page}");
        seen.extend(page["entries"].as_array().unwrap().iter().map(id_of));
    }
    assert_eq!(seen, expected, "every match once, and nothing the seeker may not see");
    let in_db = s.all_pages(&format!("/api/v1/vault/search?q=needle&database={db}"), 7).await;
    assert_eq!(in_db.iter().map(id_of).collect::<BTreeSet<_>>(), expected);
    // The owner sees the two others too.
    assert_eq!(o.all_pages("/api/v1/vault/search?q=needle", 10).await.len(), 27);
}

/// Database Properties: name, comments, Advanced settings and the custom password that guards them.
async fn database_properties(server: &TestServer) {
    let admin = Admin::new(server).await;
    let db = admin.database("Props").await;
    admin.database("Taken").await;
    let path = format!("/api/v1/admin/databases/{db}");
    let change = json!({"name": "Props renamed", "comments": "for the audit", "monitor_accesses": true,
        "reason_required_on_delete": true});
    let changed = admin.send("PATCH", &path, &change).await;
    let changed = changed.expect_ok();
    let expected_settings =
        json!({"monitor_accesses": true, "reason_required_on_delete": true, "custom_password": false});
    assert_eq!((&changed["name"], &changed["comments"]), (&json!("Props renamed"), &json!("for the audit")));
    assert_eq!(changed["settings"], expected_settings);
    let by_name = admin.get("/api/v1/admin/databases/Props%20renamed").await;
    assert_eq!(by_name.expect_ok()["database"]["id"].as_str(), Some(db.as_str()));
    assert_eq!(by_name.expect_ok()["database"]["settings"], expected_settings);
    admin.get("/api/v1/admin/databases/Props").await.expect(404, ErrorCode::NotFound);
    admin.send("PATCH", &path, &json!({"name": "taken"})).await.expect(409, ErrorCode::DuplicateName);
    admin.send("PATCH", &path, &json!({"monitor_accesses": false})).await.expect_ok();
    let shown = admin.get(&path).await;
    assert_eq!(shown.expect_ok()["database"]["settings"]["monitor_accesses"], false);
    assert_eq!(shown.expect_ok()["database"]["name"], "Props renamed", "absent fields keep their value");

    // The custom password: at least 8 characters; changing or removing it needs the current one.
    let set_to = |new: &str| json!({"custom_password": {"new": new}});
    admin.send("PATCH", &path, &set_to("short")).await.expect(422, ErrorCode::ValidationFailed);
    assert_eq!(admin.get(&path).await.expect_ok()["database"]["settings"]["custom_password"], false);
    let set = admin.send("PATCH", &path, &set_to("first-secret-1")).await;
    assert_eq!(set.expect_ok()["settings"]["custom_password"], true);
    let send = |method: &'static str, body: Value, password: Option<&'static str>| {
        let path = path.clone();
        let raw = admin.raw.clone();
        let token = admin.token.clone();
        async move {
            let headers: Vec<(&str, &str)> = password.map(|p| (DATABASE_PASSWORD_HEADER, p)).into_iter().collect();
            let body = body.to_string();
            raw.send_with(method, &path, Some(&token), &headers, Body::Json(&body)).await
        }
    };
    send("PATCH", set_to("second-secret-2"), None).await.expect(403, ErrorCode::DatabasePasswordRequired);
    let wrong = json!({"custom_password": {"current": "not-the-secret", "new": "second-secret-2"}});
    send("PATCH", wrong, None).await.expect(403, ErrorCode::DatabasePasswordWrong);
    let wrong_header = set_to("second-secret-2");
    send("PATCH", wrong_header, Some("not-the-secret")).await.expect(403, ErrorCode::DatabasePasswordWrong);
    send("PATCH", json!({"comments": "x"}), None).await.expect(403, ErrorCode::DatabasePasswordRequired);
    send("GET", json!({}), Some("first-secret-1")).await.expect_ok();
    let right = json!({"custom_password": {"current": "first-secret-1", "new": "second-secret-2"}});
    send("PATCH", right, None).await.expect_ok();
    send("GET", json!({}), Some("first-secret-1")).await.expect(403, ErrorCode::DatabasePasswordWrong);
    send("PATCH", set_to("third-secret-3"), Some("second-secret-2")).await.expect_ok();
    let short = json!({"custom_password": {"current": "third-secret-3", "new": "2short"}});
    send("PATCH", short, None).await.expect(422, ErrorCode::ValidationFailed);
    send("GET", json!({}), Some("third-secret-3")).await.expect_ok();

    // Removing it: the right current one only.
    let remove_with = |current: &str| json!({"custom_password": {"current": current, "new": null}});
    send("PATCH", remove_with("second-secret-2"), None).await.expect(403, ErrorCode::DatabasePasswordWrong);
    send("GET", json!({}), None).await.expect(403, ErrorCode::DatabasePasswordRequired);
    let removed = send("PATCH", remove_with("third-secret-3"), None).await;
    assert_eq!(removed.expect_ok()["settings"]["custom_password"], false);
    let open = admin.get(&path).await;
    assert_eq!(open.expect_ok()["database"]["comments"], "for the audit");
}

/// Folders: nested, renamed, moved (never into themselves), deleted only when empty or recursively, and never
/// partly when something inside may not be deleted by the caller.
async fn folder_operations(server: &TestServer) {
    let admin = Admin::new(server).await;
    let owner = admin.user(server, "owner", &[]).await;
    let limited = admin.user(server, "limited", &[]).await;
    let db = admin.database("Tree").await;
    admin.grant(&db, ALL_RIGHTS.map(|p| grant(None, owner.subject(), p, "allow")).to_vec()).await;
    admin.grant(&db, ALL_RIGHTS.map(|p| grant(None, limited.subject(), p, "allow")).to_vec()).await;
    let o = As::new(&admin.raw, &owner);
    let base = format!("/api/v1/vault/databases/{db}");
    let folders = || async {
        let list = o.get(&format!("{base}/folders")).await;
        let list = list.expect_ok()["folders"].as_array().unwrap().clone();
        list.iter()
            .map(|f| (id_of(f), (f["path"].as_str().unwrap().to_owned(), f["parent"].as_str().map(str::to_owned))))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let a = o.folder(&db, "A", None).await;
    let b = o.folder(&db, "B", Some(&a)).await;
    let c = o.folder(&db, "C", Some(&b)).await;
    assert_eq!(folders().await[&c].0, "A/B/C");

    // Rename; a move into itself or below itself is a cycle; to the root and back.
    let renamed = o.send("PATCH", &format!("{base}/folders/{b}"), &json!({"name": "Bee"})).await;
    assert_eq!(renamed.expect_ok()["name"], "Bee");
    assert_eq!(folders().await[&c].0, "A/Bee/C");
    for target in [&c, &b, &a] {
        let cycle = o.send("PATCH", &format!("{base}/folders/{a}"), &json!({"parent": target})).await;
        cycle.expect(422, ErrorCode::ValidationFailed);
    }
    let both = o.send("PATCH", &format!("{base}/folders/{c}"), &json!({"parent": a, "to_root": true})).await;
    both.expect(422, ErrorCode::ValidationFailed);
    let moved = o.send("PATCH", &format!("{base}/folders/{c}"), &json!({"to_root": true})).await;
    assert_eq!(moved.expect_ok()["parent"], Value::Null);
    assert_eq!(folders().await[&c], ("C".to_owned(), None));
    assert_eq!(folders().await[&a].1, None, "a refused move changed nothing");
    o.send("PATCH", &format!("{base}/folders/{c}"), &json!({"parent": b})).await.expect_ok();
    assert_eq!(folders().await[&c], ("A/Bee/C".to_owned(), Some(b.clone())));

    // Entries (one with an attachment) inside; not empty → conflict without recursive.
    let top = o.entry(&db, &json!({"title": "in A", "folder": a})).await;
    let deep = o.entry(&db, &json!({"title": "in C", "folder": c})).await;
    let deep_path = format!("{base}/entries/{}", id_of(&deep));
    let upload = format!("{deep_path}/attachments?name=k.bin");
    let up = o.raw.send("POST", &upload, Some(o.token), Body::Raw(b"key", None)).await;
    let attachment = id_of(up.expect_ok());
    let outside = o.entry(&db, &json!({"title": "at the root"})).await;
    o.delete(&format!("{base}/folders/{a}")).await.expect(409, ErrorCode::Conflict);
    o.delete(&format!("{base}/folders/{c}?recursive=false")).await.expect(409, ErrorCode::Conflict);
    let empty = o.folder(&db, "Empty", Some(&b)).await;
    o.delete(&format!("{base}/folders/{empty}")).await.expect_ok();

    // A user who may not delete one entry inside cannot delete the folder recursively, and nothing goes.
    admin.grant(&db, vec![grant(Some(("entry", &id_of(&deep))), limited.subject(), "delete", "deny")]).await;
    let l = As::new(&admin.raw, &limited);
    l.delete(&format!("{base}/folders/{a}?recursive=true")).await.expect(403, ErrorCode::Forbidden);
    l.delete(&format!("{base}/folders/{b}?recursive=true")).await.expect(403, ErrorCode::Forbidden);
    assert_eq!(folders().await.len(), 3);
    o.get(&format!("{base}/entries/{}", id_of(&top))).await.expect_ok();
    let download = format!("{deep_path}/attachments/{attachment}");
    assert_eq!(o.raw.get_bytes(&download, Some(o.token)).await, b"key");

    // The owner deletes it recursively: the sub-folders, the entries and their attachments go; the rest stays.
    o.delete(&format!("{base}/folders/{a}?recursive=true")).await.expect_ok();
    assert!(folders().await.is_empty());
    for e in [&top, &deep] {
        o.get(&format!("{base}/entries/{}", id_of(e))).await.expect(404, ErrorCode::NotFound);
    }
    o.get(&download).await.expect(404, ErrorCode::NotFound);
    o.get(&format!("{base}/entries/{}", id_of(&outside))).await.expect_ok();
    assert_eq!(databases(&admin).await["Tree"]["entries"].as_u64(), Some(1));
    assert_attachment_gone(server, &db, &attachment).await;
}

/// Looks in the store itself (SQLite: a second handle on the file) that the attachment's contents are gone, not
/// only unreachable through its deleted entry.
async fn assert_attachment_gone(server: &TestServer, db: &str, attachment: &str) {
    use tresor_core::vault::store::VaultStore;
    if !matches!(server.engine, Engine::Sqlite) {
        return;
    }
    let store = tresor_store_sqlite::open(&server.data_path().join("tresor.db")).await.unwrap();
    let chunk = store.attachment_chunk(db.parse().unwrap(), attachment.parse().unwrap(), 0).await.unwrap();
    assert!(chunk.is_none(), "the attachment's contents outlived its folder");
}
