//! The sign-in settings (seed manual, Server Settings → Connections, Additional → Failed logins, 2FA Settings;
//! Client Security Policies → Password Policy; Manage → Pause) and their stored form.
//!
//! Each section is one row of the settings table in a `key=value;…` form with a version prefix. A row that does
//! not read (written by a newer server, or damaged) falls back to the defaults and says so in the log, so that a
//! bad row never locks everyone out.

use std::collections::HashMap;
use std::time::Duration;

use crate::error::CoreError;
use crate::password_policy::LoginPasswordPolicy;
use crate::session::ClientKind;
use crate::stored::{bit, flag};

/// Settings keys.
pub(crate) const CONNECTIONS: &str = "signin.connections";
pub(crate) const PROTECTION: &str = "signin.protection";
pub(crate) const TWO_FACTOR: &str = "signin.two_factor";
pub(crate) const PASSWORD_POLICY: &str = "signin.password_policy";
pub(crate) const PAUSED: &str = "server.paused";

/// Seed manual, Connections → New connection from different device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NewConnection {
    /// "Deny new connection when user is already logged on" (from another address).
    Deny,
    /// "Close existing connection and allow new one".
    CloseExisting,
    /// "Allow multiple connections from different IP addresses".
    AllowMultiple,
}

impl NewConnection {
    pub const ALL: [NewConnection; 3] =
        [NewConnection::Deny, NewConnection::CloseExisting, NewConnection::AllowMultiple];
    pub fn as_str(self) -> &'static str {
        match self {
            NewConnection::Deny => "deny",
            NewConnection::CloseExisting => "close_existing",
            NewConnection::AllowMultiple => "allow_multiple",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Seed manual, 2FA Settings → Operation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TwoFactorMode {
    Off,
    /// Codes from authenticator apps (RFC 6238).
    Totp,
    /// Codes sent by e-mail to the user's address.
    Email,
}

impl TwoFactorMode {
    pub const ALL: [TwoFactorMode; 3] = [TwoFactorMode::Off, TwoFactorMode::Totp, TwoFactorMode::Email];
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorMode::Off => "off",
            TwoFactorMode::Totp => "totp",
            TwoFactorMode::Email => "email",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Seed manual, Connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionPolicy {
    /// Supported authentications: account name and password. The only method until directory sign-in lands, so
    /// it cannot be switched off.
    pub credentials: bool,
    /// Supported clients: the kinds that may log in.
    pub clients: Vec<ClientKind>,
    pub new_connection: NewConnection,
    /// Inactive sessions: disconnect after this many minutes without a request; 0 never (the session's absolute
    /// lifetime still ends it).
    pub idle_minutes: u32,
}

/// Failed logins (seed manual, Additional) and the per-address limit in front of password checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginProtection {
    /// Failed logins after which the account is deactivated; 0 never. Counted until a successful login.
    pub failed_login_limit: u32,
    /// Password checks one source address may start per minute, sustained…
    pub attempts_per_minute: u32,
    /// …and at once after a quiet spell. A successful login gives its attempt back.
    pub attempt_burst: u32,
}

/// Seed manual, 2FA Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorSettings {
    pub mode: TwoFactorMode,
    /// "Users may choose to remember their devices (days)"; 0: they may not.
    pub remember_device_days: u32,
    /// "Email code expiration time (minutes)".
    pub email_code_minutes: u32,
}

/// Everything sign-in follows, as one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninSettings {
    pub connections: ConnectionPolicy,
    pub protection: LoginProtection,
    pub two_factor: TwoFactorSettings,
    pub password_policy: LoginPasswordPolicy,
    /// Seed manual, Manage → Pause: clients cannot log in or work; administrators can.
    pub paused: bool,
    /// Stored sections that did not read (their defaults are shown): until an administrator sets them again,
    /// only administrators can log in.
    pub damaged: Vec<&'static str>,
}

