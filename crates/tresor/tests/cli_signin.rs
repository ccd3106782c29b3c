//! Sign-in security at the command line, as people drive it, with real peers: an administrator sets two-factor
//! authentication with `tresor admin settings`; a user enrols an authenticator by typing the code `oathtool` shows
//! for the secret `tresor login` printed, logs in with codes from `pyotp`, a recovery code and a remembered device;
//! an administrator resets the second factor; e-mailed codes travel through a real SMTP server (aiosmtpd); and a
//! paused server refuses a plain user until it continues.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use std::time::{Duration, Instant};

use cli_support::{Outcome, Proc, Server, World, mode};
use serde_json::Value;
use tresor_testkit::authenticator::{self, oathtool_at, pyotp_at, unix_now};
use tresor_testkit::smtp::{ReceivedMail, SmtpSink};

const CAROL: &str = "carol-signin-Pw-31";
const EMMA: &str = "emma-signin-Pw-47";
const PAULA: &str = "paula-signin-Pw-59";
/// How long a message may take to reach the SMTP sink.
const MAIL_WAIT: Duration = Duration::from_secs(15);

// --- peers ---------------------------------------------------------------------------------------------------------

/// Six digits that are no code of `secret` anywhere near now (the server accepts one step either side), so that a
/// "wrong code" cannot be right by chance.
fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let near: Vec<String> = (-4..=4).map(|step| pyotp_at(secret, now + 30 * step)).collect();
    ["000000", "123456", "999999", "424242"].iter().map(|c| (*c).to_owned()).find(|c| !near.contains(c)).unwrap()
}

/// The six-digit code in a delivered sign-in mail.
fn code_in(mail: &ReceivedMail) -> String {
    let words = mail.body.split(|c: char| !c.is_ascii_digit());
    let codes: Vec<&str> = words.filter(|w| w.len() == 6).collect();
    assert_eq!(codes.len(), 1, "one six-digit code in the mail: {}", mail.body);
    codes[0].to_owned()
}

/// Waits until the sink holds at least `n` messages and returns them all.
fn wait_for_mail(sink: &SmtpSink, n: usize) -> Vec<ReceivedMail> {
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let messages = sink.messages();
        if messages.len() >= n {
            return messages;
        }
        assert!(Instant::now() < deadline, "{} of {n} messages arrived within {MAIL_WAIT:?}", messages.len());
        std::thread::sleep(Duration::from_millis(20));
    }
}

// --- the command line ----------------------------------------------------------------------------------------------

/// `tresor login URL -u ACCOUNT --password-stdin --trust-fingerprint FP` and `extra`.
fn login_args<'a>(server: &'a Server, account: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["login", &server.url, "-u", account, "--password-stdin", "--trust-fingerprint"];
    args.push(&server.fingerprint);
    args.extend_from_slice(extra);
    args
}

/// The value beside `key` in a two-column table of `tresor … show`.
fn cell(table: &str, key: &str) -> String {
    let cells = |line: &str| line.split(['│', '┆']).map(|c| c.trim().to_owned()).collect::<Vec<_>>();
    let row = table
        .lines()
        .map(cells)
        .find(|c| c.get(1).is_some_and(|k| k == key))
        .unwrap_or_else(|| panic!("no row {key:?} in\n{table}"));
    row[2].clone()
}

/// The token of the session a login saved in `client`'s config directory, which from now on no command may print.
fn saved_session(w: &World, client: &str, out: &Outcome) -> String {
    let text = std::fs::read_to_string(w.config_dir(client).join("session.json")).unwrap();
    let token = serde_json::from_str::<Value>(&text).unwrap()["token"].as_str().unwrap().to_owned();
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token), "the login printed its token: {out:?}");
    w.secret(&token);
    token
}

