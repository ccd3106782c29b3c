//! Sessions and passwords: logout, disconnect, deactivation, administrator resets, the password options, address
//! rules, the dashboard's user counts, and what nobody may do to the super administrator.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::expect_err;
use tresor_api::{
    AccountOptionsPatch, ChangePasswordRequest, ClientKind, CreateUserRequest, ErrorCode, ListQuery, Role,
    ServerStatus, SetPasswordRequest, UpdateUserRequest, WirePassword,
};
use tresor_client::Client;
use tresor_testkit::{ADMIN_PASSWORD, Options, TestServer, USER_PASSWORD};

async fn server() -> (TestServer, Client) {
    let server = TestServer::start_with(Options { seats: 20, ..Options::default() }).await;
    let admin = server.admin().await;
    (server, admin)
}

fn options(patch: AccountOptionsPatch) -> UpdateUserRequest {
    UpdateUserRequest { options: Some(patch), ..Default::default() }
}

fn change(current: &str, new: &str) -> ChangePasswordRequest {
    ChangePasswordRequest { current_password: WirePassword::new(current), new_password: WirePassword::new(new) }
}

#[tokio::test]
async fn logout_and_disconnect_end_sessions() {
    let (server, admin) = server().await;
    let alice = server.create_user(&admin, "alice", &[]).await;
    let bob = server.create_user(&admin, "bob", &[]).await;
    alice.logout().await.unwrap();
    expect_err(alice.me().await, 401, ErrorCode::Unauthenticated);
    expect_err(alice.logout().await, 401, ErrorCode::Unauthenticated);
    bob.me().await.unwrap();

    let cli = common::login(&server, "bob", USER_PASSWORD, ClientKind::Cli).await;
    let bob_cli = server.client().with_token(cli.token.clone());
    let listed = admin.list_sessions().await.unwrap().sessions;
    let view = listed.iter().find(|s| s.id == cli.session.id).expect("bob's CLI session is listed");
    assert_eq!(view.account, "bob");
    assert_eq!(view.user_id, cli.user.id);
    assert_eq!(view.address, "127.0.0.1");
    assert_eq!(view.client, ClientKind::Cli);
    assert_eq!(view.since, cli.session.created_at);
    assert_eq!(view.expires_at, cli.session.expires_at);
    assert!(listed.iter().all(|s| s.account != "alice"), "a logged-out session is listed: {listed:?}");

    admin.delete_session(&cli.session.id).await.unwrap();
    expect_err(bob_cli.me().await, 401, ErrorCode::Unauthenticated);
    bob.me().await.expect("only the disconnected session ends");
    expect_err(admin.delete_session(&cli.session.id).await, 404, ErrorCode::NotFound);
}

