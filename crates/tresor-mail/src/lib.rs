//! The SMTP adapter of `tresor-core`'s [`Mailer`] port: [`SmtpMailer`] sends one plain-text message per call
//! through the outgoing mail server that [`SmtpSettings`] describes, with lettre over rustls (aws-lc-rs).
//!
//! Each call opens its own connection: administrators change the settings at run time and mail is rare
//! (second-factor codes, notifications), so a pool would only hold connections to a server that may no longer be
//! the configured one. The conversation is driven step by step (connect, STARTTLS, AUTH, send) instead of through
//! lettre's transport, so that a failure is reported as the step that failed: [`MailError::Connect`],
//! [`MailError::Auth`] or [`MailError::Rejected`]; settings that cannot work are [`MailError::Config`] before
//! anything is sent.
//!
//! **Architecture invariant:** no error this crate returns contains the SMTP password, in clear or in the base64
//! forms AUTH sends (`failure::redact`).

mod failure;
mod message;
mod tls;

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tresor_core::mail::{MailError, MailMessage, MailTls, Mailer, SmtpSettings};

use crate::failure::Step;
use crate::message::Outgoing;

/// How long each step of the conversation (reaching the server and its greeting, STARTTLS, logging in, handing
/// over the message) may take unless [`SmtpMailer::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The login mechanisms tried, in this order; both need the password itself, which is why the connection should
/// be protected by TLS.
const MECHANISMS: &[Mechanism] = &[Mechanism::Plain, Mechanism::Login];

/// Sends mail over SMTP; holds no connection between calls.
#[derive(Debug, Clone)]
pub struct SmtpMailer {
    timeout: Duration,
}

impl SmtpMailer {
    /// A mailer with [`DEFAULT_TIMEOUT`] per step.
    pub fn new() -> Self {
        Self::with_timeout(DEFAULT_TIMEOUT)
    }

    /// A mailer that gives each step of the conversation at most `timeout`; a server that does not answer in time
    /// is reported as [`MailError::Connect`].
    pub fn with_timeout(timeout: Duration) -> Self {
        Self { timeout }
    }

    /// The limit of each step.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn deliver(
        &self,
        settings: &SmtpSettings,
        tls: Option<TlsParameters>,
        outgoing: &Outgoing,
    ) -> Result<(), MailError> {
        let server = format!("{}:{}", settings.host, settings.port);
        let hello = ClientId::default();
        // Implicit TLS wraps the connection from the first byte; STARTTLS upgrades it after the greeting.
        let implicit = if settings.tls == MailTls::Tls { tls.clone() } else { None };
        let connect = AsyncSmtpConnection::connect_tokio1(
            (settings.host.as_str(), settings.port),
            Some(self.timeout),
            &hello,
            implicit,
            None,
        );
        let mut connection = self.step(connect).await.map_err(|e| e.into_mail_error(Step::Connect, &server))?;
        match self.converse(&mut connection, settings, tls, &hello, outgoing, &server).await {
            Ok(()) => {
                // The message is accepted; a QUIT that goes wrong changes nothing.
                let _ = tokio::time::timeout(self.timeout, connection.quit()).await;
                Ok(())
            }
            Err(error) => {
                if matches!(error, MailError::Auth(_) | MailError::Rejected(_)) {
                    // The server is answering: say goodbye instead of dropping the line.
                    let _ = tokio::time::timeout(self.timeout, connection.abort()).await;
                }
                Err(error)
            }
        }
    }

    async fn converse(
        &self,
        connection: &mut AsyncSmtpConnection,
        settings: &SmtpSettings,
        tls: Option<TlsParameters>,
        hello: &ClientId,
        outgoing: &Outgoing,
        server: &str,
    ) -> Result<(), MailError> {
        if settings.tls == MailTls::StartTls {
            // Required, not opportunistic: without it the password and the message would travel in clear.
            let Some(tls) = tls else {
                return Err(MailError::Config("STARTTLS is set but there are no TLS parameters".to_owned()));
            };
            if !connection.can_starttls() {
                return Err(MailError::Connect(format!(
                    "{server} does not offer STARTTLS, which the settings require"
                )));
            }
            let upgrade = connection.starttls(tls, hello);
            self.step(upgrade).await.map_err(|e| e.into_mail_error(Step::StartTls, server))?;
        }
        if !settings.username.is_empty() {
            if connection.server_info().get_auth_mechanism(MECHANISMS).is_none() {
                return Err(MailError::Auth(format!(
                    "{server} offers no login mechanism Tresor supports (PLAIN, LOGIN); \
                     leave the user name empty if it needs no login"
                )));
            }
            let password = settings.password.as_ref().map_or_else(String::new, |p| p.expose_secret().to_owned());
            // lettre keeps its own copy of the password for the length of this call; it is not wiped on drop.
            let credentials = Credentials::new(settings.username.clone(), password);
            let login = connection.auth(MECHANISMS, &credentials);
            self.step(login).await.map_err(|e| e.into_mail_error(Step::Auth, server))?;
        }
        let send = connection.send(&outgoing.envelope, &outgoing.bytes);
        self.step(send).await.map_err(|e| e.into_mail_error(Step::Send, server))?;
        Ok(())
    }

    /// Runs one step within the timeout.
    async fn step<T>(
        &self,
        step: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, failure::StepError> {
        match tokio::time::timeout(self.timeout, step).await {
            Ok(result) => result.map_err(failure::StepError::Smtp),
            Err(_) => Err(failure::StepError::TimedOut(self.timeout)),
        }
    }
}

impl Default for SmtpMailer {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, settings: &SmtpSettings, message: &MailMessage) -> Result<(), MailError> {
        let result = async {
            let outgoing = message::build(settings, message)?;
            let tls = tls::parameters(settings)?;
            self.deliver(settings, tls, &outgoing).await
        }
        .await;
        result.map_err(|error| failure::redact(error, settings))
    }
}

#[cfg(test)]
mod tests;
