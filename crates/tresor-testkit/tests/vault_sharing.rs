//! Sharing an entry through the real server: a user holding `share` on an entry gives a user or group rights on it,
//! never more than the user holds (403 naming the first missing right), optionally for a period that ends by itself;
//! without `share` it is 403, on an entry the user cannot see 404, a window that is empty or over 422; taking a
//! share back removes the access; a share cannot lift an administrator's denial; 623 and 622 are in the log. Runs
//! on SQLite and, when `TRESOR_TEST_POSTGRES_URL` is set, PostgreSQL. The window's end is also proved with a clock
//! the test moves, on the services themselves.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod audit_support;
mod common;

use std::time::{Duration, Instant};

use audit_support::{Log, Want, by};
use common::vault::{Admin, As, User, grant, rfc3339, unix_now};
use serde_json::{Value, json};
use tresor_api::ErrorCode;
use tresor_core::accounts::{AccountOptionsPatch, NewUser};
use tresor_core::permissions::Permission;
use tresor_core::session::ClientKind;
use tresor_core::signin::LoginRequest;
use tresor_core::vault::service::{AssignTarget, EntryInput, ManageDatabases, ShareRequest, SubjectKey};
use tresor_core::vault::{EntryBody, EntryType};
use tresor_core::{Caller, CoreError, LoginStep, ManageAccounts, Timestamp};
use tresor_crypto::SecretString;
use tresor_testkit::TestServer;
use tresor_testkit::core_auth::{CoreAuth, LOCAL};

const MISSING: &str = "00000000-0000-4000-8000-000000000000";

fn share_body(subject: (&str, &str), permissions: &[&str]) -> Value {
    json!({"subject": {"kind": subject.0, "name": subject.1}, "permissions": permissions})
}

