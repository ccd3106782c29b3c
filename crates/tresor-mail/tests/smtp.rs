//! `SmtpMailer` against a real SMTP server (aiosmtpd, through the test kit's `SmtpSink`): plain, with a login,
//! STARTTLS and implicit TLS with a private CA, UTF-8 intact, and every failure mapped to its `MailError`.

use std::time::{Duration, Instant};

use tresor_core::mail::{MailError, MailMessage, MailTls, Mailer, SmtpSettings};
use tresor_crypto::SecretString;
use tresor_mail::SmtpMailer;
use tresor_testkit::smtp::{ReceivedMail, SinkOptions, SinkTls, SmtpSink};

const WAIT: Duration = Duration::from_secs(10);
const USER: &str = "tresor-mailer";
const PASSWORD: &str = "smtp-pa55word-never-in-errors";

fn settings(sink: &SmtpSink, tls: MailTls) -> SmtpSettings {
    SmtpSettings {
        sender_name: "Tresor Server".to_owned(),
        sender_address: "tresor@example.org".to_owned(),
        host: sink.host().to_owned(),
        port: sink.port(),
        tls,
        username: String::new(),
        password: None,
        ca_pem: sink.ca_pem().unwrap_or_default().to_owned(),
    }
}

fn with_login(mut settings: SmtpSettings, password: &str) -> SmtpSettings {
    settings.username = USER.to_owned();
    settings.password = Some(SecretString::new(password.to_owned()));
    settings
}

fn message(to: &str) -> MailMessage {
    MailMessage { to: to.to_owned(), subject: "Your sign-in code".to_owned(), body: "Code: 123456".to_owned() }
}

fn mailer() -> SmtpMailer {
    SmtpMailer::with_timeout(Duration::from_secs(5))
}

async fn only_message(sink: &SmtpSink) -> ReceivedMail {
    let mut messages = sink.wait_for_messages(1, WAIT).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    messages.remove(0)
}

#[tokio::test]
async fn plain_smtp_delivers_with_sender_name_date_and_message_id() {
    let Some(sink) = SmtpSink::start() else { return };
    mailer().send(&settings(&sink, MailTls::None), &message("alice@example.org")).await.expect("send");

    let mail = only_message(&sink).await;
    assert_eq!(mail.from, "Tresor Server <tresor@example.org>");
    assert_eq!(mail.mail_from, "tresor@example.org");
    assert_eq!(mail.to, ["alice@example.org"]);
    assert_eq!(mail.subject, "Your sign-in code");
    assert_eq!(mail.body.trim_end(), "Code: 123456");
    assert!(mail.raw.contains("\r\nDate: "), "{}", mail.raw);
    let message_id = mail.raw.lines().find_map(|l| l.strip_prefix("Message-ID: ")).expect("a Message-ID header");
    assert!(message_id.starts_with('<') && message_id.ends_with("@example.org>"), "{message_id}");
    assert_eq!(mail.login, None);
    assert!(!mail.tls);
}

#[tokio::test]
async fn a_utf8_subject_and_body_arrive_intact() {
    let Some(sink) = SmtpSink::start() else { return };
    let mut m = message("juergen@example.org");
    m.subject = "Zugangscode für Jürgen ✓ — 日本語".to_owned();
    m.body = "Grüße aus Köln,\nIhr Code lautet 654321.\n\nÆøå · Ünïcødé · 🔐\nEnde".to_owned();
    let mut s = settings(&sink, MailTls::None);
    s.sender_name = "Trésor Ünïcode".to_owned();
    mailer().send(&s, &m).await.expect("send");

    let mail = only_message(&sink).await;
    assert_eq!(mail.subject, m.subject);
    assert_eq!(mail.body.trim_end(), m.body);
    assert_eq!(mail.from, "Trésor Ünïcode <tresor@example.org>");
}

