//! Session expiry with a clock the test moves: idle sessions end after the idle timeout, every session ends at its
//! absolute expiry, and activity keeps a session alive. Runs the real auth service on a real SQLite store.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::time::Duration;

use tresor_core::accounts::NewUser;
use tresor_core::session::ClientKind;
use tresor_core::signin::{LoginOutcome, LoginRequest};
use tresor_core::{AuthService, CoreError, LoginStep, ManageAccounts, Timestamp};
use tresor_crypto::SecretString;
use tresor_testkit::core_auth::{CoreAuth, LOCAL};

/// The core services with `alice` created by the super administrator.
async fn fixture() -> CoreAuth {
    let f = CoreAuth::start(Timestamp::from_millis(1_800_000_000_000)).await;
    let cap = f.admin.require::<ManageAccounts>().unwrap();
    let new = NewUser { account: "alice".into(), ..NewUser::default() };
    f.accounts.create_user(&cap, new, secret("alice's password")).await.unwrap();
    f
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

async fn alice_token(f: &CoreAuth) -> String {
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
