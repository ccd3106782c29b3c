//! `Rsyslog`: a real syslog receiver for tests — rsyslogd as a child process with a configuration of its own,
//! listening on a loopback port over UDP (imudp), TCP (imtcp, octet-counted or not) or TLS (imtcp with the GnuTLS
//! stream driver and a certificate from a private CA), and writing every message it receives as one JSON line of
//! the fields it parsed (`%jsonmesg%`: `rawmsg`, `structured-data`, `msgid`, `app-name`, …).
//!
//! It can be stopped and started again on the same port, to test a sender against a receiver that goes away.
//! Like the other peers, a missing rsyslogd (or, for TLS, its GnuTLS driver, Debian's `rsyslog-gnutls`) makes
//! [`Rsyslog::start`] return `None` with a note on stderr, unless `TRESOR_REQUIRE_PEERS=1` makes it a failure.

use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tempfile::TempDir;

/// The loopback address the receiver listens on.
const HOST: &str = "127.0.0.1";
/// How long rsyslogd may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Where rsyslogd usually is when `PATH` does not have it (`/usr/sbin` is not on a user's path).
const SBIN_RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// How the receiver takes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// RFC 5426: a datagram a message.
    Udp,
    /// RFC 6587: octet counting or a newline after each message.
    Tcp,
    /// RFC 5425: TCP framing inside TLS; the certificate names `127.0.0.1` and is issued by
    /// [`Rsyslog::ca_file`].
    Tls,
}

/// One message, as rsyslog parsed it (the fields of `%jsonmesg%` that tests look at).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Received {
    /// The message exactly as it arrived, framing removed.
    pub rawmsg: String,
    pub msg: String,
    pub timereported: String,
    pub hostname: String,
    #[serde(rename = "app-name")]
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    /// The STRUCTURED-DATA as written (`-` or the elements with their escapes).
    #[serde(rename = "structured-data")]
    pub structured_data: String,
    pub syslogfacility: String,
    pub syslogseverity: String,
    #[serde(rename = "protocol-version")]
    pub protocol_version: String,
    /// `imudp` or `imtcp`.
    pub inputname: String,
}

/// A running (or stopped) rsyslogd; killed on drop.
#[derive(Debug)]
pub struct Rsyslog {
    listen: Listen,
    binary: PathBuf,
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

impl Rsyslog {
    /// `None`, after a note on stderr, when rsyslogd (or for TLS its GnuTLS driver) is not installed.
    ///
    /// # Panics
    /// When `TRESOR_REQUIRE_PEERS=1` and rsyslogd is missing, or when it is there but does not start.
    pub fn start(listen: Listen) -> Option<Rsyslog> {
        let binary = match available(listen) {
            Ok(binary) => binary,
            Err(why) => {
                assert!(
                    std::env::var("TRESOR_REQUIRE_PEERS").as_deref() != Ok("1"),
                    "TRESOR_REQUIRE_PEERS=1 but rsyslog cannot run: {why}"
                );
                eprintln!("skipped: {why}, so remote syslog is not tested against a real receiver");
                return None;
            }
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap_or_else(|e| panic!("create {}: {e}", work.display()));
        if listen == Listen::Tls {
            let (ca, cert, key) = crate::smtp::issue_certificate();
            for (name, pem) in [("ca.pem", ca), ("cert.pem", cert), ("key.pem", key)] {
                let path = dir.path().join(name);
                std::fs::write(&path, pem).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            }
        }
        let mut receiver = Rsyslog { listen, binary, dir, port: 0, child: None };
        receiver.launch();
        Some(receiver)
    }

    /// Stops rsyslogd (SIGTERM, so it writes out what it has received) and waits until it has exited.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = i32::try_from(child.id()).ok().and_then(rustix::process::Pid::from_raw);
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    /// Starts rsyslogd again after [`Rsyslog::stop`], on the same port and appending to the same messages.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "rsyslogd is still running");
        self.launch();
    }

