//! `CoreAuth`: tresor-core's auth, account and vault services on a real SQLite store in a temporary directory, with
//! a clock the test moves — for rules that depend on time, which a running server would make a test wait for — and
//! the server log's store in the test's hands, for a test that makes the log fail.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tresor_core::accounts::SUPER_ADMIN_ACCOUNT;
use tresor_core::audit::{AuditLog, AuditStore};
use tresor_core::clock::ManualClock;
use tresor_core::session::ClientKind;
use tresor_core::signin::LoginRequest;
use tresor_core::signin::store::SigninStore;
use tresor_core::vault::VaultStore;
use tresor_core::{
    AccountObserver, AccountService, AuthPorts, AuthService, AuthSettings, Caller, Clock, Keyring, LoginStep,
    PasswordWork, Store, Timestamp, VaultService,
};
use tresor_crypto::{Argon2Params, MasterKey, PasswordHasher};

/// The address every request of a [`CoreAuth`] test comes from.
pub const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The services, the clock they read, and the signed-in super administrator to set things up with.
#[derive(Debug)]
pub struct CoreAuth {
    pub clock: Arc<ManualClock>,
    pub auth: Arc<AuthService>,
    pub accounts: AccountService,
    pub vault: Arc<VaultService>,
    /// The store behind the services, for a test that damages what they read.
    pub store: Arc<dyn Store>,
    /// The keyring the services seal secrets with (the mail server's password among them).
    pub keyring: Arc<Keyring>,
    /// The super administrator, logged in with its one-time password (its password change still pending), which
    /// holds every administrative capability.
    pub admin: Caller,
    /// Holds the SQLite file; keep it as long as the services.
    pub dir: TempDir,
}

impl CoreAuth {
    /// Opens a new store with the clock at `start`: sessions last 8 hours and end after 30 idle minutes, passwords
    /// are hashed with the OWASP minimum Argon2id cost, mail goes through the real SMTP mailer, and 3 seats are
    /// licensed. The super administrator is created and logged in as at a first start.
    ///
    /// # Panics
    /// When any of that fails: a test cannot go on without it.
    pub async fn start(start: Timestamp) -> Self {
        Self::start_with_log(start, |store| store).await
    }

    /// As [`CoreAuth::start`], with the server log's store passed through `log` first: a test wraps it to make
    /// appends fail.
    ///
    /// # Panics
    /// As [`CoreAuth::start`].
    pub async fn start_with_log(
        start: Timestamp,
        log: impl FnOnce(Arc<dyn AuditStore>) -> Arc<dyn AuditStore>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let sql = tresor_store_sqlite::open(&dir.path().join("t.db")).await;
        let sql = Arc::new(sql.unwrap_or_else(|e| panic!("SQLite store: {e}")));
        let store: Arc<dyn Store> = sql.clone();
        let signin: Arc<dyn SigninStore> = sql.clone();
        let vault_store: Arc<dyn VaultStore> = sql.clone();
        let audit_store: Arc<dyn AuditStore> = log(sql);
        let master = MasterKey::generate().unwrap_or_else(|e| panic!("master key: {e}"));
        let keyring = Keyring::bind(master, store.as_ref()).await.unwrap_or_else(|e| panic!("keyring: {e}"));
        let keyring = Arc::new(keyring);
        let clock = Arc::new(ManualClock::new(start));
        let settings = AuthSettings {
            session_lifetime: Duration::from_secs(8 * 3600),
            idle_timeout: Duration::from_secs(30 * 60),
            cache_ttl: Duration::from_secs(5),
            touch_interval: Duration::from_secs(60),
        };
        let hasher = PasswordHasher::new(Argon2Params::owasp_minimum()).unwrap_or_else(|e| panic!("hasher: {e}"));
        let work = Arc::new(PasswordWork::new(hasher, 2));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let ports = AuthPorts {
            store: Arc::clone(&store),
            signin,
            clock: Arc::clone(&dyn_clock),
            keyring: Arc::clone(&keyring),
            mailer: Arc::new(tresor_mail::SmtpMailer::new()),
            audit: AuditLog::start(audit_store, Arc::clone(&store), Arc::clone(&dyn_clock)),
        };
        let auth = Arc::new(AuthService::new(ports, work, settings));
        let accounts = AccountService::new(Arc::clone(&store), Arc::clone(&dyn_clock), Arc::clone(&auth), 3);
        let vault = VaultService::new(
            Arc::clone(&store),
            vault_store,
            dyn_clock,
            Arc::clone(&keyring),
            Arc::clone(&auth),
            Duration::from_secs(5),
        );
        let vault = Arc::new(vault);
        accounts.observe(Arc::clone(&vault) as Arc<dyn AccountObserver>);
        let otp = accounts.ensure_super_admin().await.unwrap_or_else(|e| panic!("super administrator: {e}"));
        let request = LoginRequest {
            account: SUPER_ADMIN_ACCOUNT,
            password: otp.unwrap_or_else(|| panic!("a new store has no super administrator yet")),
            client: ClientKind::Api,
            address: LOCAL,
            device_token: None,
        };
        let step = auth.login(request).await.unwrap_or_else(|e| panic!("super administrator login: {e}"));
        let LoginStep::Session(session) = step else { panic!("no second factor is configured yet") };
        let admin = auth.authenticate(session.token.expose_secret(), LOCAL).await;
        let admin = admin.unwrap_or_else(|e| panic!("super administrator session: {e}"));
        CoreAuth { clock, auth, accounts, vault, store, keyring, admin, dir }
    }
}
