//! Shared by the `cli_*` tests: the real `tresor` binary as people use it — a server child process whose banner is
//! read line by line, and client commands, each client with its own config directory in a temporary directory.
//!
//! Every wait has a deadline instead of a sleep. Every process is killed and reaped when its guard is dropped, also
//! when a test panics. Every client command is checked for leaked secrets, and a failing one for its single
//! `error: …` line.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How long any one process may take to print what we wait for, or to exit. Generous: a debug build on a busy
/// machine; a passing run never waits for it.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The super administrator's password after the forced change at first login.
pub const ADMIN_PASSWORD: &str = "admin-changed-Pw-71";

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_tresor")
}

/// The file's permission bits (`0o600`, …).
pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The one line of a failed command that starts with `error:`; fails unless there is exactly one.
pub fn the_error_line(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected exactly one `error:` line on stderr, got:\n{stderr}");
    errors[0].to_owned()
}

enum Event {
    Out(String),
    Err(String),
    Closed,
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// How a process ended and everything it printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// A running `tresor` process. Dropping it kills and reaps it.
pub struct Proc {
    child: Child,
    /// Open only when started with [`Proc::typing`], until [`Proc::finish`].
    stdin: Option<ChildStdin>,
    events: Receiver<Event>,
    stdout: Vec<String>,
    stderr: Vec<String>,
    open_streams: u8,
}

impl Proc {
    /// Starts `cmd` with all of `stdin` as its input, which then ends.
    pub fn spawn(cmd: Command, stdin: &str) -> Proc {
        let mut proc = Proc::typing(cmd);
        let mut input = proc.stdin.take().unwrap();
        // A process that exits without reading its input is not this helper's failure.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        proc
    }

    /// Starts `cmd` with its standard input kept open, so that a test can answer what it prints as a person does
    /// ([`Proc::type_line`]); [`Proc::finish`] closes it.
    pub fn typing(mut cmd: Command) -> Proc {
        // Nothing from the person running the tests may reach the binary: not their config, not their home.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TRESOR_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let (tx, events) = mpsc::channel();
        forward(child.stdout.take().unwrap(), tx.clone(), Event::Out);
        forward(child.stderr.take().unwrap(), tx, Event::Err);
        let stdin = child.stdin.take();
        Proc { child, stdin, events, stdout: Vec::new(), stderr: Vec::new(), open_streams: 2 }
    }

    /// Types `line` and Enter on the standard input of a process started with [`Proc::typing`].
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap_or_else(|| panic!("typing needs a process started with Proc::typing"));
        stdin.write_all(format!("{line}\n").as_bytes()).and_then(|()| stdin.flush()).unwrap();
    }

