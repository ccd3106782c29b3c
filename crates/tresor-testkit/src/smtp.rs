//! `SmtpSink`: a real SMTP server for tests (aiosmtpd, a Python child process on a loopback port) that keeps every
//! message it accepts as files, so a test can send through the mailer and read back what arrived.
//!
//! Like PostgreSQL, the sink is a peer: without `python3` and its `aiosmtpd` package, [`SmtpSink::start`] returns
//! `None` (saying why on stderr) and the test should skip, unless `TRESOR_REQUIRE_PEERS=1` makes that a failure.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use serde::Deserialize;
use tempfile::TempDir;

/// The loopback address the sink listens on.
const HOST: &str = "127.0.0.1";
/// How long the Python process may take to import aiosmtpd and listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The aiosmtpd handler. Each accepted message is written as `<n>.eml` (the raw bytes) and `<n>.json` (the fields
/// of [`ReceivedMail`]); both are written to a temporary name and renamed, so a reader never sees half a file.
/// Recipients whose address starts with `reject` are refused with 550.
const SINK_PY: &str = r#"# The test kit's SMTP sink: aiosmtpd on a loopback port, one JSON file per delivered message.
# Written by crates/tresor-testkit/src/smtp.rs; the only argument is its config file.
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

with open(sys.argv[1], encoding="utf-8") as f:
    config = json.load(f)
out_dir = config["dir"]
mode = config["tls"]  # "none", "starttls" or "implicit"
auth = config.get("auth")  # null or [user, password]

tls_context = None
if mode != "none":
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.load_cert_chain(config["cert"], config["key"])


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode("utf-8", "replace") == auth[0]
        and auth_data.password.decode("utf-8", "replace") == auth[1]
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A way for tests to see a refused recipient: every local part starting with "reject".
        if address.lower().startswith("reject"):
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        credentials = session.auth_data
        login = credentials.login if isinstance(credentials, LoginPassword) else None
        self.count += 1
        n = self.count
        record = {
            "mail_from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "from": str(message.get("From", "")),
            "subject": str(message.get("Subject", "")),
            "body": body.replace("\r\n", "\n"),
            "raw": raw.decode("utf-8", "replace"),
            "login": login.decode("utf-8", "replace") if login is not None else None,
            "tls": mode == "implicit" or session.ssl is not None,
        }
        write_atomically(os.path.join(out_dir, "%d.eml" % n), raw)
        write_atomically(os.path.join(out_dir, "%d.json" % n), json.dumps(record).encode("utf-8"))
        return "250 2.0.0 Ok: stored as %d" % n


async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()

    def protocol():
        return SMTP(
            handler,
            hostname="tresor-test-sink",
            tls_context=tls_context if mode == "starttls" else None,
            require_starttls=mode == "starttls",
            authenticator=authenticator if auth else None,
            auth_required=bool(auth),
            # Without a user to log in as, AUTH is not offered at all (unless after STARTTLS). With one, aiosmtpd
            # would offer it only after STARTTLS, but on implicit TLS the connection is already protected.
            auth_require_tls=mode == "starttls" or not auth,
            loop=loop,
        )

    server = await loop.create_server(
        protocol, host="127.0.0.1", port=0, ssl=tls_context if mode == "implicit" else None
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    # The parent holds our stdin: when it goes away (even killed), stdin reaches EOF and the sink stops.
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


asyncio.run(main())
"#;

/// How the sink protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SinkTls {
    /// Plain SMTP.
    #[default]
    None,
    /// STARTTLS offered and required before `MAIL FROM`.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// How to start an [`SmtpSink`].
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    pub tls: SinkTls,
    /// `Some((user, password))`: AUTH PLAIN/LOGIN is offered and required before `MAIL FROM`.
    pub auth: Option<(String, String)>,
}

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceivedMail {
    /// The `From` header, decoded (`Display Name <address>`).
    pub from: String,
    /// The envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`) the sink accepted.
    pub to: Vec<String>,
    /// The `Subject` header, decoded.
    pub subject: String,
    /// The text body, decoded from its transfer encoding and charset, with `\n` line ends.
    pub body: String,
    /// The message as it travelled (headers and encoded body).
    pub raw: String,
    /// The user that logged in before sending, if any.
    pub login: Option<String>,
    /// Whether the session was protected by TLS (STARTTLS or implicit).
    pub tls: bool,
}