async fn sharing(server: &TestServer) {
    let admin = Admin::new(server).await;
    let client_admin = server.admin().await;
    let start = Log::read(&client_admin, 0).await.end();
    let mut users = Vec::new();
    for account in ["alice", "bob", "carol", "dave", "frank"] {
        users.push(admin.user(server, account, &[]).await);
    }
    let [alice, bob, carol, dave, frank] = <[User; 5]>::try_from(users).unwrap();
    let ops = admin.group("ops", false).await;
    admin.add_user_to_group(&ops, &carol.id).await;
    let db = admin.database("Shared").await;
    let mut grants: Vec<Value> =
        ["access", "read", "add", "modify", "share"].map(|p| grant(None, alice.subject(), p, "allow")).to_vec();
    grants.extend(["access", "read"].map(|p| grant(None, dave.subject(), p, "allow")));
    admin.grant(&db, grants).await;
    let (a, b, c, d, f) = (
        As::new(&admin.raw, &alice),
        As::new(&admin.raw, &bob),
        As::new(&admin.raw, &carol),
        As::new(&admin.raw, &dave),
        As::new(&admin.raw, &frank),
    );
    let router =
        a.entry(&db, &json!({"title": "Router", "password": "router-pw-1"})).await["id"].as_str().unwrap().to_owned();
    let entry = format!("/api/v1/vault/databases/{db}/entries/{router}");
    let shares = format!("{entry}/shares");
    b.get(&entry).await.expect(404, ErrorCode::NotFound);

    // Alice shares what she holds; bob then sees and reads the entry, and the database opens for him.
    let shared = a.send("POST", &shares, &share_body(bob.subject(), &["access", "read", "read"])).await;
    let listed = shared.expect_ok();
    assert_eq!(listed["entry"], router.as_str());
    let perms = |l: &Value, who: &str| -> Vec<String> {
        let all = l["shares"].as_array().unwrap();
        all.iter().filter(|g| g["subject"]["name"] == who).map(|g| g["permission"].as_str().unwrap().into()).collect()
    };
    assert_eq!(perms(listed, "bob"), ["access", "read"], "{listed}");
    let seen = b.get(&format!("{entry}?reveal=true")).await;
    assert_eq!(seen.expect_ok()["password"]["value"], "router-pw-1");
    let listing = b.get(&format!("/api/v1/vault/databases/{db}/entries")).await;
    assert_eq!(listing.expect_ok()["total"], 1);
    // What bob got is exactly that: he may not change it, nor share it on.
    b.send("PATCH", &entry, &json!({"notes": "mine"})).await.expect(403, ErrorCode::Forbidden);

    // More than alice holds: 403 naming the first missing right; nothing is stored.
    let wider = a.send("POST", &shares, &share_body(bob.subject(), &["access", "delete", "seal"])).await;
    wider.expect(403, ErrorCode::Forbidden);
    assert!(wider.message().contains("'delete'") && wider.message().contains("cannot grant"), "{}", wider.text);
    assert_eq!(perms(a.get(&shares).await.expect_ok(), "bob"), ["access", "read"]);

    // Without share: 403 naming it, for sharing, listing and taking back alike.
    for answer in [
        d.send("POST", &shares, &share_body(frank.subject(), &["read"])).await,
        d.get(&shares).await,
        b.delete(&format!("{shares}/user/bob")).await,
    ] {
        answer.expect(403, ErrorCode::Forbidden);
        assert!(answer.message().contains("'share'"), "{}", answer.text);
    }

    // An entry the caller cannot see answers exactly like one that does not exist.
    let vault = a.folder(&db, "Vault", None).await;
    let safe = a.entry(&db, &json!({"title": "Safe", "folder": vault})).await["id"].as_str().unwrap().to_owned();
    admin.grant(&db, vec![grant(Some(("folder", &vault)), alice.subject(), "read", "deny")]).await;
    let hidden = a
        .send(
            "POST",
            &format!("/api/v1/vault/databases/{db}/entries/{safe}/shares"),
            &share_body(bob.subject(), &["read"]),
        )
        .await;
    hidden.expect(404, ErrorCode::NotFound);
    let missing = a
        .send(
            "POST",
            &format!("/api/v1/vault/databases/{db}/entries/{MISSING}/shares"),
            &share_body(bob.subject(), &["read"]),
        )
        .await;
    assert_eq!(missing.text, hidden.text);
    b.get(&format!("/api/v1/vault/databases/{db}/entries/{safe}/shares")).await.expect(404, ErrorCode::NotFound);

    // Bad windows and bad permissions are 422; a time that is not RFC 3339 is 400; unknown people 404.
    let now = unix_now();
    let with_window = |from: Option<i64>, to: Option<i64>| {
        let mut body = share_body(carol.subject(), &["access", "read"]);
        if let Some(from) = from {
            body["valid_from"] = json!(rfc3339(from));
        }
        if let Some(to) = to {
            body["valid_to"] = json!(rfc3339(to));
        }
        body
    };
    for body in [
        with_window(None, Some(now - 60)),
        with_window(Some(now + 3600), Some(now + 60)),
        with_window(Some(now + 60), Some(now + 60)),
        share_body(carol.subject(), &["access", "export"]),
        share_body(carol.subject(), &["add"]),
        share_body(carol.subject(), &[]),
        share_body(alice.subject(), &["read"]),
    ] {
        a.send("POST", &shares, &body).await.expect(422, ErrorCode::ValidationFailed);
    }
    let mut bad_time = share_body(carol.subject(), &["read"]);
    bad_time["valid_to"] = json!("tomorrow");
    a.send("POST", &shares, &bad_time).await.expect(400, ErrorCode::InvalidValue);
    a.send("POST", &shares, &share_body(("user", "nobody"), &["read"])).await.expect(404, ErrorCode::NotFound);
    a.send("POST", &shares, &share_body(("group", "nobody"), &["read"])).await.expect(404, ErrorCode::NotFound);
    let mut unknown = share_body(carol.subject(), &["read"]);
    unknown["role"] = json!("x");
    assert_eq!(a.send("POST", &shares, &unknown).await.status, 400);
    assert!(perms(a.get(&shares).await.expect_ok(), "carol").is_empty(), "nothing was stored");

    // A share cannot lift an administrator's denial for that person on that entry; taking back leaves it.
    admin.grant(&db, vec![grant(Some(("entry", &router)), frank.subject(), "read", "deny")]).await;
    let lift = a.send("POST", &shares, &share_body(frank.subject(), &["access", "read"])).await;
    lift.expect(403, ErrorCode::Forbidden);
    assert!(lift.message().contains("denied"), "{}", lift.text);
    a.delete(&format!("{shares}/user/frank")).await.expect(404, ErrorCode::NotFound);
    f.get(&entry).await.expect(404, ErrorCode::NotFound);

    // A group share for a few seconds: carol sees the entry now, and then, without anyone doing anything, not.
    let until = unix_now() + 6;
    let mut timed = share_body(("group", "ops"), &["access", "read"]);
    timed["valid_to"] = json!(rfc3339(until));
    let listed = a.send("POST", &shares, &timed).await;
    let listed = listed.expect_ok();
    let ops_grant = listed["shares"].as_array().unwrap().iter().find(|g| g["subject"]["name"] == "ops").unwrap();
    assert_eq!(ops_grant["valid_to"], rfc3339(until).as_str(), "{listed}");
    c.get(&entry).await.expect_ok();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = c.get(&entry).await;
        if answer.status == 404 {
            answer.expect(404, ErrorCode::NotFound);
            break;
        }
        answer.expect_ok();
        assert!(Instant::now() < deadline, "the share to ops did not end");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(unix_now() >= until, "the share ended early");

    // Taking bob's share back removes his access; a second time there is nothing to take back.
    a.delete(&format!("{shares}/user/bob")).await.expect_ok();
    b.get(&entry).await.expect(404, ErrorCode::NotFound);
    a.delete(&format!("{shares}/user/bob")).await.expect(404, ErrorCode::NotFound);
    a.delete(&format!("{shares}/robot/bob")).await.expect(400, ErrorCode::InvalidParameter);
    assert!(perms(a.get(&shares).await.expect_ok(), "bob").is_empty());

    // The log names the sharer, the database, the subject and what was given or taken back, by the entry's path.
    let log = Log::read(&client_admin, start).await;
    let to_bob = Want { object: Some(Some("bob")), ..by("alice", "Shared") };
    log.one(
        623,
        &Want { new_object: Some(Some("access Allow on entry Router; read Allow on entry Router")), ..to_bob.clone() },
    );
    log.one(622, &Want { new_object: Some(Some("access on entry Router; read on entry Router")), ..to_bob });
    let to_ops = Want { object: Some(Some("ops")), ..by("alice", "Shared") };
    let timed = format!("access Allow on entry Router until {0}; read Allow on entry Router until {0}", rfc3339(until));
    log.one(623, &Want { new_object: Some(Some(&timed)), ..to_ops });
    log.assert_never_says("router-pw-1");
}

