//! Outgoing mail: the settings of the server's outgoing mail server (seed manual, Server Settings → Email) and the
//! [`Mailer`] port that sends through it. Second-factor codes use it now, notifications later; there is one mailer.

use async_trait::async_trait;
use tresor_crypto::SecretString;

use crate::error::CoreError;
use crate::keyring::Keyring;
use crate::store::Store;

/// How the connection to the outgoing mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MailTls {
    /// Plain SMTP (only for a relay on the same machine or a trusted network).
    None,
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    #[default]
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl MailTls {
    pub const ALL: [MailTls; 3] = [MailTls::None, MailTls::StartTls, MailTls::Tls];

    pub fn as_str(self) -> &'static str {
        match self {
            MailTls::None => "none",
            MailTls::StartTls => "starttls",
            MailTls::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<MailTls> {
        MailTls::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Everything needed to reach the outgoing mail server. The password is a secret: its `Debug` is redacted and it
/// is stored sealed by the master key.
#[derive(Debug, Default)]
pub struct SmtpSettings {
    /// The sender's display name.
    pub sender_name: String,
    /// The sender's address; empty means mail is not configured.
    pub sender_address: String,
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    /// Empty: no authentication.
    pub username: String,
    pub password: Option<SecretString>,
    /// Extra trust anchors (PEM) for a mail server whose certificate is issued by a private CA.
    pub ca_pem: String,
}

impl SmtpSettings {
    /// Whether enough is set to try sending.
    pub fn is_configured(&self) -> bool {
        !self.sender_address.is_empty() && !self.host.is_empty() && self.port != 0
    }
}

/// One plain-text message to one recipient. Its `Debug` leaves the body out: a body may carry a sign-in code.
#[derive(Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl std::fmt::Debug for MailMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailMessage").field("to", &self.to).field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Why a message was not sent. The message never contains the SMTP password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The settings are incomplete or invalid (no sender, an address that does not parse…).
    #[error("mail is not configured correctly: {0}")]
    Config(String),
    /// The mail server could not be reached, refused the connection or the TLS handshake failed.
    #[error("the mail server could not be reached: {0}")]
    Connect(String),
    /// The mail server refused the login.
    #[error("the mail server refused the login: {0}")]
    Auth(String),
    /// The mail server refused the message or a recipient.
    #[error("the mail server refused the message: {0}")]
    Rejected(String),
}

/// Sends mail. The SMTP adapter implements it; the settings are passed on each call because administrators change
/// them at run time.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug + 'static {
    async fn send(&self, settings: &SmtpSettings, message: &MailMessage) -> Result<(), MailError>;
}

/// Settings key of the stored form.
const SMTP_KEY: &str = "mail.smtp";
/// Binds the sealed SMTP password to its place.
const PASSWORD_AAD: &[u8] = b"tresor:smtp-password";

impl SmtpSettings {
    /// Refuses settings that cannot work, naming the field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |m: &str| Err(CoreError::Validation(m.to_owned()));
        let nothing_set = self.sender_address.is_empty() && self.host.is_empty();
        if nothing_set {
            return Ok(()); // mail switched off
        }
        if self.sender_address.len() > 254 || self.sender_address.split('@').filter(|p| !p.is_empty()).count() != 2 {
            return bad("sender_address must be an e-mail address such as tresor@example.com");
        }
        if self.host.is_empty() || self.host.len() > 253 || self.host.contains(char::is_whitespace) {
            return bad("host must be the mail server's name or address");
        }
        if self.port == 0 {
            return bad("port must be 1 to 65535");
        }
        if self.sender_name.len() > 200 || self.sender_name.contains(['\r', '\n']) {
            return bad("sender_name must be one line of at most 200 bytes");
        }
        if self.username.len() > 254 {
            return bad("username is too long");
        }
        let loopback = self.host == "localhost" || self.host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
        if !self.username.is_empty() && self.tls == MailTls::None && !loopback {
            return bad("tls none would send the mail server's password unencrypted: use starttls or tls");
        }
        if !self.ca_pem.trim().is_empty() && !self.ca_pem.contains("-----BEGIN CERTIFICATE-----") {
            return bad("ca_pem must hold PEM certificates (-----BEGIN CERTIFICATE-----)");
        }
        Ok(())
    }

    /// The outgoing mail server's settings as stored; the defaults when never set.
    pub async fn load(store: &dyn Store, keyring: &Keyring) -> Result<SmtpSettings, CoreError> {
        let Some(stored) = store.setting(SMTP_KEY).await? else {
            return Ok(SmtpSettings { port: 587, ..SmtpSettings::default() });
        };
        let text = |m: &std::collections::HashMap<&str, &str>, k: &str| -> Option<String> {
            String::from_utf8(hex::decode(m.get(k)?).ok()?).ok()
        };
        let parsed = crate::signin::settings::decode_fields(&stored).and_then(|m| {
            let password = match m.get("password") {
                Some(sealed) if !sealed.is_empty() => Some(hex::decode(sealed).ok()?),
                _ => None,
            };
            Some((
                SmtpSettings {
                    sender_name: text(&m, "sender_name")?,
                    sender_address: text(&m, "sender_address")?,
                    host: text(&m, "host")?,
                    port: m.get("port")?.parse().ok()?,
                    tls: MailTls::parse(m.get("tls")?)?,
                    username: text(&m, "username")?,
                    password: None,
                    ca_pem: text(&m, "ca_pem")?,
                },
                password,
            ))
        });
        let Some((mut settings, sealed)) = parsed else {
            return Err(CoreError::Internal("the stored mail settings do not read".to_owned()));
        };
        if let Some(sealed) = sealed {
            let plain = keyring.open_secret(PASSWORD_AAD, &sealed)?;
            let password = String::from_utf8(plain.to_vec())
                .map_err(|_| CoreError::Internal("the stored mail password does not read".to_owned()))?;
            settings.password = Some(SecretString::new(password));
        }
        Ok(settings)
    }

    /// Stores the settings, the password sealed by the master key.
    pub async fn save(&self, store: &dyn Store, keyring: &Keyring) -> Result<(), CoreError> {
        self.validate()?;
        let hexed = |s: &str| hex::encode(s.as_bytes());
        let password = match &self.password {
            Some(p) if !p.expose_secret().is_empty() => {
                hex::encode(keyring.seal_secret(PASSWORD_AAD, p.expose_secret().as_bytes())?)
            }
            _ => String::new(),
        };
        let stored = crate::signin::settings::encode_fields(&[
            ("sender_name", hexed(&self.sender_name)),
            ("sender_address", hexed(&self.sender_address)),
            ("host", hexed(&self.host)),
            ("port", self.port.to_string()),
            ("tls", self.tls.as_str().to_owned()),
            ("username", hexed(&self.username)),
            ("password", password),
            ("ca_pem", hexed(&self.ca_pem)),
        ]);
        store.put_setting(SMTP_KEY, &stored).await?;
        Ok(())
    }
}
