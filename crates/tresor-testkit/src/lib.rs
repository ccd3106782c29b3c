//! Test support: a real Tresor server, started in-process on a loopback port with a temporary data directory, and
//! clients that talk to it over TLS exactly as users do.
//!
//! Peers: a test that needs PostgreSQL asks [`postgres_url`]. Without `TRESOR_TEST_POSTGRES_URL` it gets `None`
//! and should skip, saying why — unless `TRESOR_REQUIRE_PEERS=1`, which turns the missing peer into a failure.
//! The other peers follow the same rule: [`smtp::SmtpSink`] (aiosmtpd), [`rsyslog::Rsyslog`] (rsyslogd) and
//! [`authenticator`] (`oathtool`, `pyotp`). [`rfc5424`] checks syslog lines strictly against the RFC.
//!
//! Below the server: [`core_auth::CoreAuth`] runs the core auth, account and vault services on SQLite with a clock
//! the test moves.

#![allow(clippy::print_stderr)] // Skips are announced on stderr, where the test harness shows them.
mod arrivals;
pub mod authenticator;
pub mod core_auth;
pub mod exports;
pub mod rfc5424;
pub mod rsyslog;
pub mod smtp;

use std::path::{Path, PathBuf};

use tempfile::TempDir;
use tresor::config::{Overrides, ServerConfig};
use tresor::server::RunningServer;
use tresor_api::{ChangePasswordRequest, ClientKind, CreateUserRequest, LoginRequest, Role, WirePassword};
use tresor_client::{Client, ClientError, Trust};

/// The password the test kit gives the super administrator after its forced first change.
pub const ADMIN_PASSWORD: &str = "test-admin-password-1";
/// The password of users made by [`TestServer::create_user`].
pub const USER_PASSWORD: &str = "test-user-password-1";

/// Which store a test server runs on.
#[derive(Debug, Clone)]
pub enum Engine {
    Sqlite,
    /// A PostgreSQL URL; the server gets a schema of its own in that database.
    Postgres(String),
}

/// Options of a test server.
#[derive(Debug, Clone)]
pub struct Options {
    pub engine: Engine,
    pub seats: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { engine: Engine::Sqlite, seats: 3 }
    }
}

/// A running server and the temporary directory it lives in; stopped and removed on drop of the runtime.
#[derive(Debug)]
pub struct TestServer {
    pub url: String,
    pub fingerprint: [u8; 32],
    pub data_dir: TempDir,
    pub engine: Engine,
    one_time_password: Option<String>,
    overrides: Overrides,
    running: Option<RunningServer>,
}

/// The PostgreSQL URL for tests, or `None` (with a note on stderr) when there is none and peers are optional.
///
/// # Panics
/// When `TRESOR_REQUIRE_PEERS=1` and `TRESOR_TEST_POSTGRES_URL` is not set.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TRESOR_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("TRESOR_REQUIRE_PEERS").as_deref() != Ok("1"),
                "TRESOR_REQUIRE_PEERS=1 but TRESOR_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: TRESOR_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
            None
        }
    }
}

