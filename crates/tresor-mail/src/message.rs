//! The message as it travels: settings and [`MailMessage`] checked and turned into an envelope and RFC 5322 bytes
//! (From with the sender's name, To, Subject, Date, Message-ID, a UTF-8 plain-text body). Anything that does not
//! fit is [`MailError::Config`], before a connection is opened.

use lettre::Address;
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use tresor_core::mail::{MailError, MailMessage, SmtpSettings};

/// A message ready to hand to the server.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) envelope: Envelope,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) fn build(settings: &SmtpSettings, message: &MailMessage) -> Result<Outgoing, MailError> {
    if settings.sender_address.trim().is_empty() {
        return Err(MailError::Config("no sender address is set".to_owned()));
    }
    if settings.host.trim().is_empty() {
        return Err(MailError::Config("no mail server is set".to_owned()));
    }
    if settings.port == 0 {
        return Err(MailError::Config("the mail server's port is 0".to_owned()));
    }
    let sender = parse_address("sender", &settings.sender_address)?;
    let recipient = parse_address("recipient", &message.to)?;
    // lettre encodes a subject with line breaks rather than breaking the header, but a line break in a subject is
    // a caller's mistake worth hearing about.
    if message.subject.contains(['\r', '\n']) {
        return Err(MailError::Config("the subject contains a line break".to_owned()));
    }
    let name = settings.sender_name.trim();
    let from = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), sender.clone());
    let email = Message::builder()
        .from(from)
        .to(Mailbox::new(None, recipient))
        .subject(message.subject.as_str())
        .message_id(message_id(&sender))
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| MailError::Config(format!("the message cannot be built: {e}")))?;
    Ok(Outgoing { envelope: email.envelope().clone(), bytes: email.formatted() })
}

fn parse_address(role: &str, address: &str) -> Result<Address, MailError> {
    address
        .trim()
        .parse()
        .map_err(|e| MailError::Config(format!("the {role} {address:?} is not an email address: {e}")))
}

/// `<random@sender's domain>`: the domain is one the sender answers for, which spam filters like better than this
/// machine's host name. `None` (lettre then makes one with the host name) only if the system has no randomness.
fn message_id(sender: &Address) -> Option<String> {
    let bytes: [u8; 16] = tresor_crypto::random_array().ok()?;
    let unique: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("<{unique}@{}>", sender.domain()))
}
