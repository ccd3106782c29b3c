//! A first end-to-end pass: start, log in, change the one-time password, look at the dashboard.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use tresor_api::{ChangePasswordRequest, ErrorCode, WirePassword};
use tresor_testkit::TestServer;

#[tokio::test]
async fn first_login_forces_the_password_change() {
    let server = TestServer::start().await;
    let otp = server.one_time_password().unwrap().to_owned();
    let client = server.login("admin", &otp).await.unwrap();
    let me = client.me().await.unwrap();
    assert!(me.password_change_required);
    let err = client.server_info().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::PasswordChangeRequired));
    client
        .change_password(&ChangePasswordRequest {
            current_password: WirePassword::new(otp),
            new_password: WirePassword::new("a much better password"),
        })
        .await
        .unwrap();
    let info = client.server_info().await.unwrap();
    assert_eq!(info.seats.licensed, 3);
    assert_eq!(info.seats.used, 0);
    assert_eq!(info.connected_users, 1);
}
