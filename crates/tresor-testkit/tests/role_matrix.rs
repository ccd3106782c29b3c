//! Every admin route walked with every kind of caller: no session, a garbage token, each server role, a user
//! who must change the password first, and the super administrator. Allowed ↔ the table below says so.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::{Body, Raw};
use serde_json::{Value, json};
use tresor_api::{ErrorCode, Role};
use tresor_testkit::{ADMIN_PASSWORD, Options, TestServer, USER_PASSWORD};

/// What a route needs (crates/tresor-core/src/caller.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// `ViewServer`: any server role.
    View,
    /// `ManageAccounts`: Account Administrator or Server Administrator.
    Accounts,
    /// `ManageSessions`: Account Administrator or Server Administrator.
    Sessions,
    /// `ManageDatabases`: Database Administrator or Server Administrator (the super administrator too).
    Databases,
    /// One database's properties and permissions: `ManageDatabases`, or "grant admin rights" on it. Anyone else is
    /// told there is no such database, so that its name is not revealed.
    OneDatabase,
    /// `ManageServer`: Server Administrator (the super administrator too).
    Server,
    /// `ReadLog`: Event Log Reader or Server Administrator (the super administrator too).
    Log,
}

/// Every admin route, in an order where each allowed caller's request succeeds on its own fixtures: `{u}` is a
/// plain user, `{g}` and `{g2}` two groups, `{sid}` a live session of `{u}`, `{d}` a database where `{u}` and `{g}`
/// hold a grant, `{dsid}` another session of `{u}` that has `{d}` open, `{le}` an entry of `{d}` that session holds
/// the lock of, `{n}` a notification, `{c}` the caller's tag.
const ROUTES: &[(&str, &str, Option<&str>, Need)] = &[
    ("GET", "/api/v1/admin/users", None, Need::Accounts),
    ("POST", "/api/v1/admin/users", Some(r#"{"account":"new-{c}","password":"new-password-1"}"#), Need::Accounts),
    ("GET", "/api/v1/admin/users/{u}", None, Need::Accounts),
    ("PATCH", "/api/v1/admin/users/{u}", Some(r#"{"full_name":"changed by {c}"}"#), Need::Accounts),
    ("GET", "/api/v1/admin/groups", None, Need::Accounts),
    ("POST", "/api/v1/admin/groups", Some(r#"{"name":"new-{c}"}"#), Need::Accounts),
    ("GET", "/api/v1/admin/groups/{g}", None, Need::Accounts),
    ("PATCH", "/api/v1/admin/groups/{g}", Some(r#"{"description":"changed by {c}"}"#), Need::Accounts),
    ("PUT", "/api/v1/admin/groups/{g}/members/users/{u}", None, Need::Accounts),
    ("DELETE", "/api/v1/admin/groups/{g}/members/users/{u}", None, Need::Accounts),
    ("PUT", "/api/v1/admin/groups/{g}/members/groups/{g2}", None, Need::Accounts),
    ("DELETE", "/api/v1/admin/groups/{g}/members/groups/{g2}", None, Need::Accounts),
    ("GET", "/api/v1/admin/databases", None, Need::Databases),
    ("POST", "/api/v1/admin/databases", Some(r#"{"name":"new-db-{c}"}"#), Need::Databases),
    ("GET", "/api/v1/admin/databases/{d}", None, Need::OneDatabase),
    ("PATCH", "/api/v1/admin/databases/{d}", Some(r#"{"comments":"changed by {c}"}"#), Need::OneDatabase),
    ("GET", "/api/v1/admin/databases/{d}/folders", None, Need::OneDatabase),
    ("GET", "/api/v1/admin/databases/{d}/grants", None, Need::OneDatabase),
    ("PUT", "/api/v1/admin/databases/{d}/grants", Some(GROUP_READ), Need::OneDatabase),
    ("GET", "/api/v1/admin/databases/{d}/rights?user={u}", None, Need::OneDatabase),
    ("GET", "/api/v1/admin/databases/{d}/locks", None, Need::OneDatabase),
    ("DELETE", "/api/v1/admin/databases/{d}/locks/{le}", None, Need::OneDatabase),
    ("DELETE", "/api/v1/admin/databases/{d}/connections/{dsid}", None, Need::OneDatabase),
    ("DELETE", "/api/v1/admin/databases/{d}/grants/users/{u}", None, Need::OneDatabase),
    ("DELETE", "/api/v1/admin/databases/{d}/grants/groups/{g}", None, Need::OneDatabase),
    ("POST", "/api/v1/admin/assign", Some(ASSIGN), Need::Databases),
    ("GET", "/api/v1/admin/policy", None, Need::Databases),
    ("PATCH", "/api/v1/admin/policy", Some(r#"{"permissions":{"print":"undefined"}}"#), Need::Databases),
    ("POST", "/api/v1/admin/policy/restore", None, Need::Databases),
    ("GET", "/api/v1/admin/vault-settings", None, Need::Databases),
    ("PATCH", "/api/v1/admin/vault-settings", Some(r#"{"private_database_for_new_users":false}"#), Need::Databases),
    ("DELETE", "/api/v1/admin/databases/{d}", None, Need::Databases),
    ("GET", "/api/v1/admin/sessions", None, Need::Sessions),
    ("DELETE", "/api/v1/admin/sessions/{sid}", None, Need::Sessions),
    ("PUT", "/api/v1/admin/users/{u}/password", Some(r#"{"password":"reset-password-1"}"#), Need::Accounts),
    ("DELETE", "/api/v1/admin/groups/{g2}", None, Need::Accounts),
    ("DELETE", "/api/v1/admin/users/{u}", None, Need::Accounts),
    ("GET", "/api/v1/admin/info", None, Need::View),
    ("GET", "/api/v1/admin/jobs", None, Need::View),
    ("GET", "/api/v1/admin/signin-settings", None, Need::Server),
    (
        "PATCH",
        "/api/v1/admin/signin-settings",
        Some(r#"{"protection":{"failed_login_limit":10,"attempts_per_minute":600,"attempt_burst":200}}"#),
        Need::Server,
    ),
    ("POST", "/api/v1/admin/pause", None, Need::Server),
    ("POST", "/api/v1/admin/continue", None, Need::Server),
    ("GET", "/api/v1/admin/mail-settings", None, Need::Server),
    (
        "PUT",
        "/api/v1/admin/mail-settings",
        Some(r#"{"sender_address":"tresor@example.com","host":"127.0.0.1","port":{smtp},"tls":"none"}"#),
        Need::Server,
    ),
    ("POST", "/api/v1/admin/mail-settings/test", Some(r#"{"to":"{c}@example.com"}"#), Need::Server),
    ("GET", "/api/v1/admin/log?event=628&severity=info&limit=5", None, Need::Log),
    ("GET", "/api/v1/admin/log/export?format=csv&user={u}", None, Need::Log),
    ("GET", "/api/v1/admin/log/verify", None, Need::Log),
    ("GET", "/api/v1/admin/log-settings", None, Need::Log),
    ("PUT", "/api/v1/admin/log-settings", Some(LOG_SETTINGS), Need::Server),
    ("GET", "/api/v1/admin/notifications", None, Need::Server),
    ("POST", "/api/v1/admin/notifications", Some(NOTIFICATION), Need::Server),
    ("GET", "/api/v1/admin/notifications/{n}", None, Need::Server),
    ("PUT", "/api/v1/admin/notifications/{n}", Some(NOTIFICATION), Need::Server),
    ("DELETE", "/api/v1/admin/notifications/{n}", None, Need::Server),
    ("GET", "/api/v1/admin/users/{u2}/two-factor", None, Need::Accounts),
    ("DELETE", "/api/v1/admin/users/{u2}/two-factor", None, Need::Accounts),
];

const LOG_SETTINGS: &str = r#"{"files":true,"max_file_kb":1024,"new_file":"daily","keep_days":90,"remote":null}"#;
// Nothing is mailed: the mail test below counts the messages the mail server received.
const NOTIFICATION: &str =
    r#"{"event":306,"recipients":["{c}@example.com"],"send_email":false,"trigger":{"groups":["{g}"]}}"#;
const GROUP_READ: &str = r#"{"grants":[{"object":{"kind":"database"},"subject":{"kind":"group","name":"{g}"},
    "permission":"read","setting":"allow"}]}"#;
const ASSIGN: &str = r#"{"users":["{u}"],"database":{"kind":"existing","name":"{d}"},"permissions":["access"]}"#;

/// How a caller's request ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Passes the role check: a 2xx answer.
    Ok,
    /// Refused with this status and code.
    No(u16, ErrorCode),
}

const OK: Outcome = Outcome::Ok;
const NO_SESSION: Outcome = Outcome::No(401, ErrorCode::Unauthenticated);
const FORBIDDEN: Outcome = Outcome::No(403, ErrorCode::Forbidden);
const NOT_FOUND: Outcome = Outcome::No(404, ErrorCode::NotFound);
const CHANGE_FIRST: Outcome = Outcome::No(403, ErrorCode::PasswordChangeRequired);

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Who {
    NoToken,
    GarbageToken,
    /// A user with these roles; `must_change` leaves the forced password change pending.
    User {
        roles: &'static [Role],
        must_change: bool,
    },
    SuperAdmin,
}

struct Row {
    tag: &'static str,
    who: Who,
    view: Outcome,
    accounts: Outcome,
    sessions: Outcome,
    databases: Outcome,
    server: Outcome,
    log: Outcome,
}

const fn user(roles: &'static [Role]) -> Who {
    Who::User { roles, must_change: false }
}

/// A user who has not yet made the forced password change.
const fn pending(roles: &'static [Role]) -> Who {
    Who::User { roles, must_change: true }
}

#[rustfmt::skip]
const CALLERS: &[Row] = &[
    //    tag             who                                                             info          accounts      sessions      databases     server      log
    Row { tag: "anon",  who: Who::NoToken,                                          view: NO_SESSION, accounts: NO_SESSION, sessions: NO_SESSION, databases: NO_SESSION, server: NO_SESSION, log: NO_SESSION },
    Row { tag: "junk",  who: Who::GarbageToken,                                     view: NO_SESSION, accounts: NO_SESSION, sessions: NO_SESSION, databases: NO_SESSION, server: NO_SESSION, log: NO_SESSION },
    Row { tag: "plain", who: user(&[]),                                             view: FORBIDDEN,  accounts: FORBIDDEN,  sessions: FORBIDDEN,  databases: FORBIDDEN, server: FORBIDDEN, log: FORBIDDEN },
    Row { tag: "sa",    who: user(&[Role::ServerAdministrator]),                    view: OK,         accounts: OK,         sessions: OK,         databases: OK, server: OK, log: OK },
    Row { tag: "dba",   who: user(&[Role::DatabaseAdministrator]),                  view: OK,         accounts: FORBIDDEN,  sessions: FORBIDDEN,  databases: OK, server: FORBIDDEN, log: FORBIDDEN },
    Row { tag: "aa",    who: user(&[Role::AccountAdministrator]),                   view: OK,         accounts: OK,         sessions: OK,         databases: FORBIDDEN, server: FORBIDDEN, log: FORBIDDEN },
    Row { tag: "elr",   who: user(&[Role::EventLogReader]),                         view: OK,         accounts: FORBIDDEN,  sessions: FORBIDDEN,  databases: FORBIDDEN, server: FORBIDDEN, log: OK },
    Row { tag: "dirop", who: user(&[Role::DirectoryOperator, Role::AccountAdministrator]),  view: OK,     accounts: OK,         sessions: OK,         databases: FORBIDDEN, server: FORBIDDEN, log: FORBIDDEN },
    Row { tag: "dbdir", who: user(&[Role::DirectoryOperator, Role::DatabaseAdministrator]), view: OK,     accounts: FORBIDDEN,  sessions: FORBIDDEN,  databases: OK, server: FORBIDDEN, log: FORBIDDEN },
    Row { tag: "pend",  who: pending(&[Role::ServerAdministrator]),                 view: CHANGE_FIRST, accounts: CHANGE_FIRST, sessions: CHANGE_FIRST, databases: CHANGE_FIRST, server: CHANGE_FIRST, log: CHANGE_FIRST },
    Row { tag: "super", who: Who::SuperAdmin,                                       view: OK,         accounts: OK,         sessions: OK,         databases: OK, server: OK, log: OK },
];

impl Row {
    fn expect(&self, need: Need) -> Outcome {
        match need {
            Need::View => self.view,
            Need::Accounts => self.accounts,
            Need::Sessions => self.sessions,
            Need::Databases => self.databases,
            Need::OneDatabase if self.databases == FORBIDDEN => NOT_FOUND,
            Need::OneDatabase => self.databases,
            Need::Server => self.server,
            Need::Log => self.log,
        }
    }
}

/// The fixtures one caller works on, made by the super administrator.
struct Fixtures {
    user: String,
    group: String,
    group2: String,
    session: String,
    database: String,
    database_session: String,
    locked_entry: String,
    notification: String,
}

async fn fixtures(server: &TestServer, raw: &Raw, admin: &str, tag: &str) -> Fixtures {
    let user = format!("target-{tag}");
    let body = json!({"account": user, "password": USER_PASSWORD, "options": {"must_change_password": false}});
    raw.send("POST", "/api/v1/admin/users", Some(admin), Body::Json(&body.to_string())).await.expect_ok();
    // The target of the second-factor routes, which run after `{u}` is deleted.
    let body = json!({"account": format!("{user}-2fa"), "password": USER_PASSWORD});
    raw.send("POST", "/api/v1/admin/users", Some(admin), Body::Json(&body.to_string())).await.expect_ok();
    let (group, group2) = (format!("group-{tag}"), format!("group2-{tag}"));
    for name in [&group, &group2] {
        let body = json!({"name": name}).to_string();
        raw.send("POST", "/api/v1/admin/groups", Some(admin), Body::Json(&body)).await.expect_ok();
    }
    let session = common::login(server, &user, USER_PASSWORD, tresor_api::ClientKind::Api).await.session.id;
    let database = format!("db-{tag}");
    let body = json!({"name": database}).to_string();
    raw.send("POST", "/api/v1/admin/databases", Some(admin), Body::Json(&body)).await.expect_ok();
    let grant = |subject: Value| json!({"object": {"kind": "database"}, "subject": subject, "permission": "access", "setting": "allow"});
    let grant_user = |permission: &str| json!({"object": {"kind": "database"}, "subject": {"kind": "user", "name": user}, "permission": permission, "setting": "allow"});
    let grants = json!({"grants": [grant(json!({"kind": "user", "name": user})), grant_user("read"), grant_user("add"),
        grant_user("modify"), grant(json!({"kind": "group", "name": group}))]});
    let path = format!("/api/v1/admin/databases/{database}/grants");
    raw.send("PUT", &path, Some(admin), Body::Json(&grants.to_string())).await.expect_ok();
    // A second session of the user opens the database, so that it shows as connected.
    let opened = common::login(server, &user, USER_PASSWORD, tresor_api::ClientKind::Api).await;
    raw.get(&format!("/api/v1/vault/databases/{database}/folders"), Some(&opened.token)).await.expect_ok();
    // That session also edits an entry: it holds its lock.
    let entries = format!("/api/v1/vault/databases/{database}/entries");
    let created = raw.send("POST", &entries, Some(&opened.token), Body::Json(r#"{"title":"locked"}"#)).await;
    let locked_entry = created.expect_ok()["id"].as_str().unwrap().to_owned();
    let lock = format!("{entries}/{locked_entry}/lock");
    raw.send("POST", &lock, Some(&opened.token), Body::None).await.expect_ok();
    let body = json!({"event": 306, "recipients": [format!("{tag}@example.com")], "send_email": false}).to_string();
    let added = raw.send("POST", "/api/v1/admin/notifications", Some(admin), Body::Json(&body)).await;
    let notification = added.expect_ok()["id"].to_string();
    Fixtures { user, group, group2, session, database, database_session: opened.session.id, locked_entry, notification }
}

async fn caller_token(server: &TestServer, raw: &Raw, admin: &str, row: &Row) -> Option<String> {
    match row.who {
        Who::NoToken => None,
        Who::GarbageToken => Some("not-a-token-0123456789abcdef".to_owned()),
        Who::SuperAdmin => Some(common::token(server, "admin", ADMIN_PASSWORD).await),
        Who::User { roles, must_change } => {
            let account = format!("caller-{}", row.tag);
            let body = json!({"account": account, "password": USER_PASSWORD, "roles": roles,
                "options": {"must_change_password": must_change}});
            raw.send("POST", "/api/v1/admin/users", Some(admin), Body::Json(&body.to_string())).await.expect_ok();
            Some(common::token(server, &account, USER_PASSWORD).await)
        }
    }
}

#[tokio::test]
async fn every_admin_route_with_every_kind_of_caller() {
    let server = TestServer::start_with(Options { seats: 60, ..Options::default() }).await;
    let raw = Raw::new(&server);
    let admin = common::admin_token(&server).await;
    // The mail test needs a mail server that accepts; a refused caller's test must not reach it.
    let Some(smtp) = tresor_testkit::smtp::SmtpSink::start() else { return };
    let mut failures = Vec::new();
    for row in CALLERS {
        let token = caller_token(&server, &raw, &admin, row).await;
        let f = fixtures(&server, &raw, &admin, row.tag).await;
        for &(method, path, body, need) in ROUTES {
            let path = path
                .replace("{u2}", &format!("{}-2fa", f.user))
                .replace("{u}", &f.user)
                .replace("{g2}", &f.group2)
                .replace("{g}", &f.group)
                .replace("{sid}", &f.session)
                .replace("{dsid}", &f.database_session)
                .replace("{le}", &f.locked_entry)
                .replace("{d}", &f.database)
                .replace("{n}", &f.notification);
            let body = body.map(|b| {
                b.replace("{c}", row.tag)
                    .replace("{u}", &f.user)
                    .replace("{g}", &f.group)
                    .replace("{d}", &f.database)
                    .replace("{smtp}", &smtp.port().to_string())
            });
            let body = body.as_deref().map_or(Body::None, Body::Json);
            let answer = raw.send(method, &path, token.as_deref(), body).await;
            let got = match answer.status {
                200..=299 => Outcome::Ok,
                s => Outcome::No(s, answer.code().and_then(code_of).unwrap_or(ErrorCode::Internal)),
            };
            let want = row.expect(need);
            if got != want {
                failures
                    .push(format!("{} {method} {path}: want {want:?}, got {} {}", row.tag, answer.status, answer.text));
            }
        }
        if row.accounts != OK {
            nothing_changed(&raw, &admin, &f, row.tag).await;
        }
        if row.server != OK {
            let kept = raw.get(&format!("/api/v1/admin/notifications/{}", f.notification), Some(&admin)).await;
            assert_eq!(kept.expect_ok()["send_email"], false, "{} changed or deleted the notification", row.tag);
        }
        if row.databases != OK {
            no_database_changed(&raw, &admin, &f, row.tag, row.accounts != OK).await;
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    // Only the callers allowed to test the mail settings reached the mail server.
    let mut to: Vec<String> =
        smtp.wait_for_messages(2, std::time::Duration::from_secs(10)).await.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["sa@example.com", "super@example.com"]);
}

/// A refused caller left its fixtures as they were: the user, its session and both groups still exist, unchanged.
async fn nothing_changed(raw: &Raw, admin: &str, f: &Fixtures, tag: &str) {
    let user = raw.get(&format!("/api/v1/admin/users/{}", f.user), Some(admin)).await;
    assert_eq!(user.expect_ok()["full_name"], "", "{tag} changed the user");
    let group = raw.get(&format!("/api/v1/admin/groups/{}", f.group), Some(admin)).await;
    assert_eq!(group.expect_ok()["description"], "", "{tag} changed the group");
    raw.get(&format!("/api/v1/admin/groups/{}", f.group2), Some(admin)).await.expect_ok();
    for name in [format!("new-{tag}")] {
        let u = raw.get(&format!("/api/v1/admin/users/{name}"), Some(admin)).await;
        u.expect(404, ErrorCode::NotFound);
        let g = raw.get(&format!("/api/v1/admin/groups/{name}"), Some(admin)).await;
        g.expect(404, ErrorCode::NotFound);
    }
    let sessions = raw.get("/api/v1/admin/sessions", Some(admin)).await;
    let live = sessions.expect_ok()["sessions"].as_array().unwrap().iter().any(|s| s["id"] == f.session.as_str());
    assert!(live, "{tag} ended the session of {}", f.user);
}

/// A refused caller left the vault fixtures as they were: the database with its comments, its grants and the
/// connection; no new database. `user_kept`: the caller could not delete the user (which takes its grants along).
async fn no_database_changed(raw: &Raw, admin: &str, f: &Fixtures, tag: &str, user_kept: bool) {
    let db = raw.get(&format!("/api/v1/admin/databases/{}", f.database), Some(admin)).await;
    let db = db.expect_ok();
    assert_eq!(db["database"]["comments"], "", "{tag} changed the database");
    let connected = db["connections"].as_array().unwrap().iter().any(|c| c["session"] == f.database_session.as_str());
    assert!(connected || !user_kept, "{tag} disconnected {} from the database", f.user);
    let grants = raw.get(&format!("/api/v1/admin/databases/{}/grants", f.database), Some(admin)).await;
    let grants = grants.expect_ok()["grants"].as_array().unwrap().clone();
    let mut held: Vec<String> =
        grants.iter().map(|g| format!("{} {} {}", g["subject"]["kind"], g["permission"], g["setting"])).collect();
    held.sort();
    let mut want = vec![r#""group" "access" "allow""#];
    if user_kept {
        want.extend([
            r#""user" "access" "allow""#,
            r#""user" "add" "allow""#,
            r#""user" "modify" "allow""#,
            r#""user" "read" "allow""#,
        ]);
    }
    assert_eq!(held, want, "{tag} changed the grants");
    let new = raw.get(&format!("/api/v1/admin/databases/new-db-{tag}"), Some(admin)).await;
    new.expect(404, ErrorCode::NotFound);
}

fn code_of(s: &str) -> Option<ErrorCode> {
    serde_json::from_value(Value::String(s.to_owned())).ok()
}

/// A new admin route must join the table: the served OpenAPI document lists no admin operation the table lacks.
#[tokio::test]
async fn the_table_covers_every_admin_route() {
    let server = TestServer::start().await;
    let doc = server.client().openapi().await.unwrap();
    let shape = |path: &str| {
        let mut out = String::new();
        let mut in_param = false;
        let path = path.split('?').next().unwrap_or_default();
        for c in path.chars() {
            match c {
                '{' => (in_param, out) = (true, out + "{}"),
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    };
    let table: Vec<(String, String)> = ROUTES.iter().map(|(m, p, _, _)| (m.to_lowercase(), shape(p))).collect();
    let mut missing = Vec::new();
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            documented += 1;
            if !table.contains(&(method.clone(), shape(path))) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "admin routes missing from the role matrix: {missing:?}");
    assert_eq!(documented, ROUTES.len(), "the table has routes the document does not describe");
}
