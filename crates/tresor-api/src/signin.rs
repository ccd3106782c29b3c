//! What administrators set about signing in (seed manual: Server Settings → Connections, Additional → Failed
//! logins, Email, 2FA Settings; Client Security Policies → Password Policy; Manage → Pause/Continue).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ClientKind, WirePassword};

/// Connections → New connection from different device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewConnection {
    /// Refuse a login while the user is logged on from another address.
    Deny,
    /// Close the user's other sessions.
    CloseExisting,
    /// Allow several sessions.
    AllowMultiple,
}

/// Connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Supported authentications: account name and password (the only method so far; cannot be switched off).
    pub credentials: bool,
    /// Supported clients.
    pub clients: Vec<ClientKind>,
    pub new_connection: NewConnection,
    /// Disconnect sessions after this many idle minutes; 0 never.
    #[schema(maximum = 1440)]
    pub idle_minutes: u32,
}

/// Failed logins, and the per-address limit in front of password checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectionSettings {
    /// Failed logins after which the account is deactivated; 0 never.
    #[schema(maximum = 1000)]
    pub failed_login_limit: u32,
    /// Password checks one address may start per minute, sustained.
    #[schema(minimum = 1, maximum = 6000)]
    pub attempts_per_minute: u32,
    /// …and at once.
    #[schema(minimum = 1, maximum = 1000)]
    pub attempt_burst: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorMode {
    Off,
    Totp,
    Email,
}

/// 2FA Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorSettings {
    pub mode: TwoFactorMode,
    /// Days a user may trust a device for; 0: not allowed.
    #[schema(maximum = 365)]
    pub remember_device_days: u32,
    /// Minutes an e-mailed code stays valid.
    #[schema(minimum = 1, maximum = 60)]
    pub email_code_minutes: u32,
}

/// Password Policy for users' server passwords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginPasswordPolicy {
    #[schema(minimum = 8, maximum = 128)]
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digits: bool,
    pub require_symbols: bool,
    /// zxcvbn score (0 to 4) a new password must reach.
    #[schema(maximum = 4)]
    pub min_strength: u8,
    /// Previous passwords that may not be used again.
    #[schema(maximum = 24)]
    pub history: u32,
    /// Days after which the password must be changed; 0 never.
    #[schema(maximum = 3650)]
    pub max_age_days: u32,
    /// Days before the password may be changed again; 0 any time.
    #[schema(maximum = 365)]
    pub min_age_days: u32,
}

/// The sign-in settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SigninSettings {
    pub connections: ConnectionSettings,
    pub protection: ProtectionSettings,
    pub two_factor: TwoFactorSettings,
    pub password_policy: LoginPasswordPolicy,
    /// Whether the server is paused.
    pub paused: bool,
    /// Stored sections that do not read (their defaults are shown): until they are set again, only administrators
    /// can log in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub damaged: Vec<String>,
}

/// A change of the sign-in settings: each section given replaces the current one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigninSettingsPatch {
    #[serde(default, deserialize_with = "crate::object_only", skip_serializing_if = "Option::is_none")]
    pub connections: Option<ConnectionSettings>,
    #[serde(default, deserialize_with = "crate::object_only", skip_serializing_if = "Option::is_none")]
    pub protection: Option<ProtectionSettings>,
    #[serde(default, deserialize_with = "crate::object_only", skip_serializing_if = "Option::is_none")]
    pub two_factor: Option<TwoFactorSettings>,
    #[serde(default, deserialize_with = "crate::object_only", skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<LoginPasswordPolicy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailTls {
    None,
    Starttls,
    Tls,
}

/// Email: the outgoing mail server, as shown (the password never is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MailSettings {
    pub sender_name: String,
    pub sender_address: String,
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    pub username: String,
    /// Whether a password is stored.
    pub password_set: bool,
    /// Extra trust anchors (PEM) for a mail server with a private CA.
    pub ca_pem: String,
}

/// Replaces the mail settings. Leave `password` out to keep the stored one; send `""` to remove it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettingsRequest {
    #[serde(default)]
    pub sender_name: String,
    pub sender_address: String,
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    #[serde(default)]
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<WirePassword>,
    #[serde(default)]
    pub ca_pem: String,
}

/// Email → Test Connection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestMailRequest {
    /// The recipient of the test message.
    pub to: String,
}

/// A user's second factor and failed logins, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorStatus {
    pub totp_enrolled: bool,
    pub recovery_codes_left: u32,
    pub failed_logins: u32,
}

/// The answer to pause and continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PauseState {
    pub paused: bool,
    /// Whether this request changed the state.
    pub changed: bool,
}
