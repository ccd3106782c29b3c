//! What went wrong, in the port's terms: lettre's errors sorted by the step that failed into [`MailError`], and the
//! password scrubbed from every message.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tresor_core::mail::{MailError, SmtpSettings};
use zeroize::Zeroizing;

/// A step of the SMTP conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// TCP connect (and the TLS handshake for implicit TLS), the greeting and EHLO.
    Connect,
    StartTls,
    Auth,
    /// MAIL FROM, RCPT TO and DATA.
    Send,
}

/// A step that failed.
#[derive(Debug)]
pub(crate) enum StepError {
    TimedOut(Duration),
    Smtp(lettre::transport::smtp::Error),
}

impl StepError {
    /// The server's own refusals (a 4xx/5xx reply, or lettre refusing to go on with what the server offers) belong
    /// to the step: a refused login is [`MailError::Auth`], a refused sender, recipient or message is
    /// [`MailError::Rejected`]. Everything else (no answer in time, a network or TLS failure, a connection closed
    /// mid-answer) means the server could not be talked to: [`MailError::Connect`].
    pub(crate) fn into_mail_error(self, step: Step, server: &str) -> MailError {
        let error = match self {
            StepError::TimedOut(limit) => {
                return MailError::Connect(format!(
                    "{server} did not answer within {} s while {}",
                    limit.as_secs_f32(),
                    step.doing()
                ));
            }
            StepError::Smtp(error) => error,
        };
        let refused = error.is_permanent() || error.is_transient() || error.is_client();
        let text = format!("{server} while {}: {}", step.doing(), describe(&error));
        match step {
            Step::Auth if refused => MailError::Auth(text),
            Step::Send if refused => MailError::Rejected(text),
            _ => MailError::Connect(text),
        }
    }
}

impl Step {
    fn doing(self) -> &'static str {
        match self {
            Step::Connect => "connecting",
            Step::StartTls => "starting TLS",
            Step::Auth => "logging in",
            Step::Send => "sending",
        }
    }
}

/// A server's reply as lettre shows it (`permanent error (550): 5.1.1 …`); for other failures the innermost cause
/// (`invalid peer certificate: UnknownIssuer`), without lettre's repeated `Connection error:` wrappers.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    if error.status().is_some() {
        return error.to_string();
    }
    let mut innermost: &dyn std::error::Error = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// Removes the password from the error's message: in clear, and as AUTH LOGIN and AUTH PLAIN send it (base64), in
/// case a server echoes what it was sent.
pub(crate) fn redact(error: MailError, settings: &SmtpSettings) -> MailError {
    let Some(password) = settings.password.as_ref().filter(|p| !p.is_empty()) else {
        return error;
    };
    let secret = password.expose_secret();
    let plain = Zeroizing::new(format!("\0{}\0{secret}", settings.username));
    let forms = [
        Zeroizing::new(STANDARD.encode(plain.as_bytes())),
        Zeroizing::new(STANDARD.encode(secret)),
        Zeroizing::new(secret.to_owned()),
    ];
    let scrub = |text: String| forms.iter().fold(text, |text, form| text.replace(form.as_str(), "<redacted>"));
    match error {
        MailError::Config(m) => MailError::Config(scrub(m)),
        MailError::Connect(m) => MailError::Connect(scrub(m)),
        MailError::Auth(m) => MailError::Auth(scrub(m)),
        MailError::Rejected(m) => MailError::Rejected(scrub(m)),
    }
}
