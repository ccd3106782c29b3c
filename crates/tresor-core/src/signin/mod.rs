//! Signing in: the password check behind a per-address limit, failed-login counting and lockout, connection
//! policies, the second factor (authenticator apps, e-mailed codes, recovery codes, trusted devices), pausing the
//! server, and the settings that govern all of it.
//!
//! A login is one or two steps. [`AuthService::login`] checks the password and either opens a session or answers
//! with a challenge; [`AuthService::complete_login`] takes the challenge and the second factor and opens the
//! session. The account's state (deactivated, enrolled, locked) is only ever told to someone who gave its
//! password.

pub mod admin;
mod audit;
pub mod codes;
pub mod limiter;
pub mod settings;
pub mod store;

use std::net::IpAddr;
use std::time::Duration;

use tresor_crypto::SecretString;

use crate::accounts::{NamedRef, User, name_key};
use crate::auth::{AuthService, AuthSettings, is_administrator};
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::GroupId;
use crate::mail::{MailMessage, SmtpSettings};
use crate::net::address_allowed;
use crate::password_policy::LoginPasswordPolicy;
use crate::session::{ClientKind, EndReason, SessionRecord, SessionToken};
use crate::store::Store;
use crate::validate;
use codes::CodeInput;
use settings::{ConnectionPolicy, LoginProtection, NewConnection, SigninSettings, TwoFactorMode, TwoFactorSettings};
use store::{ChallengeKind, LoginChallenge, RecoveryOutcome, TotpEnrolment};

/// The longest pause before a refusal by the per-address limit.
const REFUSAL_PAUSE: Duration = Duration::from_secs(1);
/// How long a login waits for an authenticator code.
const TOTP_CHALLENGE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// The issuer authenticator apps show beside the account.
const TOTP_ISSUER: &str = "Tresor";

/// A successful login: the token is shown to the client once and never stored.
#[derive(Debug)]
pub struct LoginOutcome {
    pub token: SessionToken,
    pub session: SessionRecord,
    pub user: User,
    /// The groups the user is a direct member of.
    pub groups: Vec<NamedRef<GroupId>>,
    /// Recovery codes, once, right after an authenticator was enrolled.
    pub recovery_codes: Vec<SecretString>,
    /// A token that lets this device skip the second factor until it expires, when the user asked for it.
    pub device_token: Option<(SecretString, Timestamp)>,
}

/// An authenticator to enrol: shown once, at the login that enrols it.
#[derive(Debug)]
pub struct TotpOffer {
    /// `otpauth://totp/…`, for a QR code.
    pub uri: SecretString,
    /// The secret in base32, for typing.
    pub secret: SecretString,
}

/// The password was right; the second factor is awaited.
#[derive(Debug)]
pub struct Challenge {
    /// Names the pending login; sent back with the code.
    pub token: SecretString,
    pub kind: ChallengeKind,
    pub expires_at: Timestamp,
    pub enrolment: Option<TotpOffer>,
    /// For e-mailed codes: the address, partly hidden.
    pub sent_to: Option<String>,
    /// Whether the user may ask to trust this device, and for how many days.
    pub remember_device_days: u32,
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum LoginStep {
    Session(Box<LoginOutcome>),
    SecondFactor(Challenge),
}

/// What the client sends with a login. Its `Debug` shows neither the password nor the device token.
pub struct LoginRequest<'a> {
    pub account: &'a str,
    pub password: SecretString,
    pub client: ClientKind,
    pub address: IpAddr,
    /// A device token from an earlier login with "remember this device".
    pub device_token: Option<&'a str>,
}