impl SigninSettings {
    /// The defaults, with the idle timeout from the server's configuration.
    pub fn defaults(idle_timeout: Duration) -> Self {
        Self {
            connections: ConnectionPolicy {
                credentials: true,
                clients: vec![ClientKind::Cli, ClientKind::Web, ClientKind::Api],
                new_connection: NewConnection::AllowMultiple,
                idle_minutes: u32::try_from(idle_timeout.as_secs() / 60).unwrap_or(u32::MAX).min(MAX_IDLE_MINUTES),
            },
            protection: LoginProtection { failed_login_limit: 10, attempts_per_minute: 30, attempt_burst: 10 },
            two_factor: TwoFactorSettings { mode: TwoFactorMode::Off, remember_device_days: 0, email_code_minutes: 10 },
            password_policy: LoginPasswordPolicy::default(),
            paused: false,
            damaged: Vec::new(),
        }
    }

    /// The idle timeout in force; `None`: sessions do not end for idleness.
    pub fn idle_timeout(&self) -> Option<Duration> {
        (self.connections.idle_minutes > 0).then(|| Duration::from_secs(u64::from(self.connections.idle_minutes) * 60))
    }

    /// Refuses values out of range, naming the setting.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |m: &str| Err(CoreError::Validation(m.to_owned()));
        let c = &self.connections;
        if !c.credentials {
            return bad(
                "connections.credentials: account and password is the only sign-in method and cannot be switched off",
            );
        }
        if c.clients.is_empty() {
            return bad("connections.clients: allow at least one kind of client");
        }
        if c.idle_minutes > MAX_IDLE_MINUTES {
            return bad("connections.idle_minutes must be 0 (never) to 1440");
        }
        let p = &self.protection;
        if p.failed_login_limit > 1000 {
            return bad("protection.failed_login_limit must be 0 (never) to 1000");
        }
        if !(1..=6000).contains(&p.attempts_per_minute) {
            return bad("protection.attempts_per_minute must be 1 to 6000");
        }
        if !(1..=1000).contains(&p.attempt_burst) {
            return bad("protection.attempt_burst must be 1 to 1000");
        }
        let t = &self.two_factor;
        if t.remember_device_days > 365 {
            return bad("two_factor.remember_device_days must be 0 (never) to 365");
        }
        if !(1..=60).contains(&t.email_code_minutes) {
            return bad("two_factor.email_code_minutes must be 1 to 60");
        }
        self.password_policy.validate()
    }
}

const MAX_IDLE_MINUTES: u32 = 1440;