    /// Collects the next line from either stream; `None` once both streams are closed.
    fn next(&mut self, deadline: Instant, waiting_for: &str) -> Option<()> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Event::Out(line)) => {
                    self.stdout.push(line);
                    return Some(());
                }
                Ok(Event::Err(line)) => {
                    self.stderr.push(line);
                    return Some(());
                }
                Ok(Event::Closed) => {
                    self.open_streams -= 1;
                    if self.open_streams == 0 {
                        return None;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => panic!(
                    "no {waiting_for} within {DEADLINE:?}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout.join("\n"),
                    self.stderr.join("\n")
                ),
            }
        }
    }

    /// The next line on stdout that `wanted` accepts; fails if the process ends or the deadline passes first.
    pub fn wait_for_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let from = self.stdout.len();
        self.wait_for(what, Stream::Out, from, wanted)
    }

    /// The first stderr line, from the start, that `wanted` accepts; fails if the process ends or the deadline
    /// passes first.
    pub fn wait_for_stderr(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.wait_for(what, Stream::Err, 0, wanted)
    }

    /// The first line of `stream`, from its line `from` on, that `wanted` accepts.
    fn wait_for(&mut self, what: &str, stream: Stream, mut from: usize, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let lines = match stream {
                Stream::Out => &self.stdout,
                Stream::Err => &self.stderr,
            };
            if let Some(line) = lines[from..].iter().find(|l| wanted(l)) {
                return line.clone();
            }
            from = lines.len();
            if self.next(deadline, what).is_none() {
                panic!(
                    "the process ended before printing {what}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout.join("\n"),
                    self.stderr.join("\n")
                );
            }
        }
    }

    /// Closes standard input if it is still open, and waits for the process to close its output and exit.
    pub fn finish(&mut self) -> Finished {
        drop(self.stdin.take());
        let deadline = Instant::now() + DEADLINE;
        while self.next(deadline, "end of output").is_some() {}
        let status = self.child.wait().unwrap();
        Finished { status, stdout: lines(&self.stdout), stderr: lines(&self.stderr) }
    }

    /// SIGTERM, as a service manager stops the server, then [`Proc::finish`].
    pub fn terminate(&mut self) -> Finished {
        self.signal(rustix::process::Signal::TERM)
    }

    /// SIGINT, as Ctrl-C at a terminal, then [`Proc::finish`].
    pub fn interrupt(&mut self) -> Finished {
        self.signal(rustix::process::Signal::INT)
    }

    fn signal(&mut self, signal: rustix::process::Signal) -> Finished {
        rustix::process::kill_process(rustix::process::Pid::from_child(&self.child), signal).unwrap();
        self.finish()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Harmless after `finish`: std does not signal a child it has already reaped.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(v: &[String]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

fn forward(stream: impl Read + Send + 'static, tx: Sender<Event>, wrap: fn(String) -> Event) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(wrap(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

/// `tresor server` on port 0, up and listening, with what its banner said.
pub struct Server {
    pub proc: Proc,
    pub url: String,
    pub fingerprint: String,
    pub ca_cert: PathBuf,
}

impl Server {
    /// Starts the server on `data_dir` and reads its banner up to the CA line, the last line every start prints.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let mut proc = Proc::spawn(server_command(data_dir, extra), "");
        let listening = proc.wait_for_line("the listening URL", |l| l.contains(" listening on "));
        let url = listening.split(" listening on ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap();
        assert!(url.starts_with("https://127.0.0.1:"), "{listening}");
        let fp_line = proc.wait_for_line("the fingerprint", |l| l.starts_with("TLS certificate SHA-256 fingerprint:"));
        let fingerprint = fp_line.rsplit(' ').next().unwrap().to_owned();
        let ca_line = proc.wait_for_line("the CA path", |l| l.starts_with("CA certificate for --ca-cert:"));
        let ca_cert = PathBuf::from(ca_line.split_once(": ").unwrap().1.trim());
        Server { proc, url: url.to_owned(), fingerprint, ca_cert }
    }

    /// The super administrator's one-time password, which follows the CA line on a first start.
    pub fn one_time_password(&mut self) -> String {
        let line = self.proc.wait_for_line("the one-time password", |l| l.starts_with("One-time password:"));
        line.split_once(':').unwrap().1.trim().to_owned()
    }
}

pub fn server_command(data_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg("server").arg("--data-dir").arg(data_dir).args(["--listen", "127.0.0.1:0"]).args(extra);
    cmd
}

/// What a client command did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Finished> for Outcome {
    fn from(done: Finished) -> Self {
        Outcome { code: done.status.code(), stdout: done.stdout, stderr: done.stderr }
    }
}

/// A temporary world: the data directory, one config directory per client, and the secrets no client command may
/// print.
pub struct World {
    pub root: tempfile::TempDir,
    secrets: RefCell<Vec<String>>,
    setsid: Option<PathBuf>,
}

impl World {
    pub fn new() -> World {
        let setsid = std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join("setsid")).find(|p| p.is_file()));
        World { root: tempfile::tempdir().unwrap(), secrets: RefCell::new(Vec::new()), setsid }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The config directory of the client called `client` (it need not exist yet).
    pub fn config_dir(&self, client: &str) -> PathBuf {
        self.root.path().join("clients").join(client)
    }

    /// From now on, no client command may print `secret`.
    pub fn secret(&self, secret: &str) {
        assert!(secret.len() >= 8, "too short to look for: {secret:?}");
        self.secrets.borrow_mut().push(secret.to_owned());
    }

    /// Runs `tresor --config-dir <client's dir> ARGS` with `stdin`, detached from any terminal (so that a question
    /// meets "no terminal" the way it does in a script, even when the tests run in one).
    pub fn run(&self, client: &str, args: &[&str], stdin: &str) -> Outcome {
        self.run_with(client, args, stdin, &[], true)
    }

    /// [`World::run`] with extra environment variables, and without the check for secrets when the command is
    /// asked to print one (`show --reveal`, `get … password`).
    pub fn run_with(
        &self,
        client: &str,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
        check_secrets: bool,
    ) -> Outcome {
        let mut cmd = self.command(client, args);
        cmd.envs(env.iter().copied());
        let done = Proc::spawn(cmd, stdin).finish();
        for secret in self.secrets.borrow().iter().filter(|_| check_secrets) {
            assert!(
                !done.stdout.contains(secret.as_str()) && !done.stderr.contains(secret.as_str()),
                "`tresor {}` printed a secret\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                done.stdout,
                done.stderr
            );
        }
        done.into()
    }

    /// `tresor --config-dir <client's dir> ARGS`, detached from any terminal, with its home in the temporary
    /// directory; for [`Proc::spawn`] or [`Proc::typing`].
    pub fn command(&self, client: &str, args: &[&str]) -> Command {
        let mut cmd = match &self.setsid {
            Some(setsid) => {
                let mut cmd = Command::new(setsid);
                cmd.arg(binary());
                cmd
            }
            None => Command::new(binary()),
        };
        cmd.arg("--config-dir").arg(self.config_dir(client)).args(args);
        // Belt and braces: were a path to escape --config-dir, it would land in the temporary directory.
        cmd.env("HOME", self.root.path()).env("XDG_CONFIG_HOME", self.root.path().join("xdg"));
        cmd
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, client: &str, args: &[&str], stdin: &str) -> String {
        let out = self.run(client, args, stdin);
        assert_eq!(
            out.code,
            Some(0),
            "`tresor {}` failed\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
        out.stdout
    }

    /// Runs a command that must succeed and may print a secret it was asked for; returns its stdout.
    pub fn reveal(&self, client: &str, args: &[&str]) -> String {
        let out = self.run_with(client, args, "", &[], false);
        assert_eq!(out.code, Some(0), "`tresor {}` failed: {out:?}", args.join(" "));
        out.stdout
    }

    /// Runs a command with `--json` that must succeed; returns the parsed answer.
    pub fn json(&self, client: &str, args: &[&str]) -> serde_json::Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let stdout = self.ok(client, &with_json, "");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("`tresor {}`: {e}\n{stdout}", with_json.join(" ")))
    }

    /// Runs a command that must fail with exit status 1 and exactly one `error:` line; returns that line.
    pub fn fail(&self, client: &str, args: &[&str], stdin: &str) -> String {
        let out = self.run(client, args, stdin);
        assert_eq!(
            out.code,
            Some(1),
            "`tresor {}` should fail with status 1\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
        assert_eq!(out.stdout, "", "`tresor {}` failed but printed a result", args.join(" "));
        the_error_line(&out.stderr)
    }

    /// Logs `client` in as `account` with `--password-stdin`, trusting the server's fingerprint; `stdin` holds the
    /// password (and the new one when the server demands a change). The session's token becomes a secret.
    pub fn login(&self, server: &Server, client: &str, account: &str, stdin: &str) -> String {
        let url = server.url.as_str();
        let args = ["login", url, "--user", account, "--password-stdin", "--trust-fingerprint", &server.fingerprint];
        let out = self.run(client, &args, stdin);
        assert_eq!(out.code, Some(0), "login as {account} failed: {out:?}");
        let session = std::fs::read_to_string(self.config_dir(client).join("session.json")).unwrap();
        let session: serde_json::Value = serde_json::from_str(&session).unwrap();
        let token = session["token"].as_str().unwrap();
        assert!(!out.stdout.contains(token) && !out.stderr.contains(token), "login printed its token: {out:?}");
        self.secret(token);
        out.stdout
    }

    /// The super administrator's first login, with the forced change to [`ADMIN_PASSWORD`], in the client `admin`.
    pub fn login_admin(&self, server: &mut Server) {
        let otp = server.one_time_password();
        self.secret(&otp);
        self.secret(ADMIN_PASSWORD);
        self.login(server, "admin", "admin", &format!("{otp}\n{ADMIN_PASSWORD}\n"));
    }

    /// `tresor admin user add ACCOUNT --password-stdin EXTRA…` as `admin`.
    pub fn add_user(&self, account: &str, password: &str, extra: &[&str]) -> String {
        self.secret(password);
        let mut args = vec!["admin", "user", "add", account, "--password-stdin"];
        args.extend_from_slice(extra);
        self.ok("admin", &args, &format!("{password}\n"))
    }
}