/// A random lowercase name for a test's own schema or database.
pub fn unique_name(prefix: &str) -> String {
    let bytes: [u8; 8] = tresor_crypto::random_array().unwrap_or_default();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

impl TestServer {
    /// A server on SQLite with the unlicensed 3 seats.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// # Panics
    /// When the server cannot start: a test cannot go on without it.
    pub async fn start_with(options: Options) -> Self {
        let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let database_url = match &options.engine {
            Engine::Sqlite => None,
            Engine::Postgres(url) => {
                let schema = unique_name("tresor_test");
                // Create and migrate the schema, then point the server at it through the search path.
                tresor_store_postgres::open_in_schema(url, &schema)
                    .await
                    .unwrap_or_else(|e| panic!("cannot prepare PostgreSQL schema: {e}"));
                let sep = if url.contains('?') { '&' } else { '?' };
                Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
            }
        };
        let overrides = Overrides {
            data_dir: Some(data_dir.path().to_path_buf()),
            listen: vec!["127.0.0.1:0".to_owned()],
            database_url,
            seats: Some(options.seats),
            ..Overrides::default()
        };
        let config = ServerConfig::load(&overrides).unwrap_or_else(|e| panic!("config: {e:#}"));
        let running = tresor::server::start(config).await.unwrap_or_else(|e| panic!("server start: {e:#}"));
        let one_time_password = running.admin_password.as_ref().map(|p| p.expose_secret().to_owned());
        let url = running.urls.first().cloned().unwrap_or_else(|| panic!("server has no listener"));
        let fingerprint = running.fingerprint.unwrap_or_else(|| panic!("server has no TLS"));
        TestServer {
            url,
            fingerprint,
            data_dir,
            engine: options.engine,
            one_time_password,
            overrides,
            running: Some(running),
        }
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }

    /// The generated CA certificate.
    pub fn ca_cert(&self) -> PathBuf {
        self.data_dir.path().join("tls/ca.crt")
    }

    /// The one-time password printed at first start, if this start created the super administrator.
    pub fn one_time_password(&self) -> Option<&str> {
        self.one_time_password.as_deref()
    }

    /// A client that trusts this server's certificate and has no session.
    pub fn client(&self) -> Client {
        Client::new(&self.url, Trust::Pinned(self.fingerprint)).unwrap_or_else(|e| panic!("client: {e}"))
    }

    /// Logs in and returns a client holding the session.
    pub async fn login(&self, account: &str, password: &str) -> Result<Client, ClientError> {
        let response = self
            .client()
            .login(&LoginRequest {
                account: account.to_owned(),
                password: WirePassword::new(password),
                client: Some(ClientKind::Api),
                device_token: None,
            })
            .await?;
        Ok(self.client().with_token(response.token))
    }

    /// The super administrator, logged in, with the forced first password change done ([`ADMIN_PASSWORD`]).
    ///
    /// # Panics
    /// When the login fails.
    pub async fn admin(&self) -> Client {
        if let Ok(c) = self.login("admin", ADMIN_PASSWORD).await {
            return c;
        }
        let otp = self.one_time_password.clone().unwrap_or_else(|| panic!("no one-time password known"));
        let client = self.login("admin", &otp).await.unwrap_or_else(|e| panic!("admin login: {e}"));
        client
            .change_password(&ChangePasswordRequest {
                current_password: WirePassword::new(otp),
                new_password: WirePassword::new(ADMIN_PASSWORD),
            })
            .await
            .unwrap_or_else(|e| panic!("admin password change: {e}"));
        client
    }

    /// Creates a ready user (no forced password change) with [`USER_PASSWORD`] and the given roles, and returns a
    /// client logged in as that user.
    ///
    /// # Panics
    /// When creating or logging in fails.
    pub async fn create_user(&self, admin: &Client, account: &str, roles: &[Role]) -> Client {
        admin
            .create_user(&CreateUserRequest {
                account: account.to_owned(),
                password: WirePassword::new(USER_PASSWORD),
                roles: roles.to_vec(),
                options: tresor_api::AccountOptionsPatch { must_change_password: Some(false), ..Default::default() },
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("create user {account}: {e}"));
        self.login(account, USER_PASSWORD).await.unwrap_or_else(|e| panic!("login {account}: {e}"))
    }

    /// Stops the server and waits until it is down; the data directory stays until the value is dropped.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// Stops and starts the server again on the same data directory (a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        let config = ServerConfig::load(&self.overrides).unwrap_or_else(|e| panic!("config: {e:#}"));
        let running = tresor::server::start(config).await.unwrap_or_else(|e| panic!("server restart: {e:#}"));
        self.url = running.urls.first().cloned().unwrap_or_default();
        self.one_time_password = running.admin_password.as_ref().map(|p| p.expose_secret().to_owned());
        self.fingerprint = running.fingerprint.unwrap_or_default();
        self.running = Some(running);
    }
}
