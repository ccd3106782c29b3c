//! Every event the services record, through the real server: each act done with the client, then found in the
//! server log (read with the client) under its number, with its user, address, database, object, new object and
//! reason — and no record holding a password. Groups (606 for a creation, a change or a member added or removed,
//! 611 for a deletion) and their permissions (623/622) are among them. The access record of monitored databases
//! (305) is checked to be in the log as soon as the secret is out (that it comes first, and that the secret is
//! refused when it cannot be written, is `audit_access.rs`). A short scenario also runs on PostgreSQL when
//! `TRESOR_TEST_POSTGRES_URL` names one: its records, a restart, the filters of `GET /admin/log` and the chain
//! check.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod audit_support;
mod common;

use audit_support::{Log, Want, allow, by, entry, login_request, on_database, refused_login, user};
use common::expect_err;
use serde_json::json;
use tresor_api::{
    AccountOptionsPatch, ChangePasswordRequest, CreateDatabaseRequest, CreateFolderRequest, CreateGroupRequest,
    CreateUserRequest, CustomPasswordChange, ErrorCode, ListQuery, LogFilterQuery, LogPageQuery, LogQuery, LogRecord,
    MailSettingsRequest, MailTls, MoveEntryRequest, PermissionName, PolicyStateName, RightsQuery, Role,
    SecondFactorRequest, SetPasswordRequest, SigninSettingsPatch, SubjectRef, TwoFactorMode, UpdateDatabaseRequest,
    UpdateEntryRequest, UpdateFolderRequest, UpdateGroupRequest, UpdateServerPolicyRequest, UpdateUserRequest,
    UpdateVaultSettingsRequest, WirePassword,
};
use tresor_client::{Client, LoginReply};
use tresor_testkit::{ADMIN_PASSWORD, Engine, Options, TestServer, USER_PASSWORD, postgres_url};

const LOCAL: &str = "127.0.0.1";

async fn server() -> TestServer {
    TestServer::start_with(Options { seats: 20, ..Options::default() }).await
}

fn is_unknown(id: &Option<String>) -> bool {
    id.as_deref().unwrap_or_default().is_empty()
}

