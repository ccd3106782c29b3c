//! A newcomer's first steps with the `tresor` binary: the first start on a fresh data directory, a second start that
//! reuses it (and a third beside it, refused), refusals of key files others can read, `tresor config check`, and `--help`.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use cli_support::{Server, World, chmod, mode, server_command, the_error_line};

#[test]
fn first_start_creates_private_keys_and_a_second_start_reuses_them() {
    let w = World::new();
    let data = w.data_dir();
    assert!(!data.exists());

    let mut first = Server::start(&data, &[]);
    let otp = first.one_time_password();
    assert!(otp.len() >= 12, "a one-time password too weak to be one: {otp:?}");
    assert_eq!(first.fingerprint.split(':').count(), 32, "{}", first.fingerprint);
    assert!(first.fingerprint.chars().all(|c| c == ':' || c.is_ascii_hexdigit()), "{}", first.fingerprint);
    assert_eq!(first.ca_cert, data.join("tls/ca.crt"));
    assert!(first.ca_cert.is_file());

    assert_eq!(mode(&data), 0o700, "the data directory");
    for key in ["master.key", "tls/ca.key", "tls/server.key"] {
        assert_eq!(mode(&data.join(key)), 0o600, "{key}");
    }
    assert!(data.join("tresor.db").is_file());

    // `/healthz` answers over TLS, trusted either way the banner offers.
    let health = w.ok("probe", &["healthcheck", &first.url, "--trust-fingerprint", &first.fingerprint], "");
    assert!(health.contains(": ok"), "{health}");
    let ca = first.ca_cert.to_str().unwrap();
    w.ok("probe", &["healthcheck", &first.url, "--ca-cert", ca], "");
    // A wrong pin is refused.
    let wrong = ["healthcheck", &first.url, "--trust-fingerprint", &"00:".repeat(32)[..95]];
    w.fail("probe", &wrong, "");
    assert!(!w.config_dir("probe").exists(), "a health check with explicit trust writes no client files");

    // A clean stop (exit 0 after SIGTERM) also proves the banner was printed in full before the signal handler ran.
    let out = first.proc.terminate();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout.matches("One-time password:").count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains("Super administrator account: admin"), "{}", out.stdout);
    assert!(out.stdout.contains("Created master key"), "{}", out.stdout);
    assert!(!out.stderr.contains(&otp), "the one-time password reached the log:\n{}", out.stderr);

    let mut second = Server::start(&data, &[]);
    assert_eq!(second.fingerprint, first.fingerprint, "the second start presents another certificate");
    w.ok("probe", &["healthcheck", &second.url, "--trust-fingerprint", &second.fingerprint], "");
    // While it runs, a third server on the same data directory (one SQLite store) is refused, saying why.
    let mut third = cli_support::Proc::spawn(server_command(&data, &[]), "");
    let out = third.finish();
    assert!(!out.status.success(), "two servers ran on one SQLite store:\n{}", out.stdout);
    let line = the_error_line(&out.stderr);
    assert!(line.contains("another Tresor server is using the data directory"), "{line}");
    let out = second.proc.terminate();
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains("One-time password"), "a second start printed a password:\n{}", out.stdout);
    assert!(!out.stdout.contains("Created"), "a second start created something:\n{}", out.stdout);
    assert!(!out.stdout.contains(&otp) && !out.stderr.contains(&otp));

    // A key file that others can read stops the start, naming the file and the fix.
    for key in ["master.key", "tls/server.key", "tls/ca.key"] {
        let path = data.join(key);
        chmod(&path, 0o644);
        let mut refused = cli_support::Proc::spawn(server_command(&data, &[]), "");
        let out = refused.finish();
        assert!(!out.status.success(), "the server started with {key} mode 644:\n{}", out.stdout);
        assert!(!out.stdout.contains("listening"), "{}", out.stdout);
        let line = the_error_line(&out.stderr);
        assert!(line.contains(path.to_str().unwrap()) && line.contains("chmod 600"), "{key}: {line}");
        chmod(&path, 0o600);
    }
}

#[test]
fn config_check_accepts_a_valid_file_and_names_an_unknown_key() {
    let w = World::new();
    let valid = w.root.path().join("valid.toml");
    std::fs::write(
        &valid,
        "data_dir = \"/var/lib/tresor\"\nlisten = [\"127.0.0.1:8714\", \"[::1]:8714\"]\n\n[tls]\nnames = \
         [\"tresor.example.com\"]\n\n[licence]\nseats = 10\n",
    )
    .unwrap();
    let stdout = w.ok("none", &["config", "check", valid.to_str().unwrap()], "");
    assert!(stdout.contains("valid"), "{stdout}");

    let unknown = w.root.path().join("unknown.toml");
    std::fs::write(&unknown, "data_dir = \"/var/lib/tresor\"\nlisten_adress = [\"0.0.0.0\"]\n").unwrap();
    let line = w.fail("none", &["config", "check", unknown.to_str().unwrap()], "");
    assert!(line.contains("listen_adress"), "{line}");

    let nested = w.root.path().join("nested.toml");
    std::fs::write(&nested, "[session]\nidle_minutes = 5\n").unwrap();
    let line = w.fail("none", &["config", "check", nested.to_str().unwrap()], "");
    assert!(line.contains("idle_minutes"), "{line}");

    let missing = w.root.path().join("missing.toml");
    let line = w.fail("none", &["config", "check", missing.to_str().unwrap()], "");
    assert!(line.contains("missing.toml"), "{line}");
}

#[test]
fn help_is_there_at_every_level() {
    let w = World::new();
    for args in [
        &["--help"][..],
        &["admin", "--help"],
        &["admin", "user", "add", "--help"],
        &["server", "--help"],
        &["login", "--help"],
    ] {
        let out = w.run("none", args, "");
        assert_eq!(out.code, Some(0), "{args:?}: {out:?}");
        assert!(out.stdout.contains("Usage:"), "{args:?}:\n{}", out.stdout);
    }
    let add = w.ok("none", &["admin", "user", "add", "--help"], "");
    assert!(add.contains("--password-stdin") && add.contains("account_administrator"), "{add}");
    // A usage error is clap's, with status 2, and still says `error:` once.
    let out = w.run("none", &["admin", "user", "frobnicate"], "");
    assert_eq!(out.code, Some(2), "{out:?}");
    the_error_line(&out.stderr);
}