#[tokio::test]
async fn login_with_the_right_password_delivers_as_that_user() {
    let Some(sink) = SmtpSink::start_with_auth(USER, PASSWORD) else { return };
    let s = with_login(settings(&sink, MailTls::None), PASSWORD);
    mailer().send(&s, &message("alice@example.org")).await.expect("send");
    assert_eq!(only_message(&sink).await.login.as_deref(), Some(USER));
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_that_does_not_show_it() {
    let Some(sink) = SmtpSink::start_with_auth(USER, PASSWORD) else { return };
    let wrong = "wrong-pa55word-also-secret";
    let s = with_login(settings(&sink, MailTls::None), wrong);
    let err = mailer().send(&s, &message("alice@example.org")).await.expect_err("wrong password");
    let MailError::Auth(text) = &err else { panic!("expected an Auth error, got {err:?}") };
    assert!(text.contains("535"), "{text}");
    assert!(!err.to_string().contains(wrong) && !format!("{err:?}").contains(wrong), "{err:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn no_login_where_the_server_requires_one_is_refused() {
    let Some(sink) = SmtpSink::start_with_auth(USER, PASSWORD) else { return };
    let err = mailer().send(&settings(&sink, MailTls::None), &message("a@example.org")).await.expect_err("no login");
    let MailError::Rejected(text) = &err else { panic!("expected a Rejected error, got {err:?}") };
    assert!(text.contains("530"), "{text}");
}

#[tokio::test]
async fn a_login_where_the_server_offers_none_is_an_auth_error() {
    let Some(sink) = SmtpSink::start() else { return };
    let s = with_login(settings(&sink, MailTls::None), PASSWORD);
    let err = mailer().send(&s, &message("alice@example.org")).await.expect_err("no AUTH offered");
    let MailError::Auth(text) = &err else { panic!("expected an Auth error, got {err:?}") };
    assert!(text.contains("offers no login mechanism"), "{text}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn starttls_with_the_private_ca_delivers_over_tls_with_login() {
    let options = SinkOptions { tls: SinkTls::StartTls, auth: Some((USER.to_owned(), PASSWORD.to_owned())) };
    let Some(sink) = SmtpSink::start_with(options) else { return };
    let s = with_login(settings(&sink, MailTls::StartTls), PASSWORD);
    assert!(!s.ca_pem.is_empty());
    mailer().send(&s, &message("alice@example.org")).await.expect("send");

    let mail = only_message(&sink).await;
    assert!(mail.tls, "the message travelled in clear");
    assert_eq!(mail.login.as_deref(), Some(USER));
}

#[tokio::test]
async fn starttls_without_the_private_ca_fails_to_connect() {
    let Some(sink) = SmtpSink::start_starttls() else { return };
    let mut s = settings(&sink, MailTls::StartTls);
    s.ca_pem = String::new();
    let err = mailer().send(&s, &message("alice@example.org")).await.expect_err("untrusted certificate");
    let MailError::Connect(text) = &err else { panic!("expected a Connect error, got {err:?}") };
    assert!(text.contains("invalid peer certificate") && text.contains("UnknownIssuer"), "{text}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn starttls_is_required_not_opportunistic() {
    let Some(sink) = SmtpSink::start() else { return };
    let err = mailer().send(&settings(&sink, MailTls::StartTls), &message("a@example.org")).await.expect_err("no TLS");
    let MailError::Connect(text) = &err else { panic!("expected a Connect error, got {err:?}") };
    assert!(text.contains("does not offer STARTTLS"), "{text}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn plain_smtp_against_a_server_that_requires_starttls_is_refused() {
    let Some(sink) = SmtpSink::start_starttls() else { return };
    let err = mailer().send(&settings(&sink, MailTls::None), &message("a@example.org")).await.expect_err("no TLS");
    assert!(matches!(err, MailError::Rejected(_)), "{err:?}");
}

#[tokio::test]
async fn implicit_tls_with_the_private_ca_delivers() {
    let options = SinkOptions { tls: SinkTls::Implicit, auth: Some((USER.to_owned(), PASSWORD.to_owned())) };
    let Some(sink) = SmtpSink::start_with(options) else { return };
    let s = with_login(settings(&sink, MailTls::Tls), PASSWORD);
    mailer().send(&s, &message("alice@example.org")).await.expect("send");
    let mail = only_message(&sink).await;
    assert!(mail.tls);
    assert_eq!(mail.login.as_deref(), Some(USER));
}

#[tokio::test]
async fn a_tls_certificate_for_another_name_fails_to_connect() {
    let Some(sink) = SmtpSink::start_with(SinkOptions { tls: SinkTls::Implicit, auth: None }) else { return };
    let mut s = settings(&sink, MailTls::Tls);
    // The same server, reached under a name its certificate (for 127.0.0.1 only) does not carry.
    s.host = "localhost".to_owned();
    let err = mailer().send(&s, &message("alice@example.org")).await.expect_err("wrong name");
    let MailError::Connect(text) = &err else { panic!("expected a Connect error, got {err:?}") };
    assert!(text.contains("invalid peer certificate") && text.contains("not valid for name"), "{text}");
}

#[tokio::test]
async fn a_refused_recipient_is_a_rejected_error() {
    let Some(sink) = SmtpSink::start() else { return };
    let err = mailer()
        .send(&settings(&sink, MailTls::None), &message("reject-me@example.org"))
        .await
        .expect_err("refused recipient");
    let MailError::Rejected(text) = &err else { panic!("expected a Rejected error, got {err:?}") };
    assert!(text.contains("550") && text.contains("no such mailbox"), "{text}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_server_that_is_down_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let s = SmtpSettings {
        sender_address: "tresor@example.org".to_owned(),
        host: "127.0.0.1".to_owned(),
        port,
        tls: MailTls::None,
        ..SmtpSettings::default()
    };
    let started = Instant::now();
    let err = mailer().send(&s, &message("alice@example.org")).await.expect_err("nobody listens");
    assert!(matches!(err, MailError::Connect(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_connect_error_within_the_timeout() {
    // The kernel completes the handshake for a listener nobody accepts from: connected, but no greeting ever.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let s = SmtpSettings {
        sender_address: "tresor@example.org".to_owned(),
        host: "127.0.0.1".to_owned(),
        port: silent.local_addr().expect("addr").port(),
        tls: MailTls::None,
        ..SmtpSettings::default()
    };
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = SmtpMailer::with_timeout(timeout).send(&s, &message("alice@example.org")).await.expect_err("silent");
    let elapsed = started.elapsed();
    let MailError::Connect(text) = &err else { panic!("expected a Connect error, got {err:?}") };
    assert!(text.contains("did not answer"), "{text}");
    assert!(elapsed >= timeout && elapsed < timeout * 4, "took {elapsed:?}");
}