#[tokio::test]
async fn signing_in_is_recorded_with_the_account_the_address_and_the_reason() {
    let server = server().await;
    let admin = server.admin().await;
    let start = Log::read(&admin, 0).await;
    let first = start.one(621, &Want { user: Some(None), ..Want::default() });
    assert_eq!(first.new_object.as_deref(), Some("first start"));
    // The super administrator manages the server: its log on is 601, and its first password change is 104.
    let admin_on = start.one(601, &Want { user: Some(Some("admin")), ..Want::default() });
    assert_eq!((admin_on.address.as_deref(), admin_on.new_object.as_deref()), (Some(LOCAL), Some("api client")));
    start.one(
        104,
        &Want { user: Some(Some("admin")), new_object: Some(Some("changed by the user")), ..Want::default() },
    );

    let alice = user(&server, &admin, "alice").await;
    let sam = server.create_user(&admin, "sam", &[Role::ServerAdministrator]).await;
    refused_login(&server, "alice", "not her password").await;
    refused_login(&server, "nobody", "any password").await;
    let strong = "Tresor-audit-Passw0rd-alice";
    let change = ChangePasswordRequest {
        current_password: WirePassword::new(USER_PASSWORD),
        new_password: WirePassword::new(strong),
    };
    let guessed = ChangePasswordRequest { current_password: WirePassword::new("not her old one"), ..change.clone() };
    alice.change_password(&guessed).await.unwrap_err();
    alice.change_password(&change).await.unwrap();
    // A second session of alice's, ended by the administrator (613); she logs out of the first herself (102).
    let alice_too = server.login("alice", strong).await.unwrap();
    let second = alice_too.me().await.unwrap().session.id;
    admin.delete_session(&second).await.unwrap();
    drop(alice_too);
    alice.logout().await.unwrap();
    sam.logout().await.unwrap();

    let log = Log::read(&admin, start.end()).await;
    let alice_id = log.one(608, &Want { object: Some(Some("alice")), ..Want::default() }).object_id.clone();
    // Two log ons: with the first password and with the changed one.
    let ons: Vec<_> = log.of(101).into_iter().filter(|r| r.user.as_deref() == Some("alice")).collect();
    assert_eq!(ons.len(), 2, "{ons:#?}");
    assert!(
        ons.iter().all(|on| on.address.as_deref() == Some(LOCAL) && on.new_object.as_deref() == Some("api client"))
    );
    assert!(ons.iter().all(|on| on.user_id == alice_id));
    log.one(601, &Want { user: Some(Some("sam")), ..Want::default() });
    log.one(602, &Want { user: Some(Some("sam")), ..Want::default() });
    let wrong =
        log.one(106, &Want { user: Some(Some("alice")), reason: Some(Some("wrong password")), ..Want::default() });
    assert_eq!((wrong.user_id.clone(), wrong.address.as_deref()), (alice_id.clone(), Some(LOCAL)));
    let unknown = log.one(106, &Want { user: Some(Some("nobody")), ..Want::default() });
    assert!(is_unknown(&unknown.user_id), "{unknown:?}");
    assert_eq!(unknown.reason.as_deref(), Some("unknown account"));
    let current = "wrong current password at a password change";
    let guess = log.one(106, &Want { user: Some(Some("alice")), reason: Some(Some(current)), ..Want::default() });
    assert_eq!((guess.user_id.clone(), guess.address.as_deref()), (alice_id.clone(), Some(LOCAL)));
    let out = log.one(102, &Want { user: Some(Some("alice")), object: Some(None), ..Want::default() });
    assert_eq!((out.address.as_deref(), out.new_object.as_deref()), (Some(LOCAL), Some("api client")));
    assert_eq!(out.user_id, alice_id);
    let own = log.one(104, &Want { user: Some(Some("alice")), ..Want::default() });
    assert_eq!((own.object.as_deref(), own.new_object.as_deref()), (Some("alice"), Some("changed by the user")));
    let cut = log.one(613, &Want { user: Some(Some("admin")), object: Some(Some("alice")), ..Want::default() });
    assert_eq!(cut.new_object.as_deref(), Some("disconnected by an administrator"));
    log.assert_never_says("not her password");
    log.assert_never_says("not her old one");
    log.assert_never_says(strong);
}

