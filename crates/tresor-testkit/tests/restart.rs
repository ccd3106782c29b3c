//! Starting again on an existing data directory: nothing is generated twice, nothing is forgotten, and a key file
//! that others can read or that belongs to another store stops the start with a message saying what to do.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tresor::config::{Overrides, ServerConfig};
use tresor::server::RunningServer;
use tresor_client::{Client, Trust};
use tresor_testkit::{ADMIN_PASSWORD, TestServer};

fn overrides(data_dir: &Path) -> Overrides {
    Overrides {
        data_dir: Some(data_dir.to_path_buf()),
        listen: vec!["127.0.0.1:0".to_owned()],
        seats: Some(3),
        ..Overrides::default()
    }
}

async fn start(data_dir: &Path) -> anyhow::Result<RunningServer> {
    tresor::server::start(ServerConfig::load(&overrides(data_dir))?).await
}

/// The start's error, in full (`{:#}` shows the whole chain), or a panic if it started.
async fn start_error(data_dir: &Path) -> String {
    match start(data_dir).await {
        Ok(running) => {
            running.shutdown().await;
            panic!("the server started on {}", data_dir.display())
        }
        Err(e) => format!("{e:#}"),
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A server that has run once, with the super administrator's password changed, and is now stopped.
async fn used_and_stopped() -> TestServer {
    let mut server = TestServer::start().await;
    server.admin().await;
    server.stop().await;
    server
}

#[tokio::test]
async fn a_second_start_reuses_everything_and_prints_no_password() {
    let mut server = TestServer::start().await;
    let admin = server.admin().await;
    let first = admin.server_info().await.unwrap();
    let ca = std::fs::read(server.ca_cert()).unwrap();
    let fingerprint = server.fingerprint;
    server.stop().await;

    let running = start(server.data_path()).await.unwrap();
    assert!(running.admin_password.is_none(), "a second start made a new one-time password");
    assert!(running.created.is_empty(), "a second start created {:?}", running.created);
    assert_eq!(running.fingerprint, Some(fingerprint), "the certificate changed");
    assert_eq!(std::fs::read(server.ca_cert()).unwrap(), ca, "the CA changed");
    let client = Client::new(&running.urls[0], Trust::Pinned(fingerprint)).unwrap();
    let ca_client = Client::new(&running.urls[0], Trust::CaFile(server.ca_cert())).unwrap();
    ca_client.health().await.unwrap();
    let login = tresor_api::LoginRequest {
        account: "admin".into(),
        password: tresor_api::WirePassword::new(ADMIN_PASSWORD),
        client: None,
        device_token: None,
    };
    let token = client.login(&login).await.expect("the password set before still works").token;
    let again = client.with_token(token).server_info().await.unwrap();
    assert_eq!(again.running_since, first.running_since, "the first start's date is kept");
    running.shutdown().await;
}

#[tokio::test]
async fn the_test_kit_restart_knows_no_password() {
    let mut server = TestServer::start().await;
    server.admin().await;
    let fingerprint = server.fingerprint;
    server.restart().await;
    assert_eq!(server.one_time_password(), None);
    assert_eq!(server.fingerprint, fingerprint);
    server.login("admin", ADMIN_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn a_readable_key_file_stops_the_start() {
    let server = used_and_stopped().await;
    let dir = server.data_path();
    let files: [PathBuf; 3] = [dir.join("master.key"), dir.join("tls/server.key"), dir.join("tls/ca.key")];
    for file in &files {
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
    }
    for file in &files {
        for mode in [0o644, 0o640, 0o604] {
            chmod(file, mode);
            let message = start_error(dir).await;
            let name = file.display().to_string();
            assert!(message.contains(&name), "the message does not name {name}: {message}");
            assert!(message.contains("chmod 600"), "the message does not say how to fix it: {message}");
        }
        chmod(file, 0o600);
    }
    start(dir).await.expect("the repaired directory starts").shutdown().await;
}

#[tokio::test]
async fn another_stores_master_key_stops_the_start() {
    let server = used_and_stopped().await;
    let other = used_and_stopped().await;
    let key = server.data_path().join("master.key");
    let original = std::fs::read(&key).unwrap();
    std::fs::write(&key, std::fs::read(other.data_path().join("master.key")).unwrap()).unwrap();
    let message = start_error(server.data_path()).await;
    assert!(message.contains("master key"), "the message does not say the master key is wrong: {message}");

    std::fs::write(&key, b"not a key\n").unwrap();
    let message = start_error(server.data_path()).await;
    assert!(message.contains(&key.display().to_string()), "the message does not name the key file: {message}");

    std::fs::write(&key, original).unwrap();
    start(server.data_path()).await.expect("the right key starts again").shutdown().await;
}
