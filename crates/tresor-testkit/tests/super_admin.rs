//! The built-in super administrator: it edits its own profile, but its name, roles, options and groups are fixed,
//! and it changes its password only with the current one.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use tresor_api::{ErrorCode, SetPasswordRequest, UpdateUserRequest, WirePassword};
use tresor_testkit::{Options, TestServer};

#[tokio::test]
async fn the_super_admin_edits_its_profile_but_nothing_that_defines_it() {
    let server = TestServer::start_with(Options { seats: 5, ..Options::default() }).await;
    let admin = server.admin().await;

    let renamed = UpdateUserRequest { full_name: Some("Head of IT".into()), ..Default::default() };
    let view = admin.update_user("admin", &renamed).await.unwrap();
    assert_eq!(view.full_name, "Head of IT");

    for patch in [
        UpdateUserRequest { account: Some("root".into()), ..Default::default() },
        UpdateUserRequest { roles: Some(vec![tresor_api::Role::EventLogReader]), ..Default::default() },
        UpdateUserRequest {
            options: Some(tresor_api::AccountOptionsPatch { deactivated: Some(true), ..Default::default() }),
            ..Default::default()
        },
    ] {
        let err = admin.update_user("admin", &patch).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::Forbidden), "{patch:?}");
    }
    assert_eq!(admin.get_user("admin").await.unwrap().account, "admin");

    // The admin route sets passwords without asking for the current one: not for oneself.
    let err = admin
        .set_user_password(
            "admin",
            &SetPasswordRequest { password: WirePassword::new("another password"), must_change_password: Some(false) },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Conflict));
    assert!(server.login("admin", tresor_testkit::ADMIN_PASSWORD).await.is_ok());

    // Another Server Administrator cannot touch it at all.
    let other = server.create_user(&admin, "sa", &[tresor_api::Role::ServerAdministrator]).await;
    let err = other.update_user("admin", &renamed).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
    let err = other.delete_user("admin").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}
