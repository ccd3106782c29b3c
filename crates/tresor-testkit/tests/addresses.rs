//! IP address verification seen from a real non-loopback address of this machine: a server listening on all
//! interfaces, reached through the machine's own outward address, applies each account's allowed addresses.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.
#![allow(clippy::print_stderr)] // A skip says why on stderr, where the test harness shows it.

mod common;

use std::net::{IpAddr, UdpSocket};

use common::expect_err;
use tresor::config::{Overrides, ServerConfig};
use tresor_api::{
    ChangePasswordRequest, ClientKind, CreateUserRequest, ErrorCode, LoginRequest, UpdateUserRequest, WirePassword,
};
use tresor_client::{Client, Trust};
use tresor_testkit::{ADMIN_PASSWORD, USER_PASSWORD};

/// The source address this machine uses towards the outside, if it has one that is not loopback. A UDP
/// `connect` only picks a route; nothing is sent.
fn outward_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").or_else(|_| socket.connect("203.0.113.1:9")).ok()?;
    Some(socket.local_addr().ok()?.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

async fn login(base: &Client, account: &str, password: &str) -> Result<Client, tresor_client::ClientError> {
    let request = LoginRequest {
        account: account.into(),
        password: WirePassword::new(password),
        client: Some(ClientKind::Api),
        device_token: None,
    };
    Ok(base.clone().with_token(base.login(&request).await?.token))
}

#[tokio::test]
async fn allowed_addresses_apply_to_every_address_but_loopback() {
    let Some(outward) = outward_address() else {
        eprintln!("skipped: this machine has no non-loopback address to connect from");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        listen: vec!["0.0.0.0:0".into()],
        seats: Some(3),
        ..Overrides::default()
    };
    let running = tresor::server::start(ServerConfig::load(&overrides).unwrap()).await.unwrap();
    let (port, pin) = (running.addrs[0].port(), running.fingerprint.unwrap());
    let local = Client::new(&format!("https://127.0.0.1:{port}"), Trust::Pinned(pin)).unwrap();
    let remote = Client::new(&format!("https://{outward}:{port}"), Trust::Pinned(pin)).unwrap();

    let otp = running.admin_password.as_ref().unwrap().expose_secret().to_owned();
    let admin = login(&local, "admin", &otp).await.unwrap();
    let change = ChangePasswordRequest {
        current_password: WirePassword::new(otp),
        new_password: WirePassword::new(ADMIN_PASSWORD),
    };
    admin.change_password(&change).await.unwrap();
    let create = CreateUserRequest {
        account: "roamer".into(),
        password: WirePassword::new(USER_PASSWORD),
        allowed_addresses: vec!["10.0.0.0/8".into()],
        options: tresor_api::AccountOptionsPatch { must_change_password: Some(false), ..Default::default() },
        ..Default::default()
    };
    admin.create_user(&create).await.unwrap();

    let refused = login(&remote, "roamer", USER_PASSWORD).await;
    let message = expect_err(refused, 403, ErrorCode::AddressNotAllowed);
    assert!(message.contains(&outward.to_string()), "the message names the address: {message}");
    // The address is checked only after the password: a wrong one says nothing about the account.
    expect_err(login(&remote, "roamer", "wrong-password-1").await, 401, ErrorCode::InvalidCredentials);
    login(&local, "roamer", USER_PASSWORD).await.expect("loopback is always allowed");

    let network = format!("{outward}/24");
    let allow = UpdateUserRequest { allowed_addresses: Some(vec![network.clone()]), ..Default::default() };
    admin.update_user("roamer", &allow).await.unwrap();
    let roamer = login(&remote, "roamer", USER_PASSWORD).await.expect("an address inside an allowed network");
    let me = roamer.me().await.unwrap();
    let sessions = admin.list_sessions().await.unwrap().sessions;
    let view = sessions.iter().find(|s| s.id == me.session.id).unwrap();
    assert_eq!(view.address, outward.to_string());

    // Narrowing the rule stops the live session at its next request.
    let deny = UpdateUserRequest { allowed_addresses: Some(vec!["10.0.0.0/8".into()]), ..Default::default() };
    admin.update_user("roamer", &deny).await.unwrap();
    expect_err(roamer.me().await, 403, ErrorCode::AddressNotAllowed);

    // No rules means any address.
    let any = UpdateUserRequest { allowed_addresses: Some(vec![]), ..Default::default() };
    admin.update_user("roamer", &any).await.unwrap();
    roamer.me().await.expect("the session is still live once the address is allowed again");
    running.shutdown().await;
}
