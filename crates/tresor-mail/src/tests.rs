//! Settings that fail before or without a mail server: the mapping to [`MailError`], the message's headers and
//! the password's redaction.

use std::time::Duration;

use tresor_core::mail::{MailError, MailMessage, MailTls, Mailer, SmtpSettings};
use tresor_crypto::SecretString;

use crate::SmtpMailer;

const PASSWORD: &str = "pa55-w0rd-that-must-not-leak";

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        sender_name: "Tresor Server".to_owned(),
        sender_address: "tresor@example.org".to_owned(),
        host: "127.0.0.1".to_owned(),
        port,
        tls: MailTls::None,
        username: "mailer".to_owned(),
        password: Some(SecretString::new(PASSWORD.to_owned())),
        ca_pem: String::new(),
    }
}

fn message() -> MailMessage {
    MailMessage { to: "alice@example.org".to_owned(), subject: "Your code".to_owned(), body: "123456".to_owned() }
}

/// A loopback port nobody listens on (it was free a moment ago).
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn send(settings: &SmtpSettings, message: &MailMessage) -> Result<(), MailError> {
    SmtpMailer::with_timeout(Duration::from_secs(5)).send(settings, message).await
}

fn assert_config(result: Result<(), MailError>, needle: &str) {
    match result {
        Err(MailError::Config(m)) => assert!(m.contains(needle), "{m:?} should mention {needle:?}"),
        other => panic!("expected a Config error about {needle:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_empty_sender_is_a_config_error() {
    let mut s = settings(unused_port());
    s.sender_address = " ".to_owned();
    assert_config(send(&s, &message()).await, "no sender address");
}

#[tokio::test]
async fn a_missing_host_or_port_is_a_config_error() {
    let mut s = settings(unused_port());
    s.host = String::new();
    assert_config(send(&s, &message()).await, "no mail server");
    let mut s = settings(unused_port());
    s.port = 0;
    assert_config(send(&s, &message()).await, "port is 0");
}

#[tokio::test]
async fn unparsable_addresses_are_config_errors() {
    let mut s = settings(unused_port());
    s.sender_address = "not an address".to_owned();
    assert_config(send(&s, &message()).await, "the sender \"not an address\"");

    let mut m = message();
    m.to = "alice@".to_owned();
    assert_config(send(&settings(unused_port()), &m).await, "the recipient \"alice@\"");
}

#[tokio::test]
async fn a_line_break_in_the_subject_is_a_config_error() {
    let mut m = message();
    m.subject = "Your code\r\nBcc: mallory@example.org".to_owned();
    assert_config(send(&settings(unused_port()), &m).await, "line break");
}

#[tokio::test]
async fn extra_ca_certificates_that_are_not_pem_are_a_config_error() {
    for tls in [MailTls::StartTls, MailTls::Tls] {
        let mut s = settings(unused_port());
        s.tls = tls;
        s.ca_pem = "just some text".to_owned();
        assert_config(send(&s, &message()).await, "no PEM certificate");
        s.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_owned();
        assert_config(send(&s, &message()).await, "extra CA certificate");
    }
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_for_every_tls_mode() {
    for tls in MailTls::ALL {
        let port = unused_port();
        let mut s = settings(port);
        s.tls = tls;
        match send(&s, &message()).await {
            Err(MailError::Connect(m)) => {
                assert!(m.contains(&format!("127.0.0.1:{port}")), "{m}");
                assert!(!m.contains(PASSWORD), "{m}");
            }
            other => panic!("{tls:?}: expected a Connect error, got {other:?}"),
        }
    }
}

#[test]
fn the_message_carries_from_with_name_date_message_id_and_a_utf8_text_body() {
    let mut m = message();
    m.subject = "Zugangscode für Jürgen".to_owned();
    m.body = "Grüße ✓\nzweite Zeile".to_owned();
    let outgoing = crate::message::build(&settings(25), &m).expect("build");
    let text = String::from_utf8(outgoing.bytes).expect("the message travels as ASCII or UTF-8");
    let (headers, _) = text.split_once("\r\n\r\n").expect("headers and body");
    assert!(headers.contains("From: \"Tresor Server\" <tresor@example.org>"), "{headers}");
    assert!(headers.contains("To: alice@example.org"), "{headers}");
    assert!(headers.contains("\r\nDate: "), "{headers}");
    assert!(headers.contains("Content-Type: text/plain; charset=utf-8"), "{headers}");
    let id = headers.lines().find_map(|l| l.strip_prefix("Message-ID: ")).expect("Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@example.org>") && id.len() > 40, "{id}");
    assert!(!headers.contains("für"), "a non-ASCII subject is encoded: {headers}");
    assert_eq!(outgoing.envelope.from().map(ToString::to_string).as_deref(), Some("tresor@example.org"));
    let to: Vec<String> = outgoing.envelope.to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["alice@example.org"]);
}

#[test]
fn without_a_sender_name_from_is_the_bare_address() {
    let mut s = settings(25);
    s.sender_name = "  ".to_owned();
    let outgoing = crate::message::build(&s, &message()).expect("build");
    let text = String::from_utf8(outgoing.bytes).expect("utf-8");
    assert!(text.contains("\r\nFrom: tresor@example.org\r\n") || text.starts_with("From: tresor@example.org\r\n"));
}

#[test]
fn errors_never_carry_the_password_in_clear_or_base64() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let s = settings(25);
    let plain = b64.encode(format!("\0mailer\0{PASSWORD}"));
    let login = b64.encode(PASSWORD);
    let echoed = format!("535 you sent {PASSWORD} as {plain} and {login}");
    for error in [
        MailError::Config(echoed.clone()),
        MailError::Connect(echoed.clone()),
        MailError::Auth(echoed.clone()),
        MailError::Rejected(echoed.clone()),
    ] {
        let text = crate::failure::redact(error, &s).to_string();
        assert!(!text.contains(PASSWORD) && !text.contains(&plain) && !text.contains(&login), "{text}");
        assert_eq!(text.matches("<redacted>").count(), 3, "{text}");
    }
}