/// A running aiosmtpd; stopped on drop.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    port: u16,
    dir: TempDir,
    ca_pem: Option<String>,
}

impl SmtpSink {
    /// A plain SMTP sink without authentication.
    pub fn start() -> Option<SmtpSink> {
        Self::start_with(SinkOptions::default())
    }

    /// A plain SMTP sink that requires logging in as `user` with `password`.
    pub fn start_with_auth(user: &str, password: &str) -> Option<SmtpSink> {
        Self::start_with(SinkOptions { tls: SinkTls::None, auth: Some((user.to_owned(), password.to_owned())) })
    }

    /// A sink that requires STARTTLS, with a certificate for `127.0.0.1` (and no other name) issued by a private CA
    /// ([`SmtpSink::ca_pem`]).
    pub fn start_starttls() -> Option<SmtpSink> {
        Self::start_with(SinkOptions { tls: SinkTls::StartTls, auth: None })
    }

    /// `None`, after a note on stderr, when `python3` or `aiosmtpd` is missing.
    ///
    /// # Panics
    /// When `TRESOR_REQUIRE_PEERS=1` and aiosmtpd is missing, or when the sink is available but does not start.
    pub fn start_with(options: SinkOptions) -> Option<SmtpSink> {
        if let Err(why) = aiosmtpd_available() {
            assert!(
                std::env::var("TRESOR_REQUIRE_PEERS").as_deref() != Ok("1"),
                "TRESOR_REQUIRE_PEERS=1 but the SMTP sink cannot run: {why}"
            );
            eprintln!("skipped: {why}, so mail is not tested against a real SMTP server");
            return None;
        }
        Some(Self::spawn(&options))
    }

    fn spawn(options: &SinkOptions) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let messages = dir.path().join("messages");
        std::fs::create_dir(&messages).unwrap_or_else(|e| panic!("create {}: {e}", messages.display()));
        let script = dir.path().join("sink.py");
        std::fs::write(&script, SINK_PY).unwrap_or_else(|e| panic!("write {}: {e}", script.display()));

        let tls = match options.tls {
            SinkTls::None => "none",
            SinkTls::StartTls => "starttls",
            SinkTls::Implicit => "implicit",
        };
        let mut config = serde_json::json!({ "dir": messages, "tls": tls, "auth": options.auth });
        let ca_pem = if options.tls == SinkTls::None {
            None
        } else {
            let (ca_pem, cert_pem, key_pem) = issue_certificate();
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            std::fs::write(&cert, cert_pem).unwrap_or_else(|e| panic!("write {}: {e}", cert.display()));
            std::fs::write(&key, key_pem).unwrap_or_else(|e| panic!("write {}: {e}", key.display()));
            config["cert"] = serde_json::json!(cert);
            config["key"] = serde_json::json!(key);
            Some(ca_pem)
        };
        let config_path = dir.path().join("config.json");
        std::fs::write(&config_path, config.to_string())
            .unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));

        let log_path = dir.path().join("server.log");
        let log = std::fs::File::create(&log_path).unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(&config_path)
            // The sink stops when its stdin closes, so it does not outlive a test process that is killed.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3: {e}"));
        let port = match read_port(&mut child) {
            Ok(port) => port,
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the SMTP sink did not start: {why}\n{}", read_log(&log_path));
            }
        };
        let sink = SmtpSink { child, port, dir, ca_pem };
        sink.wait_until_listening();
        sink
    }

    /// Polls until the port takes connections (the sink prints its port once it listens; this is the proof).
    fn wait_until_listening(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let address = (std::net::Ipv4Addr::LOCALHOST, self.port).into();
        while TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the SMTP sink does not accept connections on port {}\n{}",
                self.port,
                read_log(&self.log_path())
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address the sink listens on (`127.0.0.1`).
    pub fn host(&self) -> &str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM certificate of the private CA that issued the sink's certificate; `None` for a plain sink.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The directory the messages are written to.
    pub fn messages_dir(&self) -> PathBuf {
        self.dir.path().join("messages")
    }

    /// The messages accepted so far, in the order they arrived.
    ///
    /// # Panics
    /// When a message file cannot be read or parsed.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let dir = self.messages_dir();
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        let mut numbered: Vec<(u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter_map(|path| {
                let n = path.file_name()?.to_str()?.strip_suffix(".json")?.parse().ok()?;
                Some((n, path))
            })
            .collect();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, path)| {
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
            })
            .collect()
    }

    /// Waits until at least `n` messages have arrived and returns them all.
    ///
    /// # Panics
    /// When fewer than `n` have arrived after `timeout`; the message shows the sink's log.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        crate::arrivals::wait_for_count(n, timeout, || self.messages(), || read_log(&self.log_path())).await
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `python3` can import aiosmtpd, or why not.
fn aiosmtpd_available() -> Result<(), String> {
    match Command::new("python3").args(["-c", "import aiosmtpd"]).stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(_) => Err("the Python package aiosmtpd is not installed (python3 -m pip install aiosmtpd)".to_owned()),
        Err(e) => Err(format!("python3 cannot be run ({e})")),
    }
}