#[track_caller]
fn succeeded(what: &str, out: &Outcome) {
    assert_eq!(out.code, Some(0), "{what} failed\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
}

// --- authenticator apps --------------------------------------------------------------------------------------------

#[test]
fn an_authenticator_enrols_at_the_command_line_and_a_remembered_device_skips_the_code() {
    if !authenticator::available() {
        return;
    }
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    settings_at_the_command_line(&w);
    w.add_user("carol", CAROL, &["--no-must-change-password"]);

    // The first login enrols: the password line, then the code oathtool shows for the secret the login printed.
    let mut typing = Proc::typing(w.command("carol", &login_args(&server, "carol", &[])));
    typing.type_line(CAROL);
    let line = typing.wait_for_stderr("the authenticator secret", |l| l.trim_start().starts_with("secret:"));
    let secret = line.split_once("secret:").unwrap().1.trim().to_owned();
    assert!(secret.len() >= 32, "at least 160 bits: {secret}");
    let first_code = oathtool_at(&secret, unix_now());
    typing.type_line(&first_code);
    let out: Outcome = typing.finish().into();
    succeeded("the enrolling login", &out);
    assert!(out.stdout.contains("Logged in to") && out.stdout.contains("carol"), "{}", out.stdout);
    let uri = out.stderr.lines().find_map(|l| l.trim().strip_prefix("URI:")).unwrap_or_default().trim();
    assert!(uri.starts_with("otpauth://totp/Tresor:carol?") && uri.contains(&format!("secret={secret}")), "{uri}");
    let qr_rows = out.stderr.lines().filter(|l| l.contains(['▀', '▄', '█'])).count();
    assert!(qr_rows >= 10, "a QR code drawn with half blocks:\n{}", out.stderr);
    let recovery: Vec<String> = out
        .stderr
        .lines()
        .skip_while(|l| !l.contains("recovery codes"))
        .skip(1)
        .map(str::trim)
        .filter(|l| l.len() == 11 && l.as_bytes()[5] == b'-')
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery.len(), 10, "ten recovery codes:\n{}", out.stderr);
    let mut distinct = recovery.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "{recovery:?}");
    saved_session(&w, "carol", &out);
    // Shown where they are issued, and by no other command.
    w.secret(&secret);
    for code in &recovery {
        w.secret(code);
    }
    let me = w.json("carol", &["whoami"]);
    assert_eq!(me["user"]["account"], "carol", "{me}");
    assert!(!w.config_dir("carol").join("devices.json").exists(), "no --remember-device, no trusted device");

    // The next login takes the code from --code (pyotp one step ahead: the enrolment's step is spent) and
    // remembers the device.
    let next = pyotp_at(&secret, unix_now() + 30);
    let out = w.run("carol", &login_args(&server, "carol", &["--code", &next, "--remember-device"]), &line_of(CAROL));
    succeeded("the login with --code and --remember-device", &out);
    assert!(out.stderr.contains("This device is trusted until"), "{}", out.stderr);
    assert!(!out.stderr.contains("secret:"), "nothing to enrol the second time: {}", out.stderr);
    saved_session(&w, "carol", &out);
    let devices_file = w.config_dir("carol").join("devices.json");
    assert_eq!(mode(&devices_file), 0o600);
    let devices: Value = serde_json::from_str(&std::fs::read_to_string(&devices_file).unwrap()).unwrap();
    let device = devices.as_object().unwrap().values().next().and_then(Value::as_str).unwrap().to_owned();
    assert!(device.starts_with("tresor_dt_"), "{devices}");
    w.secret(&device);

    // The remembered device: no --code, only the password on stdin and no terminal, and no code is asked for.
    let out = w.run("carol", &login_args(&server, "carol", &[]), &line_of(CAROL));
    succeeded("the login from the remembered device", &out);
    assert!(!out.stderr.to_lowercase().contains("code"), "no code was asked for: {}", out.stderr);
    saved_session(&w, "carol", &out);
    w.ok("carol", &["whoami"], "");

    // Another machine has no trusted device: without a code and without a terminal the login cannot finish...
    let laptop = w.config_dir("carol-laptop");
    let line = w.fail("carol-laptop", &login_args(&server, "carol", &[]), &line_of(CAROL));
    assert!(line.contains("authenticator code") && line.contains("end of input"), "{line}");
    // ...a wrong code is refused, saying so, and nothing is saved: no session, no trusted device...
    let wrong = wrong_code(&secret);
    let args = login_args(&server, "carol", &["--code", &wrong, "--remember-device"]);
    let line = w.fail("carol-laptop", &args, &line_of(CAROL));
    assert!(line.contains("code is wrong"), "{line}");
    assert!(!laptop.join("session.json").exists() && !laptop.join("devices.json").exists());
    let status = w.json("admin", &["admin", "user", "two-factor", "carol"]);
    assert_eq!(status["totp_enrolled"], true, "{status}");
    assert_eq!((status["recovery_codes_left"].as_u64(), status["failed_logins"].as_u64()), (Some(10), Some(1)));
    // ...and a recovery code, typed in capitals, opens one login.
    let typed = recovery[0].to_uppercase();
    let out = w.run("carol-laptop", &login_args(&server, "carol", &["--code", &typed]), &line_of(CAROL));
    succeeded("the login with a recovery code", &out);
    saved_session(&w, "carol-laptop", &out);
    let table = w.ok("admin", &["admin", "user", "two-factor", "carol"], "");
    assert_eq!(cell(&table, "Authenticator enrolled"), "yes", "{table}");
    assert_eq!(cell(&table, "Recovery codes left"), "9", "{table}");
    assert_eq!(cell(&table, "Failed logins"), "0", "a success starts the count afresh: {table}");

    // The administrator resets carol's second factor: the remembered device no longer skips it, and the next login
    // offers a new authenticator to enrol (with none on stdin, it stops there).
    let done = w.ok("admin", &["admin", "user", "reset2fa", "carol"], "");
    assert!(done.contains("carol") && done.contains("reset"), "{done}");
    let status = w.json("admin", &["admin", "user", "two-factor", "carol"]);
    assert_eq!((status["totp_enrolled"].as_bool(), status["recovery_codes_left"].as_u64()), (Some(false), Some(0)));
    let out = w.run("carol", &login_args(&server, "carol", &[]), &line_of(CAROL));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("secret:") && out.stderr.contains("otpauth://"), "enrols again: {}", out.stderr);
    let line = cli_support::the_error_line(&out.stderr);
    assert!(line.contains("the first code the app shows"), "{line}");
    // The token the server no longer honours is forgotten, not sent again at every login.
    let devices = std::fs::read_to_string(&devices_file).unwrap();
    assert!(!devices.contains("tresor_dt_"), "{devices}");
    drop(server);
}

