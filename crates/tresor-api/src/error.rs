//! The error body every failed request returns, and the stable machine-readable codes in it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of every 4xx and 5xx response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable code for programs and a sentence for people. The message never contains a secret. Refusals that
/// hinge on an entry's state say what that state is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// With `precondition_failed` and `version_conflict`: the entry's current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u32>,
    /// With `entry_locked`: who holds the lock, since when, until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<crate::EntryLockView>,
}

impl ErrorDetail {
    /// A code and a message, with nothing else to say.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), current_version: None, lock: None }
    }
}

/// Stable error codes. New codes may be added; existing ones never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON.
    MalformedJson,
    /// The body is JSON but does not match the expected shape (unknown or missing field, wrong type).
    InvalidBody,
    /// A path or query parameter is malformed.
    InvalidParameter,
    /// The request is well-formed but a value breaks a rule (empty name, bad address, role combination…).
    ValidationFailed,
    /// A value names something that does not exist as such (an unknown entry type or field) or is malformed (a
    /// TOTP secret that is not base32).
    InvalidValue,
    /// The entry changed since the version the request was based on; the message names the current version.
    VersionConflict,
    /// The entry is no longer at the version `If-Match` names; `current_version` and the `ETag` header give the
    /// current one.
    PreconditionFailed,
    /// Another user is editing the entry: its lock is held by someone else (`lock` names who, since when).
    EntryLocked,
    /// This session does not hold the lock it tried to release.
    LockNotHeld,
    /// The entry is sealed for the caller: its secrets wait for an authorised person's approval (the message says
    /// in which state the seal is).
    EntrySealed,
    /// The entry has a second password and the request did not give it (`tresor-second-password`).
    SecondPasswordRequired,
    /// The entry's second password given is wrong.
    SecondPasswordWrong,
    /// The database asks for a reason when an entry is deleted.
    ReasonRequired,
    /// The database's properties and permissions are protected by its custom password: send it in the
    /// `tresor-database-password` header.
    DatabasePasswordRequired,
    /// The database's custom password is wrong.
    DatabasePasswordWrong,
    /// Stored data could not be decrypted: it was altered or does not belong where it was found. Nothing of it is
    /// returned.
    Undecryptable,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// The request has no JSON content type.
    UnsupportedMediaType,
    /// No session token, or one the server does not know, or one that expired or was revoked.
    Unauthenticated,
    /// Wrong account name or password (the same answer for both).
    InvalidCredentials,
    /// The account is deactivated.
    AccountDisabled,
    /// The caller's address is not allowed for this account.
    AddressNotAllowed,
    /// The caller must change the password before doing anything else.
    PasswordChangeRequired,
    /// The account may not change its own password.
    PasswordChangeNotAllowed,
    /// The caller lacks the server role or permission this needs.
    Forbidden,
    /// The built-in super administrator manages the server but cannot act as a client.
    SuperAdminNotAClient,
    /// No such object.
    NotFound,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// A user or group with that name exists already.
    DuplicateName,
    /// The membership would make a group contain itself.
    GroupCycle,
    /// All licensed seats are taken.
    SeatLimitReached,
    /// The change conflicts with the current state (for example removing a membership that does not exist).
    Conflict,
    /// Too many requests (login attempts from one address); `Retry-After` says when to try again.
    RateLimited,
    /// The server is paused: only administrators can work until it is continued.
    ServerPaused,
    /// This kind of client may not connect to this server.
    ClientNotAllowed,
    /// The account is logged on from another address and the server allows one connection per user.
    AlreadyLoggedOn,
    /// The sign-in challenge is unknown, expired or completed: log in again.
    SecondFactorExpired,
    /// The second-factor code is wrong.
    SecondFactorInvalid,
    /// The authenticator code was used already.
    SecondFactorReused,
    /// The code is neither six digits nor a recovery code.
    SecondFactorMalformed,
    /// The account cannot receive a second factor (for e-mailed codes: no e-mail address).
    SecondFactorUnavailable,
    /// The e-mailed code could not be sent.
    SecondFactorNotSent,
    /// Sending a test message failed; the message says why.
    MailFailed,
    /// The server log cannot be written, so nothing that must be recorded (a secret) was released.
    AuditUnavailable,
    /// The server could not complete the request; details are in its log.
    Internal,
    /// The server is not ready (starting, sealed or its store is unreachable).
    Unavailable,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidBody => "invalid_body",
            Self::InvalidParameter => "invalid_parameter",
            Self::ValidationFailed => "validation_failed",
            Self::InvalidValue => "invalid_value",
            Self::VersionConflict => "version_conflict",
            Self::PreconditionFailed => "precondition_failed",
            Self::EntryLocked => "entry_locked",
            Self::LockNotHeld => "lock_not_held",
            Self::EntrySealed => "entry_sealed",
            Self::SecondPasswordRequired => "second_password_required",
            Self::SecondPasswordWrong => "second_password_wrong",
            Self::ReasonRequired => "reason_required",
            Self::DatabasePasswordRequired => "database_password_required",
            Self::DatabasePasswordWrong => "database_password_wrong",
            Self::Undecryptable => "undecryptable",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountDisabled => "account_disabled",
            Self::AddressNotAllowed => "address_not_allowed",
            Self::PasswordChangeRequired => "password_change_required",
            Self::PasswordChangeNotAllowed => "password_change_not_allowed",
            Self::Forbidden => "forbidden",
            Self::SuperAdminNotAClient => "super_admin_not_a_client",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::DuplicateName => "duplicate_name",
            Self::GroupCycle => "group_cycle",
            Self::SeatLimitReached => "seat_limit_reached",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::ServerPaused => "server_paused",
            Self::ClientNotAllowed => "client_not_allowed",
            Self::AlreadyLoggedOn => "already_logged_on",
            Self::SecondFactorExpired => "second_factor_expired",
            Self::SecondFactorInvalid => "second_factor_invalid",
            Self::SecondFactorReused => "second_factor_reused",
            Self::SecondFactorMalformed => "second_factor_malformed",
            Self::SecondFactorUnavailable => "second_factor_unavailable",
            Self::SecondFactorNotSent => "second_factor_not_sent",
            Self::MailFailed => "mail_failed",
            Self::AuditUnavailable => "audit_unavailable",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