impl std::fmt::Debug for LoginRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("account", &self.account)
            .field("client", &self.client)
            .field("address", &self.address)
            .field("device_token", &self.device_token.map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Reads the sign-in settings from the store. A row that does not read (damaged, or written by a newer server)
/// keeps its defaults, is logged, and is named in [`SigninSettings::damaged`]: logins other than administrators'
/// are then refused until an administrator sets that section again, rather than falling back to weaker defaults
/// (two-factor authentication off, every client allowed).
pub(crate) async fn load_settings(store: &dyn Store, config: &AuthSettings) -> Result<SigninSettings, CoreError> {
    let mut s = SigninSettings::defaults(config.idle_timeout);
    async fn section<T>(
        store: &dyn Store,
        key: &'static str,
        decode: fn(&str) -> Option<T>,
        damaged: &mut Vec<&'static str>,
    ) -> Result<Option<T>, CoreError> {
        let Some(raw) = store.setting(key).await? else { return Ok(None) };
        let parsed = decode(&raw);
        if parsed.is_none() {
            tracing::error!(setting = key, "a stored sign-in setting does not read; only administrators can log in");
            damaged.push(key);
        }
        Ok(parsed)
    }
    let mut damaged = Vec::new();
    if let Some(v) = section(store, settings::CONNECTIONS, ConnectionPolicy::decode, &mut damaged).await? {
        s.connections = v;
    }
    if let Some(v) = section(store, settings::PROTECTION, LoginProtection::decode, &mut damaged).await? {
        s.protection = v;
    }
    if let Some(v) = section(store, settings::TWO_FACTOR, TwoFactorSettings::decode, &mut damaged).await? {
        s.two_factor = v;
    }
    if let Some(v) = section(store, settings::PASSWORD_POLICY, LoginPasswordPolicy::decode, &mut damaged).await? {
        s.password_policy = v;
    }
    s.paused = store.setting(settings::PAUSED).await?.is_some_and(|v| v == "true");
    s.damaged = damaged;
    Ok(s)
}

impl AuthService {
    /// Checks the password and opens a session, or asks for the second factor. Unknown account and wrong password
    /// give the same error after the same work, a failure counted in the store for both.
    pub async fn login(&self, request: LoginRequest<'_>) -> Result<LoginStep, CoreError> {
        let LoginRequest { account, password, client, address, device_token } = request;
        let settings = self.signin_settings().await?;
        let p = settings.protection;
        if let Err(wait) = self.limiter.take(address, p.attempts_per_minute, p.attempt_burst, self.clock.now()) {
            return Err(refused_after_a_pause(wait).await);
        }
        let plausible = validate::plausible_account(account);
        let user = if plausible { self.store.user_by_account(account).await? } else { None };
        let hash = match &user {
            Some(u) => self.store.password_hash(u.id).await?,
            None => None,
        };
        let verified = self.work.verify(password, hash).await;
        let user = match user {
            Some(u) if verified => u,
            user => {
                match &user {
                    Some(u) => self.note_refused(audit::named(u), address, "wrong password").await,
                    None => self.note_refused(audit::as_given(account), address, "unknown account").await,
                }
                if plausible {
                    self.count_failure(&name_key(account), user.as_ref(), address, &settings).await?;
                }
                return Err(CoreError::InvalidCredentials);
            }
        };
        self.limiter.give_back(address, p.attempt_burst);
        self.admit(&user, client, address, &settings).await?;

        let two_factor = &settings.two_factor;
        if two_factor.mode == TwoFactorMode::Off || user.options.two_factor_disabled {
            return self.open_session(user, client, address, &settings).await.map(|o| LoginStep::Session(Box::new(o)));
        }
        if let Some(device) = device_token
            && self.signin.trusted_device(&codes::token_hash(device), self.clock.now()).await? == Some(user.id)
        {
            return self.open_session(user, client, address, &settings).await.map(|o| LoginStep::Session(Box::new(o)));
        }
        self.challenge(&user, client, address, two_factor).await.map(LoginStep::SecondFactor)
    }

    /// Completes a login with its second factor. `remember` asks to trust this device (when the settings allow).
    pub async fn complete_login(
        &self,
        challenge_token: &str,
        code: &str,
        remember: bool,
        address: IpAddr,
    ) -> Result<LoginOutcome, CoreError> {
        let settings = self.signin_settings().await?;
        let p = settings.protection;
        let now = self.clock.now();
        if let Err(wait) = self.limiter.take(address, p.attempts_per_minute, p.attempt_burst, now) {
            return Err(refused_after_a_pause(wait).await);
        }
        let hash = codes::token_hash(challenge_token);
        let challenge = match self.signin.challenge(&hash).await? {
            Some(c) if now < c.expires_at && c.address == address => c,
            _ => return Err(CoreError::SecondFactorExpired),
        };
        let Some(input) = codes::parse_code(code) else { return Err(CoreError::SecondFactorMalformed) };
        // The attempt is counted before the code is looked at, so that requests sent at once cannot try more codes
        // than a challenge allows.
        if self.signin.count_challenge_attempt(&hash).await? > codes::MAX_CHALLENGE_ATTEMPTS {
            self.signin.take_challenge(&hash).await?;
            return Err(CoreError::SecondFactorExpired);
        }
        let Some(user) = self.store.user(challenge.user).await? else { return Err(CoreError::SecondFactorExpired) };
        // Checked before the code is used up, so that a login refused now (deactivated meanwhile, paused, logged on
        // elsewhere…) does not cost the user a recovery code or an authenticator step.
        self.admit(&user, challenge.client, address, &settings).await?;

        let verified = match self.verify_second_factor(&challenge, &user, &input, now).await {
            Err(CoreError::SecondFactorReused) => {
                self.note_second_factor_refused(&user, address, "authenticator code used already").await;
                return Err(CoreError::SecondFactorReused);
            }
            other => other?,
        };
        let Some(recovery_codes) = verified else {
            self.note_second_factor_refused(&user, address, wrong_code(challenge.kind, &input)).await;
            if self.signin.challenge(&hash).await?.is_some_and(|c| c.attempts >= codes::MAX_CHALLENGE_ATTEMPTS) {
                self.signin.take_challenge(&hash).await?;
            }
            self.count_failure(&name_key(&user.account), Some(&user), address, &settings).await?;
            return Err(CoreError::SecondFactorInvalid);
        };
        self.limiter.give_back(address, p.attempt_burst);
        let user = self.store.user(user.id).await?.ok_or(CoreError::SecondFactorExpired)?;
        let mut outcome = self.open_session(user, challenge.client, address, &settings).await?;
        outcome.recovery_codes = recovery_codes;
        let days = settings.two_factor.remember_device_days;
        if remember && days > 0 {
            let (token, token_hash) = codes::new_device_token()?;
            let expires = now.saturating_add(Duration::from_secs(u64::from(days) * 86_400));
            self.signin.trust_device(&token_hash, outcome.user.id, now, expires).await?;
            outcome.device_token = Some((token, expires));
        }
        Ok(outcome)
    }

    /// Checks the code against the challenge and, when it is right, completes the challenge (once: of two
    /// requests with the same challenge, one gets through). `Some(recovery codes)` (empty unless this enrolled an
    /// authenticator) when the code was right, `None` when it was wrong.
    async fn verify_second_factor(
        &self,
        challenge: &LoginChallenge,
        user: &User,
        input: &CodeInput,
        now: Timestamp,
    ) -> Result<Option<Vec<SecretString>>, CoreError> {
        let hash = &challenge.token_hash;
        let take = || async {
            if self.signin.take_challenge(hash).await? { Ok(()) } else { Err(CoreError::SecondFactorExpired) }
        };
        match (challenge.kind, input) {
            (ChallengeKind::Totp, CodeInput::Digits(digits)) => {
                let Some(enrolment) = self.signin.totp_enrolment(user.id).await? else {
                    return Err(CoreError::SecondFactorExpired); // reset meanwhile
                };
                let secret = self.keyring.open_secret(&totp_aad(user), &enrolment.sealed_secret)?;
                match codes::match_totp(&secret, digits, now)? {
                    Some(step) if self.signin.advance_totp_step(user.id, step).await? => {
                        take().await.map(|()| Some(vec![]))
                    }
                    Some(_) => Err(CoreError::SecondFactorReused),
                    None => Ok(None),
                }
            }
            (ChallengeKind::Totp, CodeInput::Recovery(normalised)) => {
                let code = codes::recovery_hash(normalised);
                match self.signin.complete_with_recovery_code(hash, user.id, &code).await? {
                    RecoveryOutcome::Used => Ok(Some(vec![])),
                    RecoveryOutcome::WrongCode => Ok(None),
                    RecoveryOutcome::ChallengeGone => Err(CoreError::SecondFactorExpired),
                }
            }
            (ChallengeKind::TotpEnrolment, CodeInput::Digits(digits)) => {
                let sealed = challenge.sealed_secret.as_deref().unwrap_or_default();
                let secret = self.keyring.open_secret(&totp_aad(user), sealed)?;
                let Some(step) = codes::match_totp(&secret, digits, now)? else { return Ok(None) };
                take().await?;
                let (shown, hashes) = codes::new_recovery_codes()?;
                let enrolment =
                    TotpEnrolment { user: user.id, sealed_secret: sealed.to_vec(), last_step: step, enrolled_at: now };
                if !self.signin.enrol_totp(&enrolment, &hashes).await? {
                    // Another enrolment of this account completed first; this one must not replace it.
                    return Err(CoreError::SecondFactorExpired);
                }
                tracing::info!(user = %user.account, "authenticator enrolled");
                Ok(Some(shown))
            }
            (ChallengeKind::Email, CodeInput::Digits(digits)) => {
                let expected = challenge.code_hash.unwrap_or_default();
                if !tresor_crypto::constant_time_eq(&codes::email_code_hash(hash, digits), &expected) {
                    return Ok(None);
                }
                take().await.map(|()| Some(vec![]))
            }
            (ChallengeKind::TotpEnrolment | ChallengeKind::Email, CodeInput::Recovery(_)) => {
                Err(CoreError::SecondFactorMalformed)
            }
        }
    }

    /// The checks every login passes once the password is right, whatever the second factor; a refusal is
    /// recorded (106) with its reason.
    async fn admit(
        &self,
        user: &User,
        client: ClientKind,
        address: IpAddr,
        s: &SigninSettings,
    ) -> Result<(), CoreError> {
        let admitted = self.admission(user, client, address, s).await;
        if let Err(e) = &admitted {
            self.note_not_admitted(user, address, e).await;
        }
        admitted
    }

    async fn admission(
        &self,
        user: &User,
        client: ClientKind,
        address: IpAddr,
        s: &SigninSettings,
    ) -> Result<(), CoreError> {
        if user.options.deactivated {
            return Err(CoreError::AccountDisabled);
        }
        if !address_allowed(&user.allowed_addresses, address) {
            return Err(CoreError::AddressNotAllowed(address));
        }
        let administrator = is_administrator(user);
        if !s.damaged.is_empty() && !administrator {
            return Err(CoreError::SettingsDamaged(s.damaged.join(", ")));
        }
        // The super administrator is never shut out by a client list: it is how the list is changed back.
        if !user.is_super_admin() && !s.connections.clients.contains(&client) {
            return Err(CoreError::ClientNotAllowed(client.as_str()));
        }
        if s.paused && !administrator {
            return Err(CoreError::ServerPaused);
        }
        if s.connections.new_connection == NewConnection::Deny {
            let now = self.clock.now();
            let live = self.signin.user_live_sessions(user.id, now).await?;
            let elsewhere = live.iter().any(|l| {
                l.address != address && s.idle_timeout().is_none_or(|limit| now.since(l.last_seen_at) <= limit)
            });
            if elsewhere {
                return Err(CoreError::AlreadyLoggedOn);
            }
        }
        Ok(())
    }

    /// Counts a failed password or code; the failure that reaches the limit deactivates the account (108).
    pub(crate) async fn count_failure(
        &self,
        key: &str,
        user: Option<&User>,
        address: IpAddr,
        s: &SigninSettings,
    ) -> Result<(), CoreError> {
        let limit = s.protection.failed_login_limit;
        let count = self.signin.record_login_failure(key, user.map(|u| u.id), limit, self.clock.now()).await?;
        if count.deactivated_now
            && let Some(user) = user
        {
            self.forget_user(user.id);
            tracing::warn!(user = %user.account, failures = count.failures, "account deactivated after failed logins");
            self.note_locked_out(user, address, count.failures).await;
        }
        Ok(())
    }

    /// Starts the second step of a login.
    async fn challenge(
        &self,
        user: &User,
        client: ClientKind,
        address: IpAddr,
        s: &TwoFactorSettings,
    ) -> Result<Challenge, CoreError> {
        let now = self.clock.now();
        let (token, token_hash) = codes::new_challenge_token()?;
        let mut record = LoginChallenge {
            token_hash,
            user: user.id,
            kind: ChallengeKind::Totp,
            code_hash: None,
            sealed_secret: None,
            client,
            address,
            created_at: now,
            expires_at: now.saturating_add(TOTP_CHALLENGE_LIFETIME),
            attempts: 0,
        };
        let mut enrolment = None;
        let mut sent_to = None;
        let mut code = None;
        match s.mode {
            TwoFactorMode::Totp => {
                if self.signin.totp_enrolment(user.id).await?.is_none() {
                    let secret = codes::new_totp_secret()?;
                    let (uri, b32) = codes::otpauth_uri(TOTP_ISSUER, &user.account, &secret);
                    record.kind = ChallengeKind::TotpEnrolment;
                    record.sealed_secret = Some(self.keyring.seal_secret(&totp_aad(user), &secret)?);
                    enrolment = Some(TotpOffer { uri, secret: b32 });
                }
            }
            TwoFactorMode::Email => {
                if user.profile.email.is_empty() {
                    self.note_code_not_sent(user, address, "the account has no e-mail address").await;
                    return Err(CoreError::SecondFactorUnavailable(
                        "codes are sent by e-mail and this account has no e-mail address; ask an administrator"
                            .to_owned(),
                    ));
                }
                let c = codes::new_email_code()?;
                record.kind = ChallengeKind::Email;
                record.code_hash = Some(codes::email_code_hash(&token_hash, &c));
                record.expires_at = now.saturating_add(Duration::from_secs(u64::from(s.email_code_minutes) * 60));
                sent_to = Some(hide_address(&user.profile.email));
                code = Some(c);
            }
            TwoFactorMode::Off => return Err(CoreError::Internal("a challenge without a second factor".to_owned())),
        }
        self.signin.insert_challenge(&record).await?;
        if let Some(code) = code {
            let message = MailMessage {
                to: user.profile.email.clone(),
                subject: "Your Tresor sign-in code".to_owned(),
                body: format!(
                    "Your Tresor sign-in code is {}.\n\nIt can be used once, within {} minutes.\n\nIf you did not just \
                     try to sign in to Tresor, tell your administrator: someone knows your password.\n",
                    code.as_str(),
                    s.email_code_minutes
                ),
            };
            let smtp = SmtpSettings::load(self.store.as_ref(), &self.keyring).await?;
            if let Err(e) = self.mailer.send(&smtp, &message).await {
                let _ = self.signin.take_challenge(&token_hash).await;
                tracing::error!(user = %user.account, error = %e, "a sign-in code could not be sent");
                self.note_code_not_sent(user, address, audit::mail_failure(&e)).await;
                return Err(CoreError::CodeNotSent);
            }
        }
        Ok(Challenge {
            token,
            kind: record.kind,
            expires_at: record.expires_at,
            enrolment,
            sent_to,
            remember_device_days: s.remember_device_days,
        })
    }

    /// Opens the session of an admitted login: the connection policy, then the session itself.
    async fn open_session(
        &self,
        mut user: User,
        client: ClientKind,
        address: IpAddr,
        s: &SigninSettings,
    ) -> Result<LoginOutcome, CoreError> {
        let now = self.clock.now();
        if s.connections.new_connection == NewConnection::CloseExisting {
            let closed = self.end_user_sessions(user.id, EndReason::Replaced).await?;
            if closed > 0 {
                tracing::info!(user = %user.account, closed, "earlier sessions closed by a new login");
            }
        }
        // Maximum password age: the password must be changed before anything else.
        if !user.options.must_change_password
            && let Some(set_at) = self.signin.password_set_at(user.id).await?
            && s.password_policy.expired(set_at, now)
        {
            user.options.must_change_password = true;
            self.signin.require_password_change(user.id).await?;
            tracing::info!(user = %user.account, "password expired; a change is required");
        }
        let token = SessionToken::generate()?;
        let session = SessionRecord {
            id: crate::ids::SessionId::random(),
            token_hash: token.hash(),
            user_id: user.id,
            client,
            address,
            created_at: now,
            last_seen_at: now,
            expires_at: now.saturating_add(self.settings().session_lifetime),
            ended_at: None,
            end_reason: None,
        };
        self.store.insert_session(&session).await?;
        self.signin.clear_login_failures(&name_key(&user.account)).await?;
        let groups = self.store.user_groups(user.id).await?;
        tracing::info!(user = %user.account, session = %session.id, client = client.as_str(), %address, "login");
        self.note_log_on(&user, client, address).await;
        Ok(LoginOutcome { token, session, user, groups, recovery_codes: Vec::new(), device_token: None })
    }

    /// Deletes expired challenges and trusted devices, and the failure counters of names that are no account a
    /// day after their last failure. The server calls it every few minutes.
    pub async fn purge_expired(&self) -> Result<(), CoreError> {
        Ok(self.signin.purge_signin(self.clock.now()).await?)
    }
}

/// The answer to an attempt over the per-address limit, given after a pause of up to [`REFUSAL_PAUSE`]: a guessing
/// tool waits for each answer, so every request it keeps in flight then makes at most about one attempt a second,
/// and a flood costs the server a sleeping task instead of a busy core. A person who hits the limit barely notices.
pub(crate) async fn refused_after_a_pause(wait: Duration) -> CoreError {
    tokio::time::sleep(wait.min(REFUSAL_PAUSE)).await;
    CoreError::RateLimited { retry_after: wait.saturating_sub(REFUSAL_PAUSE) }
}

/// Why a second factor was refused, in the log's words.
fn wrong_code(kind: ChallengeKind, input: &CodeInput) -> &'static str {
    match (kind, input) {
        (_, CodeInput::Recovery(_)) => "wrong recovery code",
        (ChallengeKind::Email, _) => "wrong e-mailed code",
        (ChallengeKind::Totp | ChallengeKind::TotpEnrolment, _) => "wrong authenticator code",
    }
}

/// Binds an authenticator secret to its user.
fn totp_aad(user: &User) -> Vec<u8> {
    format!("tresor:totp:{}", user.id).into_bytes()
}

/// `jo@example.com` → `j…@example.com`: enough for the user to recognise, not enough to harvest.
fn hide_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".to_owned(),
    }
}