#[tokio::test]
async fn lockouts_refusals_and_second_factors_are_recorded() {
    let server = server().await;
    let admin = server.admin().await;
    for account in ["carol", "dave", "erin"] {
        user(&server, &admin, account).await;
    }
    let fay = CreateUserRequest {
        account: "fay".into(),
        password: WirePassword::new(USER_PASSWORD),
        email: "fay@example.com".into(),
        options: AccountOptionsPatch { must_change_password: Some(false), ..Default::default() },
        ..Default::default()
    };
    admin.create_user(&fay).await.unwrap();
    let start = Log::read(&admin, 0).await.end();

    // Failed log ons up to the limit deactivate the account (108); its right password is then refused (106).
    let mut protection = admin.signin_settings().await.unwrap().protection;
    protection.failed_login_limit = 2;
    let patch = SigninSettingsPatch { protection: Some(protection), ..Default::default() };
    admin.update_signin_settings(&patch).await.unwrap();
    refused_login(&server, "carol", "guess one").await;
    refused_login(&server, "carol", "guess two").await;
    refused_login(&server, "carol", USER_PASSWORD).await;
    let again =
        SetPasswordRequest { password: WirePassword::new("Tresor-audit-Passw0rd-carol"), must_change_password: None };
    admin.set_user_password("carol", &again).await.unwrap();
    let reactivate = UpdateUserRequest {
        options: Some(AccountOptionsPatch { deactivated: Some(false), ..Default::default() }),
        ..Default::default()
    };
    admin.update_user("carol", &reactivate).await.unwrap();

    // An authenticator code that is wrong (107); e-mailed codes that cannot be sent (109).
    let mail = MailSettingsRequest {
        sender_name: "Tresor".into(),
        sender_address: "tresor@example.com".into(),
        host: "127.0.0.1".into(),
        port: 1,
        tls: MailTls::None,
        username: "mailer".into(),
        password: Some(WirePassword::new("smtp-secret-1")),
        ca_pem: String::new(),
    };
    admin.update_mail_settings(&mail).await.unwrap();
    let mut two_factor = admin.signin_settings().await.unwrap().two_factor;
    two_factor.mode = TwoFactorMode::Totp;
    let patch = SigninSettingsPatch { two_factor: Some(two_factor.clone()), ..Default::default() };
    admin.update_signin_settings(&patch).await.unwrap();
    let LoginReply::SecondFactor(challenge) =
        server.client().login_step(&login_request("dave", USER_PASSWORD)).await.unwrap()
    else {
        panic!("a second factor is asked for")
    };
    let secret = challenge.enrolment.as_ref().unwrap().secret.clone();
    let answer = SecondFactorRequest {
        challenge: WirePassword::new(challenge.challenge.clone()),
        code: WirePassword::new(not_a_code_of(&secret)),
        remember_device: false,
    };
    expect_err(server.client().login_second_factor(&answer).await, 401, ErrorCode::SecondFactorInvalid);
    two_factor.mode = TwoFactorMode::Email;
    let patch = SigninSettingsPatch { two_factor: Some(two_factor.clone()), ..Default::default() };
    admin.update_signin_settings(&patch).await.unwrap();
    refused_login(&server, "erin", USER_PASSWORD).await;
    refused_login(&server, "fay", USER_PASSWORD).await;
    two_factor.mode = TwoFactorMode::Off;
    admin
        .update_signin_settings(&SigninSettingsPatch { two_factor: Some(two_factor), ..Default::default() })
        .await
        .unwrap();

    // Pause, continue, Reset 2FA, the dashboard and the lists.
    admin.set_paused(true).await.unwrap();
    admin.set_paused(true).await.unwrap();
    refused_login(&server, "erin", USER_PASSWORD).await;
    admin.set_paused(false).await.unwrap();
    admin.reset_user_two_factor("dave").await.unwrap();
    admin.server_info().await.unwrap();
    admin.list_users(&ListQuery::default()).await.unwrap();
    admin.list_groups(&ListQuery::default()).await.unwrap();

    let log = Log::read(&admin, start).await;
    let admin_did =
        |object: &'static str| Want { user: Some(Some("admin")), object: Some(Some(object)), ..Want::default() };
    let settings = log.of(617);
    let changed: Vec<&str> = settings.iter().filter_map(|r| r.new_object.as_deref()).collect();
    assert_eq!(
        changed,
        ["failed logins", "two-factor authentication", "two-factor authentication", "two-factor authentication"]
    );
    assert!(
        settings.iter().all(|r| r.object.as_deref() == Some("Sign-in settings") && r.address.as_deref() == Some(LOCAL))
    );
    let guesses = log.of(106).into_iter().filter(|r| r.user.as_deref() == Some("carol"));
    let reasons: Vec<Option<&str>> = guesses.map(|r| r.reason.as_deref()).collect();
    assert_eq!(reasons, [Some("wrong password"), Some("wrong password"), Some("deactivated")]);
    let locked = log.one(108, &Want { user: Some(Some("carol")), ..Want::default() });
    assert_eq!((locked.object.as_deref(), locked.reason.as_deref()), (Some("carol"), Some("2 failed log ons")));
    let set = log.one(104, &admin_did("carol"));
    assert_eq!(set.new_object.as_deref(), Some("set by an administrator; to be changed at next log on"));
    log.one(608, &Want { new_object: Some(Some("reactivated")), ..admin_did("carol") });
    let mail = log.one(645, &admin_did("Mail settings"));
    assert_eq!(mail.new_object.as_deref(), Some("127.0.0.1:1 as tresor@example.com"));
    let refused = log.one(107, &Want { user: Some(Some("dave")), ..Want::default() });
    assert_eq!(
        (refused.reason.as_deref(), refused.address.as_deref()),
        (Some("wrong authenticator code"), Some(LOCAL))
    );
    let no_address = log.one(109, &Want { user: Some(Some("erin")), ..Want::default() });
    assert_eq!(no_address.reason.as_deref(), Some("the account has no e-mail address"));
    let unsent = log.one(109, &Want { user: Some(Some("fay")), ..Want::default() });
    assert_eq!(unsent.reason.as_deref(), Some("the mail server could not be reached"));
    // Pausing a paused server changes nothing and is not recorded again.
    for event in [614, 615, 627, 625, 626] {
        let done = log.one(event, &Want { user: Some(Some("admin")), object: Some(None), ..Want::default() });
        assert_eq!(done.address.as_deref(), Some(LOCAL));
    }
    log.one(106, &Want { user: Some(Some("erin")), reason: Some(Some("paused")), ..Want::default() });
    log.one(620, &admin_did("dave"));
    log.assert_never_says("smtp-secret-1");
    log.assert_never_says("guess one");
    log.assert_never_says(&secret);
}