/// Reads the port the sink prints once it listens, within [`START_TIMEOUT`].
fn read_port(child: &mut Child) -> Result<u16, String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    // A thread, because a pipe read cannot be given a deadline; it ends with the child's stdout.
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(read.map(|_| line));
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(Ok(line)) => line.trim().parse().map_err(|_| format!("it printed {line:?} instead of its port")),
        Ok(Err(e)) => Err(format!("reading its port: {e}")),
        Err(_) => Err(format!("no port within {START_TIMEOUT:?}")),
    }
}

fn read_log(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    format!("--- SMTP sink log ---\n{log}")
}

/// A private CA and a server certificate for `127.0.0.1` it issued: (CA PEM, server PEM, key PEM). Only the
/// address: a test can reach the same sink as `localhost` to see a name the certificate does not carry refused.
/// The rsyslog fixture's TLS receiver uses the same.
pub(crate) fn issue_certificate() -> (String, String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("CA params: {e}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "Tresor test SMTP CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().unwrap_or_else(|e| panic!("CA key: {e}"));
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap_or_else(|e| panic!("CA: {e}"));

    let mut params = CertificateParams::new(vec![HOST.to_owned()]).unwrap_or_else(|e| panic!("server params: {e}"));
    params.distinguished_name.push(DnType::CommonName, HOST);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap_or_else(|e| panic!("server key: {e}"));
    let cert = params.signed_by(&key, &ca).unwrap_or_else(|e| panic!("server certificate: {e}"));
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::SmtpSink;

    /// What the handler writes, as it writes it: a temporary name renamed into place.
    fn deliver_by_hand(sink: &SmtpSink, n: u32) {
        let record = serde_json::json!({
            "mail_from": "a@example.org", "to": ["b@example.org"], "from": "a@example.org", "subject": format!("{n}"),
            "body": "b", "raw": "", "login": null, "tls": false,
        });
        let path = sink.messages_dir().join(format!("{n}.json"));
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, record.to_string()).expect("write");
        std::fs::rename(&tmp, &path).expect("rename");
    }

    #[tokio::test]
    async fn wait_for_messages_polls_until_enough_have_arrived() {
        let Some(sink) = SmtpSink::start() else { return };
        let sink = Arc::new(sink);
        assert!(sink.messages().is_empty());
        let writer = {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                deliver_by_hand(&sink, 1);
                // The second message comes late, so the waiter has to poll for it.
                tokio::time::sleep(Duration::from_millis(200)).await;
                deliver_by_hand(&sink, 2);
            })
        };
        let messages = sink.wait_for_messages(2, Duration::from_secs(10)).await;
        let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["1", "2"]);
        writer.await.expect("writer");
    }

    #[tokio::test]
    async fn wait_for_messages_fails_when_too_few_arrive() {
        let Some(sink) = SmtpSink::start() else { return };
        let waited = tokio::spawn(async move { sink.wait_for_messages(1, Duration::from_millis(100)).await }).await;
        let payload = waited.expect_err("nothing was sent").into_panic();
        let message = payload.downcast_ref::<String>().map_or("", String::as_str);
        assert!(message.contains("0 of 1 messages arrived"), "{message}");
    }
}