/// `v1;key=value;…`, read back into a map by [`decode_fields`]. Values never contain `;` or `=` (free text is
/// hex-encoded by the caller).
pub(crate) fn encode_fields(pairs: &[(&str, String)]) -> String {
    let mut out = String::from("v1");
    for (k, v) in pairs {
        out.push(';');
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

pub(crate) fn decode_fields(s: &str) -> Option<HashMap<&str, &str>> {
    let mut parts = s.split(';');
    if parts.next()? != "v1" {
        return None;
    }
    parts.map(|p| p.split_once('=')).collect()
}

impl ConnectionPolicy {
    pub(crate) fn encode(&self) -> String {
        let clients: Vec<&str> = self.clients.iter().map(|c| c.as_str()).collect();
        encode_fields(&[
            ("credentials", bit(self.credentials).to_owned()),
            ("clients", clients.join(",")),
            ("new_connection", self.new_connection.as_str().to_owned()),
            ("idle_minutes", self.idle_minutes.to_string()),
        ])
    }
    pub(crate) fn decode(s: &str) -> Option<Self> {
        let m = decode_fields(s)?;
        let clients = m.get("clients")?;
        let clients = if clients.is_empty() {
            Vec::new()
        } else {
            clients.split(',').map(ClientKind::parse).collect::<Option<Vec<_>>>()?
        };
        Some(Self {
            credentials: flag(m.get("credentials")?)?,
            clients,
            new_connection: NewConnection::parse(m.get("new_connection")?)?,
            idle_minutes: m.get("idle_minutes")?.parse().ok()?,
        })
    }
}

impl LoginProtection {
    pub(crate) fn encode(&self) -> String {
        encode_fields(&[
            ("failed_login_limit", self.failed_login_limit.to_string()),
            ("attempts_per_minute", self.attempts_per_minute.to_string()),
            ("attempt_burst", self.attempt_burst.to_string()),
        ])
    }
    pub(crate) fn decode(s: &str) -> Option<Self> {
        let m = decode_fields(s)?;
        Some(Self {
            failed_login_limit: m.get("failed_login_limit")?.parse().ok()?,
            attempts_per_minute: m.get("attempts_per_minute")?.parse().ok()?,
            attempt_burst: m.get("attempt_burst")?.parse().ok()?,
        })
    }
}

impl TwoFactorSettings {
    pub(crate) fn encode(&self) -> String {
        encode_fields(&[
            ("mode", self.mode.as_str().to_owned()),
            ("remember_device_days", self.remember_device_days.to_string()),
            ("email_code_minutes", self.email_code_minutes.to_string()),
        ])
    }
    pub(crate) fn decode(s: &str) -> Option<Self> {
        let m = decode_fields(s)?;
        Some(Self {
            mode: TwoFactorMode::parse(m.get("mode")?)?,
            remember_device_days: m.get("remember_device_days")?.parse().ok()?,
            email_code_minutes: m.get("email_code_minutes")?.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_garbage_is_refused() {
        let d = SigninSettings::defaults(Duration::from_secs(1800));
        assert_eq!(d.connections.idle_minutes, 30);
        assert_eq!(ConnectionPolicy::decode(&d.connections.encode()), Some(d.connections.clone()));
        assert_eq!(LoginProtection::decode(&d.protection.encode()), Some(d.protection));
        assert_eq!(TwoFactorSettings::decode(&d.two_factor.encode()), Some(d.two_factor));
        let other = ConnectionPolicy {
            credentials: true,
            clients: vec![ClientKind::Web],
            new_connection: NewConnection::Deny,
            idle_minutes: 0,
        };
        assert_eq!(ConnectionPolicy::decode(&other.encode()), Some(other));
        for garbage in ["", "v2;mode=off", "v1;mode=sometimes;remember_device_days=1;email_code_minutes=1", "v1;x"] {
            assert_eq!(TwoFactorSettings::decode(garbage), None, "{garbage}");
        }
        assert_eq!(
            ConnectionPolicy::decode("v1;credentials=1;clients=cli,fax;new_connection=deny;idle_minutes=1"),
            None
        );
    }

    #[test]
    fn validation_names_the_setting() {
        let base = SigninSettings::defaults(Duration::from_secs(1800));
        type Change = fn(&mut SigninSettings);
        let cases: [(&str, Change); 8] = [
            ("connections.clients", |s| s.connections.clients.clear()),
            ("connections.credentials", |s| s.connections.credentials = false),
            ("connections.idle_minutes", |s| s.connections.idle_minutes = 1441),
            ("protection.attempts_per_minute", |s| s.protection.attempts_per_minute = 0),
            ("protection.attempt_burst", |s| s.protection.attempt_burst = 0),
            ("protection.failed_login_limit", |s| s.protection.failed_login_limit = 1001),
            ("two_factor.remember_device_days", |s| s.two_factor.remember_device_days = 366),
            ("two_factor.email_code_minutes", |s| s.two_factor.email_code_minutes = 0),
        ];
        assert!(base.validate().is_ok());
        for (name, change) in cases {
            let mut s = base.clone();
            change(&mut s);
            let err = s.validate().expect_err(name).to_string();
            assert!(err.starts_with(name), "{name}: {err}");
        }
    }
}