/// Six digits that are no code of `secret` near now.
fn not_a_code_of(secret: &str) -> String {
    let key = tresor_crypto::totp::base32_decode(secret).unwrap();
    let now = common::vault::unix_now() as u64;
    let near: Vec<String> = (0..9u64)
        .map(|i| {
            let at = now + i * 30 - 120;
            let (code, _) = tresor_crypto::totp::totp(&key, at, 30, 6, tresor_crypto::totp::OtpHash::Sha1).unwrap();
            code.as_str().to_owned()
        })
        .collect();
    (0..).map(|i: u32| format!("{:06}", (i * 137_911 + 424_242) % 1_000_000)).find(|c| !near.contains(c)).unwrap()
}

#[tokio::test]
async fn the_vault_records_entries_folders_documents_and_their_administration() {
    const SECRET: &str = "hunter2-first-secret";
    const CUSTOM: &str = "custom-db-password-1";
    let server = server().await;
    let admin = server.admin().await;
    let olga = user(&server, &admin, "olga").await;
    let start = Log::read(&admin, 0).await.end();
    let db = admin.create_database(&CreateDatabaseRequest { name: "Team".into(), comments: String::new() }).await;
    let db = db.unwrap().id;
    admin.put_grants(&db, &allow("olga", &["access", "read", "add", "modify", "delete"]), None).await.unwrap();

    olga.vault_databases().await.unwrap();
    olga.folders(&db).await.unwrap();
    olga.folders(&db).await.unwrap();
    let folder =
        |name: &str, parent: Option<&str>| CreateFolderRequest { name: name.into(), parent: parent.map(Into::into) };
    let web = olga.create_folder(&db, &folder("Web", None)).await.unwrap().id;
    let archive = olga.create_folder(&db, &folder("Old", None)).await.unwrap().id;
    let rename = UpdateFolderRequest { name: Some("Archive".into()), ..Default::default() };
    olga.update_folder(&db, &archive, &rename).await.unwrap();
    let github = entry(json!({"title": "GitHub", "folder": web, "password": SECRET}));
    let github = olga.create_entry(&db, &github).await.unwrap().id;
    olga.get_entry(&db, &github, true).await.unwrap();
    let change =
        UpdateEntryRequest { password: Some(WirePassword::new("hunter2-second-secret")), ..Default::default() };
    olga.update_entry(&db, &github, &change).await.unwrap();
    olga.move_entry(&db, &github, &MoveEntryRequest { folder: Some(archive.clone()) }).await.unwrap();
    let before_monitoring = Log::read(&admin, start).await;

    // Database Properties → Advanced: from now on every access to an entry is recorded, before it is answered.
    let monitor = UpdateDatabaseRequest {
        monitor_accesses: Some(true),
        reason_required_on_delete: Some(true),
        ..Default::default()
    };
    admin.update_database(&db, &monitor, None).await.unwrap();
    let shown = olga.get_entry(&db, &github, true).await.unwrap();
    assert_eq!(shown.password.value.as_ref().map(WirePassword::expose_secret), Some("hunter2-second-secret"));
    let at_once = Log::read(&admin, before_monitoring.end()).await;
    at_once.one(305, &Want { object: Some(Some("Archive/GitHub")), ..by("olga", "Team") });
    olga.entry_version(&db, &github, 1, true).await.unwrap();
    olga.restore_entry_version(&db, &github, 1).await.unwrap();
    let otp = entry(json!({"title": "Mail OTP", "totp": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}));
    let otp = olga.create_entry(&db, &otp).await.unwrap().id;
    olga.entry_totp(&db, &otp).await.unwrap();
    let doc = olga.upload_attachment(&db, &github, "key.pem", b"-----BEGIN KEY-----".to_vec()).await.unwrap().id;
    assert_eq!(
        olga.download_attachment(&db, &github, &doc).await.unwrap().bytes().await.unwrap(),
        b"-----BEGIN KEY-----"
    );
    olga.delete_attachment(&db, &github, &doc).await.unwrap();
    olga.delete_entry(&db, &otp, Some("no longer used")).await.unwrap();
    let tmp = olga.create_folder(&db, &folder("Tmp", None)).await.unwrap().id;
    olga.create_folder(&db, &folder("Inner", Some(&tmp))).await.unwrap();
    olga.create_entry(&db, &entry(json!({"title": "Scratch", "folder": tmp, "password": SECRET}))).await.unwrap();
    olga.delete_folder(&db, &tmp, true).await.unwrap();

    // Administration.
    admin.list_databases().await.unwrap();
    admin.admin_folders(&db, None).await.unwrap();
    admin.list_grants(&db, None).await.unwrap();
    let properties = admin.get_database(&db, None).await.unwrap();
    let session = properties.connections.iter().find(|c| c.account == "olga").unwrap().session.clone();
    admin.disconnect_database(&db, &session, None).await.unwrap();
    let custom = CustomPasswordChange { current: None, new: Some(WirePassword::new(CUSTOM)) };
    let custom = UpdateDatabaseRequest { custom_password: Some(custom), ..Default::default() };
    admin.update_database(&db, &custom, None).await.unwrap();
    admin.server_policy().await.unwrap();
    let policy = [(PermissionName::Print, PolicyStateName::Disabled)].into_iter().collect();
    admin.update_server_policy(&UpdateServerPolicyRequest { permissions: policy, ..Default::default() }).await.unwrap();
    let private = UpdateVaultSettingsRequest {
        private_database_for_new_users: Some(true),
        delete_private_database_with_user: Some(true),
        ..Default::default()
    };
    admin.update_vault_settings(&private).await.unwrap();
    user(&server, &admin, "pat").await;
    admin.delete_user("pat").await.unwrap();
    let password = WirePassword::new(CUSTOM);
    admin.revoke_grants(&db, &SubjectRef::User("olga".into()), Some(&password)).await.unwrap();
    admin.delete_database(&db, Some(&password)).await.unwrap();

    let log = Log::read(&admin, start).await;
    let admin_in = |object: Option<&'static str>| Want { object: Some(object), ..by("admin", "Team") };
    log.one(603, &admin_in(None));
    let granted = log.one(623, &admin_in(Some("olga")));
    let all = "access Allow on the database; read Allow on the database; add Allow on the database; \
               modify Allow on the database; delete Allow on the database";
    assert_eq!(granted.new_object.as_deref(), Some(all));
    log.one(103, &Want { user: Some(Some("olga")), ..Want::default() });
    assert_eq!(log.of(203).len(), 1, "one session opens the database once: {:#?}", log.of(203));
    log.one(203, &by("olga", "Team"));
    log.one(404, &Want { object: Some(Some("Web")), ..by("olga", "Team") });
    log.one(403, &Want { object: Some(Some("Old")), new_object: Some(Some("Archive")), ..by("olga", "Team") });
    log.one(304, &Want { object: Some(Some("Web/GitHub")), ..by("olga", "Team") });
    log.one(303, &Want { new_object: Some(Some("version 2: password")), ..by("olga", "Team") });
    let moved =
        Want { object: Some(Some("Web/GitHub")), new_object: Some(Some("Archive/GitHub")), ..by("olga", "Team") };
    log.one(307, &moved);
    assert!(before_monitoring.of(305).is_empty(), "no access is recorded before monitoring is on");
    let properties = log.one(605, &admin_in(Some("Team")));
    assert_eq!(properties.new_object.as_deref(), Some("monitor all accesses: on; reason for deleting: on"));
    let accessed = |object: &'static str, what: Option<&'static str>| Want {
        object: Some(Some(object)),
        new_object: Some(what),
        ..by("olga", "Team")
    };
    for (object, what) in [
        ("Archive/GitHub", None),
        ("Archive/GitHub", Some("version 1")),
        ("Mail OTP", Some("TOTP code")),
        ("Archive/GitHub", Some("document key.pem")),
    ] {
        log.one(305, &accessed(object, what));
    }
    log.one(303, &Want { new_object: Some(Some("version 3: restored from version 1")), ..by("olga", "Team") });
    let received = log.one(501, &Want { object: Some(Some("Archive/GitHub/key.pem")), ..by("olga", "Team") });
    assert_eq!(received.new_object.as_deref(), Some("19 bytes"));
    log.one(502, &Want { object: Some(Some("Archive/GitHub/key.pem")), ..by("olga", "Team") });
    log.one(503, &Want { object: Some(Some("Archive/GitHub/key.pem")), ..by("olga", "Team") });
    log.one(306, &Want { object: Some(Some("Mail OTP")), reason: Some(Some("no longer used")), ..by("olga", "Team") });
    log.one(405, &Want { object: Some(Some("Tmp")), reason: Some(None), ..by("olga", "Team") });
    let with = Some(Some("deleted with the folder Tmp"));
    log.one(405, &Want { object: Some(Some("Tmp/Inner")), reason: with, ..by("olga", "Team") });
    log.one(306, &Want { object: Some(Some("Tmp/Scratch")), reason: with, ..by("olga", "Team") });

    log.one(629, &Want { user: Some(Some("admin")), ..Want::default() });
    for read in ["folder tree", "permissions", "properties"] {
        log.one(618, &Want { new_object: Some(Some(read)), ..admin_in(None) });
    }
    log.one(613, &Want { new_object: Some(Some("disconnected by an administrator")), ..admin_in(Some("olga")) });
    log.one(624, &Want { new_object: Some(Some("custom password set")), ..admin_in(None) });
    log.one(631, &Want { user: Some(Some("admin")), ..Want::default() });
    let policy = log.one(604, &Want { user: Some(Some("admin")), ..Want::default() });
    assert_eq!(
        (policy.object.as_deref(), policy.new_object.as_deref()),
        (Some("Server policies"), Some("print: Disabled"))
    );
    let settings =
        log.one(617, &Want { user: Some(Some("admin")), object: Some(Some("Vault settings")), ..Want::default() });
    let both = "private databases for new users, delete private databases with users";
    assert_eq!(settings.new_object.as_deref(), Some(both));
    let pats = Want { user: Some(Some("admin")), database: Some(Some("pat (private)")), ..Want::default() };
    log.one(603, &Want { new_object: Some(Some("private database of pat")), ..pats.clone() });
    log.one(623, &Want { object: Some(Some("pat")), ..pats.clone() });
    log.one(609, &Want { reason: Some(Some("deleted with its user pat")), ..pats });
    log.one(610, &Want { user: Some(Some("admin")), object: Some(Some("pat")), ..Want::default() });
    log.one(622, &Want { new_object: Some(Some("all 5 permissions removed")), ..admin_in(Some("olga")) });
    log.one(609, &admin_in(None));
    for secret in [SECRET, "hunter2-second-secret", CUSTOM, "BEGIN KEY", "GEZDGNBVGY3TQOJQ"] {
        log.assert_never_says(secret);
    }
}

