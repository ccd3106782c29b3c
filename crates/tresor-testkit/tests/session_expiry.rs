//! Session expiry with a clock the test moves: idle sessions end after the idle timeout, every session ends at its
//! absolute expiry, and activity keeps a session alive. Runs the real auth service on a real SQLite store.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tresor_core::accounts::{NewUser, SUPER_ADMIN_ACCOUNT};
use tresor_core::clock::ManualClock;
use tresor_core::session::ClientKind;
use tresor_core::signin::store::SigninStore;
use tresor_core::signin::{LoginOutcome, LoginRequest};
use tresor_core::{
    AccountService, AuthPorts, AuthService, AuthSettings, Clock, CoreError, Keyring, LoginStep, PasswordWork, Store,
    Timestamp,
};
use tresor_crypto::{Argon2Params, MasterKey, PasswordHasher, SecretString};

struct Fixture {
    clock: Arc<ManualClock>,
    auth: Arc<AuthService>,
    _dir: tempfile::TempDir,
}

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let sql = Arc::new(tresor_store_sqlite::open(&dir.path().join("t.db")).await.unwrap());
    let store: Arc<dyn Store> = sql.clone();
    let signin: Arc<dyn SigninStore> = sql;
    let keyring = Arc::new(Keyring::bind(MasterKey::generate().unwrap(), store.as_ref()).await.unwrap());
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_800_000_000_000)));
    let settings = AuthSettings {
        session_lifetime: Duration::from_secs(8 * 3600),
        idle_timeout: Duration::from_secs(30 * 60),
        cache_ttl: Duration::from_secs(5),
        touch_interval: Duration::from_secs(60),
    };
    let work = Arc::new(PasswordWork::new(PasswordHasher::new(Argon2Params::owasp_minimum()).unwrap(), 2));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let ports = AuthPorts {
        store: Arc::clone(&store),
        signin,
        clock: Arc::clone(&dyn_clock),
        keyring,
        mailer: Arc::new(tresor_mail::SmtpMailer::new()),
    };
    let auth = Arc::new(AuthService::new(ports, work, settings));
    let accounts = AccountService::new(store, dyn_clock, Arc::clone(&auth), 3);
    // The super administrator exists from the first start; log it in to get a capability for creating a user.
    let otp = accounts.ensure_super_admin().await.unwrap().unwrap();
    let admin = login(&auth, SUPER_ADMIN_ACCOUNT, otp, ClientKind::Api).await.unwrap();
    let caller = auth.authenticate(admin.token.expose_secret(), LOCAL).await.unwrap();
    let cap = caller.require::<tresor_core::ManageAccounts>().unwrap();
    let new = NewUser { account: "alice".into(), ..NewUser::default() };
    accounts.create_user(&cap, new, secret("alice's password")).await.unwrap();
    Fixture { clock, auth, _dir: dir }
}

/// One-step login (no second factor is configured here).
async fn login(
    auth: &AuthService,
    account: &str,
    password: SecretString,
    client: ClientKind,
) -> Result<LoginOutcome, CoreError> {
    let request = LoginRequest { account, password, client, address: LOCAL, device_token: None };
    match auth.login(request).await? {
        LoginStep::Session(out) => Ok(*out),
        LoginStep::SecondFactor(_) => panic!("no second factor is configured"),
    }
}

fn secret(s: &str) -> SecretString {
    SecretString::new(s.to_owned())
}

async fn alice_token(f: &Fixture) -> String {
    let out = login(&f.auth, "alice", secret("alice's password"), ClientKind::Cli).await.unwrap();
    out.token.expose_secret().to_owned()
}

#[tokio::test]
async fn an_idle_session_ends_after_the_idle_timeout() {
    let f = fixture().await;
    let token = alice_token(&f).await;
    f.clock.advance(Duration::from_secs(29 * 60));
    assert!(f.auth.authenticate(&token, LOCAL).await.is_ok(), "29 idle minutes are within the timeout");
    f.clock.advance(Duration::from_secs(31 * 60));
    assert!(matches!(f.auth.authenticate(&token, LOCAL).await, Err(CoreError::Unauthenticated)));
    // Ended for good: activity afterwards does not bring it back.
    f.clock.advance(Duration::from_secs(1));
    assert!(matches!(f.auth.authenticate(&token, LOCAL).await, Err(CoreError::Unauthenticated)));
}

#[tokio::test]
async fn activity_keeps_a_session_alive_until_its_absolute_expiry() {
    let f = fixture().await;
    let token = alice_token(&f).await;
    // A request every 20 minutes for 7 h 40 min: never idle, still under the 8 h lifetime.
    for _ in 0..23 {
        f.clock.advance(Duration::from_secs(20 * 60));
        assert!(f.auth.authenticate(&token, LOCAL).await.is_ok());
    }
    f.clock.advance(Duration::from_secs(20 * 60 + 1));
    assert!(matches!(f.auth.authenticate(&token, LOCAL).await, Err(CoreError::Unauthenticated)));
}

#[tokio::test]
async fn unknown_and_wrong_credentials_are_the_same_error() {
    let f = fixture().await;
    let unknown = login(&f.auth, "nobody", secret("whatever password"), ClientKind::Api).await;
    let wrong = login(&f.auth, "alice", secret("not her password"), ClientKind::Api).await;
    assert!(matches!(unknown, Err(CoreError::InvalidCredentials)));
    assert!(matches!(wrong, Err(CoreError::InvalidCredentials)));
    assert!(matches!(f.auth.authenticate("tresor_st_00", LOCAL).await, Err(CoreError::Unauthenticated)));
}
