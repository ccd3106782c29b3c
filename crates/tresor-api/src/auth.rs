//! Login, logout, the caller's own account and password changes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::UserView;

/// A password as it travels in a request body. It serializes (a client must send it) but its `Debug` is
/// redacted and its memory is wiped on drop. Servers turn it into a secret type at once.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Password)]
pub struct WirePassword(Zeroizing<String>);

impl WirePassword {
    pub fn new(password: impl Into<String>) -> Self {
        Self(Zeroizing::new(password.into()))
    }
    /// The plaintext password; named so that every use is visible in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    /// Moves the plaintext out, still zeroized on drop.
    pub fn into_secret(self) -> Zeroizing<String> {
        self.0
    }
}

impl std::fmt::Debug for WirePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WirePassword(<redacted>)")
    }
}

/// The kind of client that opens a session; the server may allow or refuse each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Cli,
    Web,
    Api,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Web => "web",
            Self::Api => "api",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Account name (case-insensitive).
    pub account: String,
    pub password: WirePassword,
    /// Which kind of client is logging in; defaults to `api`.
    #[serde(default)]
    pub client: Option<ClientKind>,
    /// A device token from an earlier login with `remember_device`: skips the second factor until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<WirePassword>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The bearer token: send it as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    pub session: SessionInfo,
    /// When true, every request but changing the password, `GET /me` and logout answers
    /// `password_change_required` until the password is changed.
    pub password_change_required: bool,
    pub user: UserView,
    /// One-time recovery codes, shown only at the login that enrolled an authenticator: each opens one login
    /// when the authenticator is lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<String>,
    /// Present when the login asked to remember this device: send it as `device_token` with later logins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<DeviceToken>,
}

/// A trusted device's token and when it stops being trusted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceToken {
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// How the second factor of a login is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorMethod {
    /// A code from the enrolled authenticator app, or a recovery code.
    Totp,
    /// No authenticator yet: add `enrolment.uri` (or `enrolment.secret`) to an app and send its first code.
    TotpEnrolment,
    /// A code sent by e-mail.
    Email,
}

/// An authenticator to add to an app: shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TotpEnrolmentOffer {
    /// `otpauth://totp/…`, for a QR code.
    pub uri: String,
    /// The secret in base32, for typing into the app.
    pub secret: String,
}

/// The answer (202) to a login whose password was right and whose second factor is awaited.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecondFactorRequired {
    /// Send it back to `POST /auth/login/second-factor` with the code.
    pub challenge: String,
    pub method: SecondFactorMethod,
    /// RFC 3339: the challenge is refused after this.
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<TotpEnrolmentOffer>,
    /// For e-mailed codes: where the code went, partly hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to: Option<String>,
    /// Days a device may be remembered for; 0: remembering is off.
    pub remember_device_days: u32,
}

/// The second step of a login.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    pub challenge: WirePassword,
    /// Six digits, or a recovery code (`abcde-23456`).
    pub code: WirePassword,
    /// Trust this device for the days the server allows, skipping the second factor meanwhile.
    #[serde(default)]
    pub remember_device: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339: the session ends at this time whatever happens.
    pub expires_at: String,
    /// Minutes without a request after which the session ends.
    pub idle_timeout_minutes: u32,
}

/// The caller's own view of themselves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub session: SessionInfo,
    pub password_change_required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: WirePassword,
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    pub new_password: WirePassword,
}