#[tokio::test]
async fn groups_their_members_and_their_permissions_are_recorded() {
    let server = server().await;
    let admin = server.admin().await;
    user(&server, &admin, "gina").await;
    let db = admin.create_database(&CreateDatabaseRequest { name: "Shared".into(), comments: String::new() }).await;
    let db = db.unwrap().id;
    let start = Log::read(&admin, 0).await.end();

    let group = |name: &str, disabled: bool| CreateGroupRequest { name: name.into(), disabled, ..Default::default() };
    let ops = admin.create_group(&group("Ops", false)).await.unwrap().id;
    let nights = admin.create_group(&group("Night shift", true)).await.unwrap().id;
    let rename = UpdateGroupRequest {
        name: Some("Operations".into()),
        description: Some("Who runs the servers".into()),
        ..Default::default()
    };
    admin.update_group("Ops", &rename).await.unwrap();
    admin.add_group_user("Operations", "gina").await.unwrap();
    admin.add_group_group("Operations", "Night shift").await.unwrap();
    let operations = || json!({"kind": "group", "name": "Operations"});
    admin.put_grants(&db, &on_database(operations(), &[("access", "allow"), ("read", "allow")]), None).await.unwrap();
    let rights = RightsQuery { user: "gina".into(), entry: None, folder: None };
    admin.explain_rights(&db, &rights, None).await.unwrap();
    admin.put_grants(&db, &on_database(operations(), &[("read", "undefined")]), None).await.unwrap();
    admin.remove_group_group("Operations", "Night shift").await.unwrap();
    admin.remove_group_user("Operations", "gina").await.unwrap();
    admin.update_group("Operations", &UpdateGroupRequest { disabled: Some(true), ..Default::default() }).await.unwrap();
    admin.delete_group("Night shift").await.unwrap();
    admin.delete_group(&ops).await.unwrap();

    let log = Log::read(&admin, start).await;
    let admin_did =
        |object: &'static str| Want { user: Some(Some("admin")), object: Some(Some(object)), ..Want::default() };
    let changed = |object: &'static str, what: &'static str| Want { new_object: Some(Some(what)), ..admin_did(object) };
    log.one(606, &changed("Ops", "created"));
    log.one(606, &changed("Night shift", "created; disabled"));
    log.one(606, &changed("Operations", "name: Ops → Operations; description"));
    for what in [
        "member added: user gina",
        "member added: group Night shift",
        "member removed: group Night shift",
        "member removed: user gina",
        "disabled",
    ] {
        log.one(606, &changed("Operations", what));
    }
    assert_eq!(log.of(606).len(), 8, "{:#?}", log.of(606));
    log.one(611, &Want { new_object: Some(None), ..admin_did("Night shift") });
    log.one(611, &Want { new_object: Some(None), ..admin_did("Operations") });
    for record in log.of(606).into_iter().chain(log.of(611)) {
        let id = if record.object.as_deref() == Some("Night shift") { &nights } else { &ops };
        assert_eq!(record.object_id.as_ref(), Some(id), "{record:#?}");
        assert_eq!((record.address.as_deref(), record.database.as_deref()), (Some(LOCAL), None), "{record:#?}");
    }
    let in_shared = Want { object: Some(Some("Operations")), ..by("admin", "Shared") };
    let both = Some(Some("access Allow on the database; read Allow on the database"));
    let set = log.one(623, &Want { new_object: both, ..in_shared.clone() });
    log.one(622, &Want { new_object: Some(Some("read on the database")), ..in_shared });
    assert_eq!(set.object_id.as_ref(), Some(&ops));
    log.one(618, &Want { new_object: Some(Some("effective rights of gina")), ..by("admin", "Shared") });
}