#[tokio::test]
async fn deactivation_ends_sessions_and_refuses_login() {
    let (server, admin) = server().await;
    let carol = server.create_user(&admin, "carol", &[]).await;
    let carol2 = server.login("carol", USER_PASSWORD).await.unwrap();
    let off = options(AccountOptionsPatch { deactivated: Some(true), ..Default::default() });
    assert!(admin.update_user("carol", &off).await.unwrap().options.deactivated);
    expect_err(carol.me().await, 401, ErrorCode::Unauthenticated);
    expect_err(carol2.me().await, 401, ErrorCode::Unauthenticated);
    expect_err(server.login("carol", USER_PASSWORD).await, 403, ErrorCode::AccountDisabled);
    assert!(admin.list_sessions().await.unwrap().sessions.iter().all(|s| s.account != "carol"));

    let on = options(AccountOptionsPatch { deactivated: Some(false), ..Default::default() });
    admin.update_user("carol", &on).await.unwrap();
    server.login("carol", USER_PASSWORD).await.unwrap().me().await.unwrap();
    expect_err(carol.me().await, 401, ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn an_administrator_reset_forces_a_new_password() {
    let (server, admin) = server().await;
    let dave = server.create_user(&admin, "dave", &[Role::AccountAdministrator]).await;
    let reset = SetPasswordRequest { password: WirePassword::new("temporary-pass-1"), must_change_password: None };
    admin.set_user_password("dave", &reset).await.unwrap();
    expect_err(dave.me().await, 401, ErrorCode::Unauthenticated);
    expect_err(server.login("dave", USER_PASSWORD).await, 401, ErrorCode::InvalidCredentials);

    let login = common::login(&server, "dave", "temporary-pass-1", ClientKind::Api).await;
    assert!(login.password_change_required);
    assert!(login.user.options.must_change_password);
    let dave = server.client().with_token(login.token);
    assert!(dave.me().await.unwrap().password_change_required);
    expect_err(dave.list_users(&ListQuery::default()).await, 403, ErrorCode::PasswordChangeRequired);
    expect_err(dave.server_info().await, 403, ErrorCode::PasswordChangeRequired);
    expect_err(dave.list_sessions().await, 403, ErrorCode::PasswordChangeRequired);

    let pending = server.login("dave", "temporary-pass-1").await.unwrap();
    pending.logout().await.expect("logout needs no password change first");
    dave.change_password(&change("temporary-pass-1", "dave-chose-this-1")).await.unwrap();
    assert!(!dave.me().await.unwrap().password_change_required);
    dave.list_users(&ListQuery::default()).await.expect("the same session works after the change");
    assert!(!server.login("dave", "dave-chose-this-1").await.unwrap().me().await.unwrap().password_change_required);

    // An administrator may set a password without forcing a change.
    let keep = SetPasswordRequest { password: WirePassword::new("set-by-admin-1"), must_change_password: Some(false) };
    admin.set_user_password("dave", &keep).await.unwrap();
    assert!(!common::login(&server, "dave", "set-by-admin-1", ClientKind::Api).await.password_change_required);
}

#[tokio::test]
async fn own_password_changes_follow_the_account_options() {
    let (server, admin) = server().await;
    let erin = server.create_user(&admin, "erin", &[]).await;
    expect_err(
        erin.change_password(&change("wrong-current-1", "new-password-1")).await,
        401,
        ErrorCode::InvalidCredentials,
    );
    erin.me().await.expect("a wrong current password does not end the session");
    expect_err(erin.change_password(&change(USER_PASSWORD, "short")).await, 422, ErrorCode::ValidationFailed);
    expect_err(erin.change_password(&change(USER_PASSWORD, USER_PASSWORD)).await, 422, ErrorCode::ValidationFailed);
    server.login("erin", USER_PASSWORD).await.expect("refused changes leave the password");

    let locked = options(AccountOptionsPatch { may_not_change_password: Some(true), ..Default::default() });
    admin.update_user("erin", &locked).await.unwrap();
    let erin = server.login("erin", USER_PASSWORD).await.unwrap();
    let refused = erin.change_password(&change(USER_PASSWORD, "new-password-1")).await;
    expect_err(refused, 403, ErrorCode::PasswordChangeNotAllowed);
    server.login("erin", USER_PASSWORD).await.expect("the password is unchanged");

    // "Must change" wins over "may not change", or the account could never be used.
    let both = options(AccountOptionsPatch { must_change_password: Some(true), ..Default::default() });
    let view = admin.update_user("erin", &both).await.unwrap();
    assert!(view.options.may_not_change_password && view.options.must_change_password);
    let erin = server.login("erin", USER_PASSWORD).await.unwrap();
    erin.change_password(&change(USER_PASSWORD, "new-password-1")).await.unwrap();
    let after = admin.get_user("erin").await.unwrap().options;
    assert!(after.may_not_change_password && !after.must_change_password, "{after:?}");
    // Now "may not change" holds again.
    let again = erin.change_password(&change("new-password-1", "newer-password-1")).await;
    expect_err(again, 403, ErrorCode::PasswordChangeNotAllowed);
}

#[tokio::test]
async fn role_changes_apply_to_live_sessions_at_once() {
    let (server, admin) = server().await;
    let ivan = server.create_user(&admin, "ivan", &[]).await;
    expect_err(ivan.list_users(&ListQuery::default()).await, 403, ErrorCode::Forbidden);
    let promote = UpdateUserRequest { roles: Some(vec![Role::AccountAdministrator]), ..Default::default() };
    admin.update_user("ivan", &promote).await.unwrap();
    ivan.list_users(&ListQuery::default()).await.expect("a new role counts at the next request");
    assert_eq!(ivan.me().await.unwrap().user.roles, [Role::AccountAdministrator]);
    let demote = UpdateUserRequest { roles: Some(vec![Role::EventLogReader]), ..Default::default() };
    admin.update_user("ivan", &demote).await.unwrap();
    expect_err(ivan.list_users(&ListQuery::default()).await, 403, ErrorCode::Forbidden);
    ivan.server_info().await.expect("any role sees the dashboard");
}

#[tokio::test]
async fn loopback_is_always_allowed() {
    let (server, admin) = server().await;
    let frank = server.create_user(&admin, "frank", &[]).await;
    let rule = UpdateUserRequest { allowed_addresses: Some(vec!["10.0.0.0/8".into()]), ..Default::default() };
    assert_eq!(admin.update_user("frank", &rule).await.unwrap().allowed_addresses, ["10.0.0.0/8"]);
    frank.me().await.expect("the running session from 127.0.0.1 goes on");
    server.login("frank", USER_PASSWORD).await.expect("a login from 127.0.0.1 is allowed").me().await.unwrap();
}

#[tokio::test]
async fn the_dashboard_counts_registered_and_connected_users() {
    let (server, admin) = server().await;
    let info = admin.server_info().await.unwrap();
    assert_eq!((info.registered_users, info.connected_users, info.seats.used), (0, 1, 0), "only the super admin");
    assert_eq!(
        (info.status, info.installed_databases, info.store_engine.as_str()),
        (ServerStatus::Running, 0, "sqlite")
    );
    assert_eq!(format!("https://{}:{}", info.addresses.join(","), info.port), server.url);
    assert_eq!(info.version, admin.health().await.unwrap().version);
    let u1 = server.create_user(&admin, "u1", &[]).await;
    let u1b = server.login("u1", USER_PASSWORD).await.unwrap();
    let u2 = server.create_user(&admin, "u2", &[]).await;
    let quiet =
        CreateUserRequest { account: "u3".into(), password: WirePassword::new(USER_PASSWORD), ..Default::default() };
    admin.create_user(&quiet).await.unwrap();
    let counts = |i: tresor_api::ServerInfo| (i.registered_users, i.connected_users, i.seats.used);
    assert_eq!(counts(admin.server_info().await.unwrap()), (3, 3, 3), "admin, u1 (twice) and u2 are connected");
    u2.logout().await.unwrap();
    u1.logout().await.unwrap();
    assert_eq!(counts(admin.server_info().await.unwrap()), (3, 2, 3), "u1 still has a session");
    admin.delete_user("u1").await.unwrap();
    expect_err(u1b.me().await, 401, ErrorCode::Unauthenticated);
    assert_eq!(counts(admin.server_info().await.unwrap()), (2, 1, 2));
}

#[tokio::test]
async fn nobody_touches_the_super_administrator() {
    let (server, admin) = server().await;
    let sa = server.create_user(&admin, "sa", &[Role::ServerAdministrator]).await;
    let aa = server.create_user(&admin, "aa", &[Role::AccountAdministrator]).await;
    admin.create_group(&tresor_api::CreateGroupRequest { name: "team".into(), ..Default::default() }).await.unwrap();
    for other in [&sa, &aa] {
        expect_err(other.delete_user("admin").await, 403, ErrorCode::Forbidden);
        let rename = UpdateUserRequest { full_name: Some("Mallory".into()), ..Default::default() };
        expect_err(other.update_user("admin", &rename).await, 403, ErrorCode::Forbidden);
        let off = options(AccountOptionsPatch { deactivated: Some(true), ..Default::default() });
        expect_err(other.update_user("admin", &off).await, 403, ErrorCode::Forbidden);
        let reset = SetPasswordRequest { password: WirePassword::new("taken-over-1"), must_change_password: None };
        expect_err(other.set_user_password("admin", &reset).await, 403, ErrorCode::Forbidden);
        expect_err(other.add_group_user("team", "admin").await, 422, ErrorCode::ValidationFailed);
    }
    expect_err(admin.add_group_user("team", "admin").await, 422, ErrorCode::ValidationFailed);
    let joined = UpdateUserRequest { member_of: Some(vec!["team".into()]), ..Default::default() };
    let err = admin.update_user("admin", &joined).await;
    assert!(err.is_err(), "the super admin joined a group through its own record");
    assert!(admin.get_group("team").await.unwrap().members.users.is_empty());

    // Nobody deletes or deactivates themselves; the super admin changes nothing of itself here but its password
    // (through /me/password), so the refusal may be either.
    let own = admin.delete_user("admin").await;
    assert!(matches!(own, Err(tresor_client::ClientError::Api { status: 403 | 409, .. })), "{own:?}");
    expect_err(sa.delete_user("sa").await, 409, ErrorCode::Conflict);
    let off = options(AccountOptionsPatch { deactivated: Some(true), ..Default::default() });
    expect_err(sa.update_user("sa", &off).await, 409, ErrorCode::Conflict);

    let me = admin.get_user("admin").await.unwrap();
    assert_eq!((me.full_name.as_str(), me.options.deactivated), ("Super Administrator", false));
    assert!(me.member_of.is_empty());
    server.login("admin", ADMIN_PASSWORD).await.expect("the super admin's password is unchanged");
}
