//! Outgoing mail: the settings of the server's outgoing mail server (seed manual, Server Settings → Email) and the
//! [`Mailer`] port that sends through it. Second-factor codes use it now, notifications later; there is one mailer.

use async_trait::async_trait;
use tresor_crypto::SecretString;

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
#[derive(Debug, Clone, Default)]
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

/// One plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub body: String,
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
