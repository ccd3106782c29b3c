//! Sign-in rules that depend on time, with a clock the test moves: authenticator codes one step either side and
//! no further, challenges and e-mailed codes that expire, trusted devices that expire, the maximum and minimum
//! password age, and the attempt limit's refill. The real auth service runs on a real SQLite store; codes come from
//! real authenticators (`oathtool`, `pyotp`) told the test's time, and e-mail goes through a real SMTP server.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::sync::Arc;
use std::time::Duration;

use tresor_core::accounts::{AccountOptionsPatch, NewUser, Profile};
use tresor_core::clock::ManualClock;
use tresor_core::mail::{MailTls, SmtpSettings};
use tresor_core::password_policy::LoginPasswordPolicy;
use tresor_core::session::ClientKind;
use tresor_core::signin::admin::SigninSettingsChange;
use tresor_core::signin::settings::{LoginProtection, TwoFactorMode, TwoFactorSettings};
use tresor_core::signin::store::ChallengeKind;
use tresor_core::signin::{Challenge, LoginOutcome, LoginRequest};
use tresor_core::{AuthService, Clock, CoreError, LoginStep, ManageServer, Timestamp};
use tresor_crypto::SecretString;
use tresor_testkit::authenticator::{self, oathtool_at, pyotp_at};
use tresor_testkit::core_auth::{CoreAuth, LOCAL};
use tresor_testkit::smtp::SmtpSink;

const PASSWORD: &str = "alice's long password 1";
/// The test's epoch: in the middle of an authenticator step (steps are 30 s from the Unix epoch).
const START_SECS: i64 = 1_800_000_015;
const STEP: Duration = Duration::from_secs(30);
const DAY: Duration = Duration::from_secs(24 * 3600);

struct Fixture {
    clock: Arc<ManualClock>,
    auth: Arc<AuthService>,
    store: Arc<dyn tresor_core::Store>,
    server: ManageServer,
    _dir: tempfile::TempDir,
}

/// An auth service on SQLite with `alice` (e-mail `alice@example.org`) and the given sign-in settings.
async fn fixture(change: SigninSettingsChange) -> Fixture {
    let CoreAuth { clock, auth, accounts, store, admin, dir, .. } =
        CoreAuth::start(Timestamp::from_millis(START_SECS * 1000)).await;
    let new = NewUser {
        account: "alice".into(),
        profile: Profile { email: "alice@example.org".into(), ..Profile::default() },
        options: AccountOptionsPatch { must_change_password: Some(false), ..Default::default() },
        ..NewUser::default()
    };
    accounts.create_user(&admin.require().unwrap(), new, secret(PASSWORD)).await.unwrap();
    let server: ManageServer = admin.require().unwrap();
    // Generous attempts, so that only the test about the limit meets it.
    let protection = LoginProtection { failed_login_limit: 0, attempts_per_minute: 6000, attempt_burst: 1000 };
    let change = SigninSettingsChange { protection: change.protection.or(Some(protection)), ..change };
    auth.change_signin_settings(&server, change).await.unwrap();
    Fixture { clock, auth, store, server, _dir: dir }
}

fn secret(s: &str) -> SecretString {
    SecretString::new(s.to_owned())
}

fn two_factor(mode: TwoFactorMode, remember_device_days: u32, email_code_minutes: u32) -> SigninSettingsChange {
    let two_factor = TwoFactorSettings { mode, remember_device_days, email_code_minutes };
    SigninSettingsChange { two_factor: Some(two_factor), ..Default::default() }
}

impl Fixture {
    fn now_secs(&self) -> i64 {
        self.clock.now().as_millis() / 1000
    }

    async fn login_with(&self, password: &str, device: Option<&str>) -> Result<LoginStep, CoreError> {
        let request = LoginRequest {
            account: "alice",
            password: secret(password),
            client: ClientKind::Api,
            address: LOCAL,
            device_token: device,
        };
        self.auth.login(request).await
    }

    async fn challenge(&self) -> Challenge {
        match self.login_with(PASSWORD, None).await.unwrap() {
            LoginStep::SecondFactor(c) => c,
            LoginStep::Session(_) => panic!("a second factor was expected"),
        }
    }

    async fn session(&self) -> LoginOutcome {
        match self.login_with(PASSWORD, None).await.unwrap() {
            LoginStep::Session(s) => *s,
            LoginStep::SecondFactor(c) => panic!("no second factor was expected, got {:?}", c.kind),
        }
    }

    async fn complete(&self, c: &Challenge, code: &str, remember: bool) -> Result<LoginOutcome, CoreError> {
        self.auth.complete_login(c.token.expose_secret(), code, remember, LOCAL).await
    }
}

// --- authenticator codes -------------------------------------------------------------------------------------------

