//! Mapping between the sign-in settings and challenges of `tresor-core` and their wire form.

use tresor_api as api;
use tresor_core::mail::{MailTls, SmtpSettings};
use tresor_core::password_policy::LoginPasswordPolicy;
use tresor_core::session::ClientKind;
use tresor_core::signin::Challenge;
use tresor_core::signin::admin::{SigninSettingsChange, TwoFactorStatus};
use tresor_core::signin::settings::{
    ConnectionPolicy, LoginProtection, NewConnection, SigninSettings, TwoFactorMode, TwoFactorSettings,
};
use tresor_core::signin::store::ChallengeKind;

use crate::wire;

pub fn challenge(c: Challenge) -> api::SecondFactorRequired {
    api::SecondFactorRequired {
        challenge: c.token.expose_secret().to_owned(),
        method: match c.kind {
            ChallengeKind::Totp => api::SecondFactorMethod::Totp,
            ChallengeKind::TotpEnrolment => api::SecondFactorMethod::TotpEnrolment,
            ChallengeKind::Email => api::SecondFactorMethod::Email,
        },
        expires_at: c.expires_at.to_rfc3339(),
        enrolment: c.enrolment.map(|e| api::TotpEnrolmentOffer {
            uri: e.uri.expose_secret().to_owned(),
            secret: e.secret.expose_secret().to_owned(),
        }),
        sent_to: c.sent_to,
        remember_device_days: c.remember_device_days,
    }
}

pub fn settings(s: &SigninSettings) -> api::SigninSettings {
    let c = &s.connections;
    let p = &s.protection;
    let t = &s.two_factor;
    let pp = &s.password_policy;
    api::SigninSettings {
        connections: api::ConnectionSettings {
            credentials: c.credentials,
            clients: c.clients.iter().map(|k| wire::client_out(*k)).collect(),
            new_connection: match c.new_connection {
                NewConnection::Deny => api::NewConnection::Deny,
                NewConnection::CloseExisting => api::NewConnection::CloseExisting,
                NewConnection::AllowMultiple => api::NewConnection::AllowMultiple,
            },
            idle_minutes: c.idle_minutes,
        },
        protection: api::ProtectionSettings {
            failed_login_limit: p.failed_login_limit,
            attempts_per_minute: p.attempts_per_minute,
            attempt_burst: p.attempt_burst,
        },
        two_factor: api::TwoFactorSettings {
            mode: match t.mode {
                TwoFactorMode::Off => api::TwoFactorMode::Off,
                TwoFactorMode::Totp => api::TwoFactorMode::Totp,
                TwoFactorMode::Email => api::TwoFactorMode::Email,
            },
            remember_device_days: t.remember_device_days,
            email_code_minutes: t.email_code_minutes,
        },
        password_policy: api::LoginPasswordPolicy {
            min_length: pp.min_length,
            require_lowercase: pp.require_lowercase,
            require_uppercase: pp.require_uppercase,
            require_digits: pp.require_digits,
            require_symbols: pp.require_symbols,
            min_strength: pp.min_strength,
            history: pp.history,
            max_age_days: pp.max_age_days,
            min_age_days: pp.min_age_days,
        },
        paused: s.paused,
        damaged: s.damaged.iter().map(|d| (*d).to_owned()).collect(),
    }
}

pub fn settings_change(p: api::SigninSettingsPatch) -> SigninSettingsChange {
    SigninSettingsChange {
        connections: p.connections.map(|c| ConnectionPolicy {
            credentials: c.credentials,
            clients: c.clients.into_iter().map(|k| wire::client_in(Some(k))).collect::<Vec<ClientKind>>(),
            new_connection: match c.new_connection {
                api::NewConnection::Deny => NewConnection::Deny,
                api::NewConnection::CloseExisting => NewConnection::CloseExisting,
                api::NewConnection::AllowMultiple => NewConnection::AllowMultiple,
            },
            idle_minutes: c.idle_minutes,
        }),
        protection: p.protection.map(|p| LoginProtection {
            failed_login_limit: p.failed_login_limit,
            attempts_per_minute: p.attempts_per_minute,
            attempt_burst: p.attempt_burst,
        }),
        two_factor: p.two_factor.map(|t| TwoFactorSettings {
            mode: match t.mode {
                api::TwoFactorMode::Off => TwoFactorMode::Off,
                api::TwoFactorMode::Totp => TwoFactorMode::Totp,
                api::TwoFactorMode::Email => TwoFactorMode::Email,
            },
            remember_device_days: t.remember_device_days,
            email_code_minutes: t.email_code_minutes,
        }),
        password_policy: p.password_policy.map(|pp| LoginPasswordPolicy {
            min_length: pp.min_length,
            require_lowercase: pp.require_lowercase,
            require_uppercase: pp.require_uppercase,
            require_digits: pp.require_digits,
            require_symbols: pp.require_symbols,
            min_strength: pp.min_strength,
            history: pp.history,
            max_age_days: pp.max_age_days,
            min_age_days: pp.min_age_days,
        }),
    }
}

pub fn mail(m: &SmtpSettings) -> api::MailSettings {
    api::MailSettings {
        sender_name: m.sender_name.clone(),
        sender_address: m.sender_address.clone(),
        host: m.host.clone(),
        port: m.port,
        tls: match m.tls {
            MailTls::None => api::MailTls::None,
            MailTls::StartTls => api::MailTls::Starttls,
            MailTls::Tls => api::MailTls::Tls,
        },
        username: m.username.clone(),
        password_set: m.password.as_ref().is_some_and(|p| !p.is_empty()),
        ca_pem: m.ca_pem.clone(),
    }
}

pub fn mail_in(r: api::MailSettingsRequest) -> SmtpSettings {
    SmtpSettings {
        sender_name: r.sender_name,
        sender_address: r.sender_address.trim().to_owned(),
        host: r.host.trim().to_owned(),
        port: r.port,
        tls: match r.tls {
            api::MailTls::None => MailTls::None,
            api::MailTls::Starttls => MailTls::StartTls,
            api::MailTls::Tls => MailTls::Tls,
        },
        username: r.username,
        // `None` keeps the stored password; an empty one removes it.
        password: r.password.map(wire::secret),
        ca_pem: r.ca_pem,
    }
}

pub fn two_factor_status(s: TwoFactorStatus) -> api::TwoFactorStatus {
    api::TwoFactorStatus {
        totp_enrolled: s.totp_enrolled,
        recovery_codes_left: s.recovery_codes_left,
        failed_logins: s.failed_logins,
    }
}