    /// Writes the configuration (with the port chosen at the first start) and starts rsyslogd in the foreground.
    fn launch(&mut self) {
        let first = self.port == 0;
        if first && self.listen == Listen::Udp {
            // imudp cannot report the port it bound, so a free one is picked here and given to it.
            self.port = free_udp_port();
        }
        let config = self.config();
        let config_path = self.dir.path().join("rsyslog.conf");
        std::fs::write(&config_path, config).unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));
        let _ = std::fs::remove_file(self.port_file());
        let log_path = self.log_path();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path);
        let log = log.unwrap_or_else(|e| panic!("open {}: {e}", log_path.display()));
        let log_err = log.try_clone().unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new(&self.binary)
            .arg("-n")
            .arg("-i")
            .arg(self.dir.path().join("rsyslogd.pid"))
            .arg("-f")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        self.wait_until_listening(first);
    }

    fn config(&self) -> String {
        let dir = self.dir.path().display();
        let port = if self.port == 0 {
            format!("port=\"0\" listenPortFileName=\"{}\"", self.port_file().display())
        } else {
            format!("port=\"{}\"", self.port)
        };
        let (globals, module, input) = match self.listen {
            Listen::Udp => (String::new(), "module(load=\"imudp\")".to_owned(), format!("input(type=\"imudp\" address=\"{HOST}\" {port})")),
            Listen::Tcp => (String::new(), "module(load=\"imtcp\")".to_owned(), format!("input(type=\"imtcp\" address=\"{HOST}\" {port})")),
            Listen::Tls => (
                format!(
                    " defaultNetstreamDriver=\"gtls\" defaultNetstreamDriverCAFile=\"{dir}/ca.pem\" \
                     defaultNetstreamDriverCertFile=\"{dir}/cert.pem\" defaultNetstreamDriverKeyFile=\"{dir}/key.pem\""
                ),
                "module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")"
                    .to_owned(),
                format!("input(type=\"imtcp\" address=\"{HOST}\" {port})"),
            ),
        };
        // No imuxsock or imklog: this rsyslogd reads nothing of the machine's own logging. Only messages from the
        // network input are written, not rsyslogd's own start and stop notes.
        format!(
            "global(workDirectory=\"{dir}/work\" maxMessageSize=\"64k\" net.enableDNS=\"off\"{globals})\n\
             {module}\n\
             {input}\n\
             template(name=\"tresor-json\" type=\"string\" string=\"%jsonmesg%\\n\")\n\
             if $inputname == \"imudp\" or $inputname == \"imtcp\" then {{\n\
             \x20 action(type=\"omfile\" file=\"{dir}/messages.jsonl\" template=\"tresor-json\")\n\
             }}\n"
        )
    }

    /// Polls until rsyslogd listens: for TCP and TLS until its port takes connections, for UDP until the port is
    /// taken (rsyslogd has bound it).
    fn wait_until_listening(&mut self, first: bool) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("rsyslogd exited ({status}) at start\n{}", self.log());
            }
            if first && self.listen != Listen::Udp && self.port == 0 {
                self.port =
                    std::fs::read_to_string(self.port_file()).ok().and_then(|p| p.trim().parse().ok()).unwrap_or(0);
            }
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
            let listening = self.port != 0
                && match self.listen {
                    Listen::Udp => UdpSocket::bind(address).is_err(),
                    Listen::Tcp | Listen::Tls => TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok(),
                };
            if listening {
                return;
            }
            assert!(Instant::now() < deadline, "rsyslogd does not listen on port {}\n{}", self.port, self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address it listens on (`127.0.0.1`).
    pub fn host(&self) -> &str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// For TLS, the PEM file of the CA that issued the receiver's certificate.
    pub fn ca_file(&self) -> Option<PathBuf> {
        (self.listen == Listen::Tls).then(|| self.dir.path().join("ca.pem"))
    }

    /// The messages written so far, in the order rsyslog wrote them.
    ///
    /// # Panics
    /// When the file holds a line that is not the JSON of a message.
    pub fn messages(&self) -> Vec<Received> {
        let text = std::fs::read_to_string(self.dir.path().join("messages.jsonl")).unwrap_or_default();
        // A last line without its newline is still being written.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        whole
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("rsyslog wrote {line:?}: {e}")))
            .collect()
    }

    /// Waits until at least `n` messages were written and returns them all.
    ///
    /// # Panics
    /// When fewer than `n` were written after `timeout`; the message shows rsyslogd's own output.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Received> {
        crate::arrivals::wait_for_count(n, timeout, || self.messages(), || self.log()).await
    }

    fn port_file(&self) -> PathBuf {
        self.dir.path().join("port")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("rsyslogd.log")
    }

    fn log(&self) -> String {
        format!("--- rsyslogd output ---\n{}", std::fs::read_to_string(self.log_path()).unwrap_or_default())
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The rsyslogd binary, or why it cannot be used for `listen`.
fn available(listen: Listen) -> Result<PathBuf, String> {
    let binary = ["rsyslogd", SBIN_RSYSLOGD]
        .into_iter()
        .map(PathBuf::from)
        .find(|b| Command::new(b).arg("-v").stdin(Stdio::null()).output().is_ok_and(|o| o.status.success()))
        .ok_or("rsyslogd is not installed (Debian: apt-get install rsyslog)")?;
    if listen == Listen::Tls && !gnutls_driver_installed() {
        return Err("rsyslog's GnuTLS driver is not installed (Debian: apt-get install rsyslog-gnutls)".to_owned());
    }
    Ok(binary)
}

/// Whether `lmnsd_gtls.so` is in one of the places distributions put rsyslog's modules.
fn gnutls_driver_installed() -> bool {
    let mut dirs = vec![PathBuf::from("/usr/lib/rsyslog"), PathBuf::from("/usr/lib64/rsyslog")];
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        dirs.extend(entries.filter_map(Result::ok).map(|e| e.path().join("rsyslog")));
    }
    dirs.iter().any(|d| Path::new(d).join("lmnsd_gtls.so").exists())
}