fn line_of(text: &str) -> String {
    format!("{text}\n")
}

/// `tresor admin settings set|show`: two-factor authentication on, devices remembered for 30 days, and bad input
/// refused without changing anything.
fn settings_at_the_command_line(w: &World) {
    let changes = [
        "two_factor.mode=totp",
        "two_factor.remember_device_days=30",
        // Enough attempts for every login of the test from 127.0.0.1.
        "protection.attempts_per_minute=600",
        "protection.attempt_burst=100",
    ];
    let mut args = vec!["admin", "settings", "set"];
    args.extend_from_slice(&changes);
    let shown = w.ok("admin", &args, "");
    for table in [shown, w.ok("admin", &["admin", "settings", "show"], "")] {
        assert_eq!(cell(&table, "Two-factor authentication"), "totp", "{table}");
        assert_eq!(cell(&table, "Remember devices for"), "30 days", "{table}");
        assert_eq!(cell(&table, "Login attempts per address"), "600 per minute, 100 at once", "{table}");
    }
    let settings = w.json("admin", &["admin", "settings", "show"]);
    assert_eq!(settings["two_factor"]["mode"], "totp", "{settings}");
    assert_eq!(settings["two_factor"]["remember_device_days"], 30, "{settings}");
    assert_eq!(settings["two_factor"]["email_code_minutes"], 10, "a field not named keeps its value: {settings}");
    assert_eq!(settings["protection"]["failed_login_limit"], 10, "{settings}");

    let refused = |changes: &[&str]| {
        let mut args = vec!["admin", "settings", "set"];
        args.extend_from_slice(changes);
        w.fail("admin", &args, "")
    };
    for unknown in ["two_factor.colour=blue", "nosuch.mode=totp", "paused.paused=true"] {
        let line = refused(&[unknown]);
        let key = unknown.split_once('=').unwrap().0;
        assert!(line.contains(&format!("unknown setting {key}")) && line.contains("--json"), "{line}");
    }
    let line = refused(&["protection.failed_login_limit=abc"]);
    assert!(line.contains("protection.failed_login_limit") && line.contains("whole number"), "{line}");
    let line = refused(&["two_factor.mode"]);
    assert!(line.contains("SECTION.FIELD=VALUE"), "{line}");
    let line = refused(&["two_factor.mode=sms"]);
    assert!(line.contains("sms"), "{line}");
    // Out of range: the server's own message. With a good change beside it, neither is applied.
    let line = refused(&["protection.failed_login_limit=5", "two_factor.remember_device_days=400"]);
    assert!(line.contains("two_factor.remember_device_days must be 0 (never) to 365"), "{line}");
    assert_eq!(w.json("admin", &["admin", "settings", "show"]), settings, "a refused change changed something");
}

// --- e-mailed codes ------------------------------------------------------------------------------------------------

