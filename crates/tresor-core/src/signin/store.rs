//! The persistence the sign-in rules need beyond accounts and sessions: failed-login counters, TOTP enrolments
//! with their recovery codes, second-factor challenges, trusted devices and password history. All of it lives in
//! the store, so every node that shares it sees the same counters, codes and devices.

use std::net::IpAddr;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::ids::UserId;
use crate::session::{ClientKind, SessionRecord};
use crate::store::StoreError;

/// What a failed login did to its account's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    /// Failures since the last successful login, this one included.
    pub failures: u32,
    /// This failure reached the limit and deactivated the account.
    pub deactivated_now: bool,
}

/// What [`SigninStore::complete_with_recovery_code`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryOutcome {
    /// The code is used up and the challenge completed.
    Used,
    /// No such unused code: nothing changed.
    WrongCode,
    /// The challenge was completed or dropped meanwhile: nothing changed.
    ChallengeGone,
}

/// A user's authenticator-app enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    pub user: UserId,
    /// The shared secret, sealed by the master key and bound to the user.
    pub sealed_secret: Vec<u8>,
    /// The last time step whose code was accepted; a code of this step or an earlier one is refused (replay).
    pub last_step: i64,
    pub enrolled_at: Timestamp,
}

/// How the second factor of a login is being proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// A code from the user's enrolled authenticator app, or a recovery code.
    Totp,
    /// The user has no authenticator yet: the challenge carries a new secret, confirmed by its first code.
    TotpEnrolment,
    /// A code sent by e-mail.
    Email,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Totp => "totp",
            ChallengeKind::TotpEnrolment => "totp_enrolment",
            ChallengeKind::Email => "email",
        }
    }
    pub fn parse(s: &str) -> Option<ChallengeKind> {
        [ChallengeKind::Totp, ChallengeKind::TotpEnrolment, ChallengeKind::Email].into_iter().find(|k| k.as_str() == s)
    }
}

/// A login whose password was right and whose second factor is awaited. Found by the hash of the challenge token
/// the client holds; single use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginChallenge {
    pub token_hash: [u8; 32],
    pub user: UserId,
    pub kind: ChallengeKind,
    /// For e-mail codes: the hash of the code, keyed by the challenge token.
    pub code_hash: Option<[u8; 32]>,
    /// For an enrolment: the new secret, sealed.
    pub sealed_secret: Option<Vec<u8>>,
    pub client: ClientKind,
    pub address: IpAddr,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Wrong codes given so far.
    pub attempts: u32,
}

#[async_trait]
pub trait SigninStore: Send + Sync + std::fmt::Debug + 'static {
    // --- failed logins ----------------------------------------------------------------------------------------
    /// Counts a failed login against an account name (known or not, so that both cost the same). When `user` is
    /// the account's id and `limit` is not 0, the failure that reaches `limit` deactivates the account in the
    /// same transaction.
    async fn record_login_failure(
        &self,
        account_key: &str,
        user: Option<UserId>,
        limit: u32,
        at: Timestamp,
    ) -> Result<FailureCount, StoreError>;
    /// Failures counted against an account name since its last successful login.
    async fn login_failures(&self, account_key: &str) -> Result<u32, StoreError>;
    /// Resets the counter: after a successful login, or when an administrator reactivates the account.
    async fn clear_login_failures(&self, account_key: &str) -> Result<(), StoreError>;

    // --- passwords --------------------------------------------------------------------------------------------
    /// The verifiers of a user's previous passwords, newest first, at most `n`.
    async fn password_history(&self, user: UserId, n: u32) -> Result<Vec<String>, StoreError>;
    /// When the user's current password was set: its last change, or the account's creation.
    async fn password_set_at(&self, user: UserId) -> Result<Option<Timestamp>, StoreError>;

    // --- authenticator apps -----------------------------------------------------------------------------------
    async fn totp_enrolment(&self, user: UserId) -> Result<Option<TotpEnrolment>, StoreError>;
    /// Records an enrolment with its one-time recovery codes (their hashes), unless the user has one already
    /// (returns false): a second pending enrolment must not replace the authenticator the user just enrolled. A
    /// reset ([`Self::reset_two_factor`]) makes room for a new one.
    async fn enrol_totp(&self, enrolment: &TotpEnrolment, recovery_codes: &[[u8; 32]]) -> Result<bool, StoreError>;
    /// Accepts a code of time step `step` only if it is later than the last accepted one; atomic, so one code
    /// opens one login even when two nodes check it at the same moment.
    async fn advance_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreError>;
    /// Uses up a recovery code; false if the user has no such unused code.
    async fn use_recovery_code(&self, user: UserId, code_hash: &[u8; 32]) -> Result<bool, StoreError>;
    /// Uses up a recovery code and completes the challenge it answers, both or neither: a wrong code leaves the
    /// challenge for another try, and two requests at once cannot use up two codes for one login.
    async fn complete_with_recovery_code(
        &self,
        challenge: &[u8; 32],
        user: UserId,
        code_hash: &[u8; 32],
    ) -> Result<RecoveryOutcome, StoreError>;
    /// Unused recovery codes left.
    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StoreError>;
    /// Forgets the user's enrolment, recovery codes, trusted devices and pending challenges; returns whether there
    /// was anything to forget.
    async fn reset_two_factor(&self, user: UserId) -> Result<bool, StoreError>;

    // --- challenges -------------------------------------------------------------------------------------------
    async fn insert_challenge(&self, challenge: &LoginChallenge) -> Result<(), StoreError>;
    async fn challenge(&self, token_hash: &[u8; 32]) -> Result<Option<LoginChallenge>, StoreError>;
    /// Counts a wrong code; returns the attempts so far.
    async fn count_challenge_attempt(&self, token_hash: &[u8; 32]) -> Result<u32, StoreError>;
    /// Deletes a challenge; true for exactly one caller, so a challenge completes one login.
    async fn take_challenge(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError>;

    // --- trusted devices --------------------------------------------------------------------------------------
    async fn trust_device(
        &self,
        token_hash: &[u8; 32],
        user: UserId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError>;
    /// The user a device token was trusted for, if it has not expired at `now`.
    async fn trusted_device(&self, token_hash: &[u8; 32], now: Timestamp) -> Result<Option<UserId>, StoreError>;

    /// The user's sessions not ended and not past their absolute expiry at `now` (the connection policy's "already
    /// logged on").
    async fn user_live_sessions(&self, user: UserId, now: Timestamp) -> Result<Vec<SessionRecord>, StoreError>;

    /// Forgets the devices trusted for a user (after an administrator resets the password or deactivates the
    /// account, which a remembered device must not outlive).
    async fn forget_trusted_devices(&self, user: UserId) -> Result<(), StoreError>;
    /// Sets "must change password at next logon" alone (the maximum password age passed), leaving the rest of the
    /// account as it is.
    async fn require_password_change(&self, user: UserId) -> Result<(), StoreError>;

    /// Deletes expired challenges and devices.
    async fn purge_signin(&self, now: Timestamp) -> Result<(), StoreError>;
}