/// A UDP port nobody has bound on loopback just now.
fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap_or_else(|e| panic!("bind a UDP port: {e}"));
    socket.local_addr().unwrap_or_else(|e| panic!("UDP port: {e}")).port()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::time::Duration;

    use super::{Listen, Rsyslog};

    const LINE: &str = "<109>1 2026-12-01T10:00:00.123Z vault1 tresor 42 306 [tresor@32473 seq=\"7\" object=\"W\\]\"] An entry was deleted";

    #[tokio::test]
    async fn it_parses_what_arrives_over_udp_and_tcp_and_comes_back_on_the_same_port() {
        let Some(udp) = Rsyslog::start(Listen::Udp) else { return };
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.send_to(LINE.as_bytes(), (udp.host(), udp.port())).expect("send");
        let got = udp.wait_for_messages(1, Duration::from_secs(10)).await;
        assert_eq!(got[0].rawmsg, LINE);
        assert_eq!(
            (got[0].msgid.as_str(), got[0].syslogfacility.as_str(), got[0].inputname.as_str()),
            ("306", "13", "imudp")
        );

        let Some(mut tcp) = Rsyslog::start(Listen::Tcp) else { return };
        let port = tcp.port();
        let mut stream = std::net::TcpStream::connect((tcp.host(), port)).expect("connect");
        write!(stream, "{} {LINE}", LINE.len()).expect("write");
        drop(stream);
        let got = tcp.wait_for_messages(1, Duration::from_secs(10)).await;
        assert_eq!(got[0].structured_data, "[tresor@32473 seq=\"7\" object=\"W\\]\"]");
        tcp.stop();
        assert!(std::net::TcpStream::connect((tcp.host(), port)).is_err(), "stopped, yet listening");
        tcp.start_again();
        assert_eq!(tcp.port(), port);
        let mut stream = std::net::TcpStream::connect((tcp.host(), port)).expect("connect again");
        write!(stream, "{} {LINE}", LINE.len()).expect("write");
        drop(stream);
        assert_eq!(tcp.wait_for_messages(2, Duration::from_secs(10)).await.len(), 2);
    }
}