/// A short scenario on PostgreSQL: the records are written, the log goes on after a restart, the filters of
/// `GET /admin/log` narrow it, and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_recorded_filtered_and_verified_on_postgres() {
    const SECRET: &str = "pg-router-secret-1";
    let Some(url) = postgres_url() else { return };
    let mut server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 5 }).await;
    let admin = server.admin().await;
    let hana = user(&server, &admin, "hana").await;
    let start = Log::read(&admin, 0).await.end();
    let db = admin.create_database(&CreateDatabaseRequest { name: "Pg team".into(), comments: String::new() }).await;
    let db = db.unwrap().id;
    admin.put_grants(&db, &allow("hana", &["access", "read", "add"]), None).await.unwrap();
    let web = CreateFolderRequest { name: "Web".into(), parent: None };
    let web = hana.create_folder(&db, &web).await.unwrap().id;
    hana.create_entry(&db, &entry(json!({"title": "Router", "folder": web, "password": SECRET}))).await.unwrap();
    refused_login(&server, "hana", "a wrong guess").await;
    hana.logout().await.unwrap();
    // The log goes on across a restart (621), in one chain.
    server.restart().await;
    let admin = server.login("admin", ADMIN_PASSWORD).await.unwrap();

    let log = Log::read(&admin, start).await;
    log.one(621, &Want { user: Some(None), new_object: Some(Some("started")), ..Want::default() });
    log.one(603, &Want { object: Some(None), ..by("admin", "Pg team") });
    log.one(623, &Want { object: Some(Some("hana")), ..by("admin", "Pg team") });
    log.one(404, &Want { object: Some(Some("Web")), ..by("hana", "Pg team") });
    log.one(304, &Want { object: Some(Some("Web/Router")), ..by("hana", "Pg team") });
    log.one(106, &Want { user: Some(Some("hana")), reason: Some(Some("wrong password")), ..Want::default() });
    log.one(102, &Want { user: Some(Some("hana")), new_object: Some(Some("api client")), ..Want::default() });
    log.assert_never_says(SECRET);

    let events = |records: &[LogRecord]| records.iter().map(|r| r.event).collect::<Vec<u16>>();
    let by_hana = filtered(&admin, start, LogFilterQuery { user: Some("HANA".into()), ..LogFilterQuery::default() });
    let by_hana = by_hana.await;
    assert!(by_hana.iter().all(|r| r.user.as_deref() == Some("hana")), "{by_hana:#?}");
    assert!([404, 304, 106, 102].iter().all(|e| events(&by_hana).contains(e)), "{by_hana:#?}");
    let in_db =
        filtered(&admin, start, LogFilterQuery { database: Some("pg TEAM".into()), ..LogFilterQuery::default() });
    let in_db = events(&in_db.await);
    assert!([603, 623, 404, 304].iter().all(|e| in_db.contains(e)) && !in_db.contains(&106), "{in_db:?}");
    let two = filtered(&admin, start, LogFilterQuery { event: vec![106, 102], ..LogFilterQuery::default() });
    assert_eq!(events(&two.await), [106, 102]);
    let router = filtered(&admin, start, LogFilterQuery { object: Some("router".into()), ..LogFilterQuery::default() });
    assert_eq!(events(&router.await), [304]);
    let text = filtered(&admin, start, LogFilterQuery { q: Some("WRONG PASS".into()), ..LogFilterQuery::default() });
    assert_eq!(events(&text.await), [106]);

    let verdict = admin.verify_log().await.unwrap();
    assert!(verdict.intact && verdict.problem.is_none(), "{verdict:?}");
    assert!(verdict.checked >= log.end(), "{verdict:?}");
}

/// The records after `after` that `filter` matches, oldest first (one page is enough here).
async fn filtered(admin: &Client, after: u64, filter: LogFilterQuery) -> Vec<LogRecord> {
    let page = LogPageQuery { before: None, after: Some(after), limit: Some(1000) };
    let page = admin.admin_log(&LogQuery { filter, page }).await.unwrap();
    assert_eq!(page.next_after, None, "one page holds them");
    page.records
}