#[tokio::test]
async fn authenticator_codes_count_one_step_either_side_and_challenges_expire() {
    if !authenticator::available() {
        return;
    }
    let f = fixture(two_factor(TwoFactorMode::Totp, 1, 10)).await;
    let offer = f.challenge().await;
    assert_eq!(offer.kind, ChallengeKind::TotpEnrolment);
    let secret = offer.enrolment.as_ref().unwrap().secret.expose_secret().to_owned();
    let t = f.now_secs();
    assert_eq!(oathtool_at(&secret, t), pyotp_at(&secret, t), "the two authenticators agree");
    f.complete(&offer, &oathtool_at(&secret, t), false).await.unwrap();

    // One step ahead is accepted; two steps ahead are not.
    f.clock.advance(STEP);
    let t = f.now_secs();
    let c = f.challenge().await;
    assert_eq!(c.kind, ChallengeKind::Totp);
    assert!(matches!(f.complete(&c, &pyotp_at(&secret, t + 60), false).await, Err(CoreError::SecondFactorInvalid)));
    f.complete(&c, &pyotp_at(&secret, t + 30), false).await.unwrap();

    // Later: one step behind is accepted, two behind are not; a step before the last one used is a replay.
    f.clock.advance(10 * STEP);
    let t = f.now_secs();
    let c = f.challenge().await;
    assert!(matches!(f.complete(&c, &oathtool_at(&secret, t - 60), false).await, Err(CoreError::SecondFactorInvalid)));
    f.complete(&c, &oathtool_at(&secret, t - 30), false).await.unwrap();
    let c = f.challenge().await;
    f.complete(&c, &pyotp_at(&secret, t + 30), false).await.unwrap();
    let c = f.challenge().await;
    assert!(matches!(f.complete(&c, &pyotp_at(&secret, t), false).await, Err(CoreError::SecondFactorReused)));

    // A challenge waits five minutes for its code.
    f.clock.advance(STEP);
    let c = f.challenge().await;
    assert_eq!(c.expires_at, f.clock.now().saturating_add(Duration::from_secs(300)));
    f.clock.advance(Duration::from_secs(300));
    let t = f.now_secs();
    assert!(matches!(f.complete(&c, &oathtool_at(&secret, t), false).await, Err(CoreError::SecondFactorExpired)));
    let c = f.challenge().await;
    let remembered = f.complete(&c, &oathtool_at(&secret, t), true).await.unwrap();

    // A device remembered for a day skips the code for a day, not longer.
    let (device, expires) = remembered.device_token.unwrap();
    assert_eq!(expires, f.clock.now().saturating_add(DAY));
    f.clock.advance(DAY - Duration::from_secs(60));
    let step = f.login_with(PASSWORD, Some(device.expose_secret())).await.unwrap();
    assert!(matches!(step, LoginStep::Session(_)), "still trusted a minute before it expires");
    f.clock.advance(Duration::from_secs(61));
    let step = f.login_with(PASSWORD, Some(device.expose_secret())).await.unwrap();
    assert!(matches!(step, LoginStep::SecondFactor(_)), "no longer trusted after a day");
}

// --- e-mailed codes ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_emailed_code_expires_after_its_lifetime() {
    let Some(sink) = SmtpSink::start() else { return };
    let f = fixture(two_factor(TwoFactorMode::Email, 0, 2)).await;
    let mail = SmtpSettings {
        sender_address: "tresor@example.org".into(),
        host: sink.host().into(),
        port: sink.port(),
        tls: MailTls::None,
        ..SmtpSettings::default()
    };
    f.auth.change_mail_settings(&f.server, mail).await.unwrap();
    let code = |n: usize| {
        let body = &sink.messages()[n].body;
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
    };

    // Within its lifetime the code works (once).
    let c = f.challenge().await;
    assert_eq!(c.kind, ChallengeKind::Email);
    assert_eq!(c.expires_at, f.clock.now().saturating_add(Duration::from_secs(120)));
    sink.wait_for_messages(1, Duration::from_secs(15)).await;
    f.clock.advance(Duration::from_secs(119));
    f.complete(&c, &code(0), false).await.unwrap();
    assert!(matches!(f.complete(&c, &code(0), false).await, Err(CoreError::SecondFactorExpired)));

    // Once the lifetime has passed, the right code is refused.
    let c = f.challenge().await;
    sink.wait_for_messages(2, Duration::from_secs(15)).await;
    f.clock.advance(Duration::from_secs(120));
    assert!(matches!(f.complete(&c, &code(1), false).await, Err(CoreError::SecondFactorExpired)));
}