common::on_each_engine!(sharing, seats = 10);

const PASSWORD: &str = "a long test password 1";

/// A ready user of the services, signed in.
async fn user(f: &CoreAuth, account: &str) -> Caller {
    let accounts: ManageAccounts = f.admin.require().unwrap();
    let options = AccountOptionsPatch { must_change_password: Some(false), ..AccountOptionsPatch::default() };
    let new = NewUser { account: account.into(), options, ..NewUser::default() };
    f.accounts.create_user(&accounts, new, SecretString::new(PASSWORD.into())).await.unwrap();
    let password = SecretString::new(PASSWORD.into());
    let request = LoginRequest { account, password, client: ClientKind::Api, address: LOCAL, device_token: None };
    let LoginStep::Session(out) = f.auth.login(request).await.unwrap() else { panic!("no second factor is set") };
    f.auth.authenticate(out.token.expose_secret(), LOCAL).await.unwrap()
}

/// The window, with a clock the test moves: a share counts from its start until its end, and not a millisecond
/// after, with nobody removing it.
#[tokio::test]
async fn a_share_counts_only_inside_its_window() {
    let start = Timestamp::from_millis(1_800_000_000_000);
    let f = CoreAuth::start(start).await;
    let owner = user(&f, "owner").await;
    let guest = user(&f, "guest").await;
    let databases: ManageDatabases = f.admin.require().unwrap();
    let rights = [Permission::Access, Permission::Read, Permission::Add, Permission::Share];
    let target = AssignTarget::New("Vault".into());
    f.vault.assign(&databases, &["owner".into()], &[], target, &rights).await.unwrap();
    let body = EntryBody::new(EntryType::Password, "Bank");
    let entry = f.vault.create_entry(&owner, "Vault", EntryInput { folder: None, body }).await.unwrap().meta.id;

    let minute = Duration::from_secs(60);
    let from = start.saturating_add(minute);
    let to = start.saturating_add(3 * minute);
    let request = ShareRequest {
        subject: SubjectKey::User("guest".into()),
        permissions: vec![Permission::Access, Permission::Read],
        valid_from: Some(from),
        valid_to: Some(to),
    };
    let (_, shares) = f.vault.share_entry(&owner, "Vault", entry, request).await.unwrap();
    assert_eq!(shares.len(), 2);
    let sees = || async { f.vault.entry(&guest, "Vault", entry).await };
    assert!(matches!(sees().await, Err(CoreError::NotFound { .. })), "before its start");
    f.clock.advance(minute);
    assert_eq!(sees().await.unwrap().body.title, "Bank", "from its start");
    f.clock.advance(minute + minute - Duration::from_millis(1));
    sees().await.unwrap();
    f.clock.advance(Duration::from_millis(1));
    assert!(matches!(sees().await, Err(CoreError::NotFound { .. })), "at its end it counts no more");
    // The grant is still stored: it ended by itself, and the owner sees it listed with its window.
    let (_, listed) = f.vault.entry_shares(&owner, "Vault", entry).await.unwrap();
    assert!(listed.iter().all(|g| g.grant.valid_to == Some(to)) && listed.len() == 2);
}