#[test]
fn emailed_codes_reach_the_user_through_a_real_mail_server() {
    let Some(sink) = SmtpSink::start() else { return };
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);

    let port = sink.port().to_string();
    let set = [
        "admin",
        "mail",
        "set",
        "--sender-address",
        "tresor@example.org",
        "--sender-name",
        "Tresor",
        "--host",
        sink.host(),
        "--port",
        &port,
        "--tls",
        "none",
    ];
    let shown = w.ok("admin", &set, "");
    assert_eq!(cell(&shown, "Server"), format!("127.0.0.1:{port}"), "{shown}");
    assert_eq!(cell(&shown, "TLS"), "none", "{shown}");
    assert_eq!(cell(&shown, "Password set"), "no", "{shown}");
    assert_eq!(cell(&w.ok("admin", &["admin", "mail", "show"], ""), "Sender"), "Tresor <tresor@example.org>");
    let bad_tls = w.run("admin", &[&set[..12], &["plaintext"]].concat(), "");
    assert_eq!(bad_tls.code, Some(2), "a usage error: {bad_tls:?}");
    assert!(bad_tls.stderr.contains("none, starttls or tls"), "{}", bad_tls.stderr);

    let done = w.ok("admin", &["admin", "mail", "test", "ops@example.org"], "");
    assert!(done.contains("accepted a test message to ops@example.org"), "{done}");
    let delivered = wait_for_mail(&sink, 1);
    assert_eq!(delivered[0].to, ["ops@example.org"]);
    assert_eq!(delivered[0].subject, "Tresor test message");
    assert!(delivered[0].from.contains("tresor@example.org"), "{}", delivered[0].from);

    w.add_user("emma", EMMA, &["--no-must-change-password", "--email", "emma.jones@example.org"]);
    let shown = w.ok("admin", &["admin", "settings", "set", "two_factor.mode=email"], "");
    assert_eq!(cell(&shown, "Two-factor authentication"), "email", "{shown}");

    // The password line; the login says where the code went; the code, read from the mail, is the next line.
    let mut typing = Proc::typing(w.command("emma", &login_args(&server, "emma", &[])));
    typing.type_line(EMMA);
    let line = typing.wait_for_stderr("where the code was sent", |l| l.starts_with("A sign-in code was sent to"));
    assert!(line.contains("@example.org") && !line.contains("emma.jones"), "partly hidden: {line}");
    let mail = wait_for_mail(&sink, 2).remove(1);
    assert_eq!(mail.to, ["emma.jones@example.org"]);
    assert_eq!(mail.subject, "Your Tresor sign-in code");
    let code = code_in(&mail);
    typing.type_line(&code);
    let out: Outcome = typing.finish().into();
    succeeded("the login with an e-mailed code", &out);
    assert!(!out.stderr.contains(&code) && !out.stdout.contains(&code), "the code is only in the mail: {out:?}");
    saved_session(&w, "emma", &out);
    assert_eq!(w.json("emma", &["whoami"])["user"]["account"], "emma");

    // A wrong --code: a fresh code is mailed, the given one is refused, and nothing is saved.
    let args = login_args(&server, "emma", &["--code", "000000"]);
    let out = w.run("emma-phone", &args, &line_of(EMMA));
    let sent = code_in(&wait_for_mail(&sink, 3)[2]);
    if sent != "000000" {
        assert_eq!(out.code, Some(1), "{out:?}");
        let line = cli_support::the_error_line(&out.stderr);
        assert!(line.contains("code is wrong"), "{line}");
        assert!(!w.config_dir("emma-phone").join("session.json").exists());
    }
    drop(server);
}

// --- pause and continue --------------------------------------------------------------------------------------------

#[test]
fn a_paused_server_refuses_a_user_until_it_continues() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    w.add_user("paula", PAULA, &["--no-must-change-password"]);
    w.login(&server, "paula", "paula", &line_of(PAULA));
    w.ok("paula", &["whoami"], "");

    let done = w.ok("admin", &["admin", "pause"], "");
    assert!(done.contains("Server paused"), "{done}");
    let again = w.ok("admin", &["admin", "pause"], "");
    assert!(again.contains("paused already"), "{again}");
    let line = w.fail("paula", &["whoami"], "");
    assert!(line.contains("paused"), "{line}");
    // A login is refused the same way and keeps the session there is.
    let line = w.fail("paula", &login_args(&server, "paula", &[]), &line_of(PAULA));
    assert!(line.contains("paused"), "{line}");
    assert!(w.config_dir("paula").join("session.json").exists());
    // The administrator works on and sees the state.
    let info = w.ok("admin", &["admin", "info"], "");
    assert_eq!(cell(&info, "Status"), "paused", "{info}");
    assert_eq!(w.json("admin", &["admin", "info"])["status"], "paused");
    assert_eq!(cell(&w.ok("admin", &["admin", "settings", "show"], ""), "Paused"), "yes");

    let done = w.ok("admin", &["admin", "continue"], "");
    assert!(done.contains("Server continued"), "{done}");
    w.ok("paula", &["whoami"], "");
    assert_eq!(cell(&w.ok("admin", &["admin", "info"], ""), "Status"), "running");
    let again = w.ok("admin", &["admin", "continue"], "");
    assert!(again.contains("running already"), "{again}");
    drop(server);
}