// --- password age --------------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_maximum_age_asks_for_a_new_password_and_the_minimum_age_keeps_it() {
    let policy = LoginPasswordPolicy { max_age_days: 90, min_age_days: 1, ..LoginPasswordPolicy::default() };
    let f = fixture(SigninSettingsChange { password_policy: Some(policy), ..Default::default() }).await;
    let change = |token: String, current: &'static str, new: &'static str| {
        let auth = Arc::clone(&f.auth);
        async move {
            let caller = auth.authenticate(&token, LOCAL).await.unwrap();
            auth.change_password(&caller, secret(current), secret(new)).await
        }
    };

    // Too young to change on its first day; then it may be.
    let young = change(f.session().await.token.expose_secret().to_owned(), PASSWORD, "a second long password 2").await;
    assert!(matches!(young, Err(CoreError::Validation(m)) if m.contains("1 days")));
    f.clock.advance(DAY + Duration::from_secs(1));
    change(f.session().await.token.expose_secret().to_owned(), PASSWORD, "a second long password 2").await.unwrap();
    let again = change(
        login_as(&f, "a second long password 2").await.token.expose_secret().to_owned(),
        "a second long password 2",
        "a third long password 3",
    );
    assert!(matches!(again.await, Err(CoreError::Validation(_))), "changed less than a day ago");

    // At 90 days the password still serves; after them, the next login must change it first.
    f.clock.advance(90 * DAY - Duration::from_secs(60));
    assert!(!login_as(&f, "a second long password 2").await.user.options.must_change_password);
    f.clock.advance(Duration::from_secs(120));
    let expired = login_as(&f, "a second long password 2").await;
    assert!(expired.user.options.must_change_password, "the password is older than 90 days");
    // The change it asks for ends the requirement.
    change(expired.token.expose_secret().to_owned(), "a second long password 2", "a third long password 3")
        .await
        .unwrap();
    assert!(!login_as(&f, "a third long password 3").await.user.options.must_change_password);
}

async fn login_as(f: &Fixture, password: &str) -> LoginOutcome {
    match f.login_with(password, None).await.unwrap() {
        LoginStep::Session(s) => *s,
        LoginStep::SecondFactor(_) => panic!("no second factor is configured"),
    }
}

// --- the attempt limit ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_attempt_limit_refills_at_its_rate() {
    let protection = LoginProtection { failed_login_limit: 0, attempts_per_minute: 60, attempt_burst: 3 };
    let f = fixture(SigninSettingsChange { protection: Some(protection), ..Default::default() }).await;
    for _ in 0..3 {
        assert!(matches!(f.login_with("wrong password 1", None).await, Err(CoreError::InvalidCredentials)));
    }
    // The refusal comes after a pause (in real time) of up to a second, here the whole wait: the attempt is due by
    // the time the answer goes out, so nothing is left to wait.
    let limited = f.login_with(PASSWORD, None).await;
    assert!(matches!(limited, Err(CoreError::RateLimited { retry_after }) if retry_after.is_zero()), "{limited:?}");
    // One attempt a second comes back, no more.
    f.clock.advance(Duration::from_secs(1));
    assert!(matches!(f.login_with("wrong password 1", None).await, Err(CoreError::InvalidCredentials)));
    assert!(matches!(f.login_with(PASSWORD, None).await, Err(CoreError::RateLimited { .. })));
    f.clock.advance(Duration::from_millis(500));
    assert!(matches!(f.login_with(PASSWORD, None).await, Err(CoreError::RateLimited { .. })));
    f.clock.advance(Duration::from_millis(500));
    f.session().await;
    // A quiet minute refills the burst, and no more than the burst.
    f.clock.advance(Duration::from_secs(60));
    for _ in 0..3 {
        assert!(matches!(f.login_with("wrong password 1", None).await, Err(CoreError::InvalidCredentials)));
    }
    assert!(matches!(f.login_with(PASSWORD, None).await, Err(CoreError::RateLimited { .. })));
}

// --- damaged settings ----------------------------------------------------------------------------------------------

/// A stored sign-in section that does not read (damaged, or written by a newer server) must not fall back to weaker
/// defaults: with the two-factor section unreadable, only administrators log in until one sets it again.
#[tokio::test]
async fn an_unreadable_section_lets_only_administrators_in_until_it_is_set_again() {
    let f = fixture(two_factor(TwoFactorMode::Totp, 0, 10)).await;
    f.store.put_setting("signin.two_factor", "v9;mode=quantum").await.unwrap();
    f.clock.advance(Duration::from_secs(10)); // past the settings cache
    let refused = f.login_with(PASSWORD, None).await;
    assert!(
        matches!(&refused, Err(CoreError::SettingsDamaged(which)) if which.contains("signin.two_factor")),
        "{refused:?}"
    );
    let shown = f.auth.settings_for_admin(&f.server).await.unwrap();
    assert_eq!(shown.damaged, ["signin.two_factor"]);
    f.auth.change_signin_settings(&f.server, two_factor(TwoFactorMode::Off, 0, 10)).await.unwrap();
    assert!(f.auth.settings_for_admin(&f.server).await.unwrap().damaged.is_empty());
    f.session().await;
}
