//! The super administrator at the command line: the first login with its trust decision and forced password
//! change, then users, groups, seats, the dashboard and sessions with `tresor admin …`, then logout.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use cli_support::{ADMIN_PASSWORD, Server, World, mode};
use serde_json::Value;

/// The accounts of ordinary users in a `user list --json` answer (the super administrator is listed too).
fn accounts(list: &Value) -> Vec<String> {
    let users = list["users"].as_array().unwrap().iter().filter(|u| u["kind"] == "user");
    users.map(|u| u["account"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn first_login_trusts_the_server_and_forces_a_new_password() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    let otp = server.one_time_password();
    w.secret(&otp);
    w.secret(ADMIN_PASSWORD);
    let url = server.url.clone();
    let fp = server.fingerprint.clone();
    let stdin = format!("{otp}\n{ADMIN_PASSWORD}\n");
    let dir = w.config_dir("admin");

    // No terminal to ask on and no --trust-fingerprint: refused, with the flag to pass and the fingerprint to check.
    let line = w.fail("admin", &["login", &url, "--user", "admin", "--password-stdin"], &stdin);
    assert!(line.contains("--trust-fingerprint") && line.contains(&fp), "{line}");
    assert!(!dir.join("known_servers.toml").exists() && !dir.join("session.json").exists());

    // A fingerprint other than the server's: refused, saying what the server presents; nothing written.
    let wrong = fp.replace(|c: char| c.is_ascii_hexdigit(), "0");
    let args = ["login", &url, "--user", "admin", "--password-stdin", "--trust-fingerprint", &wrong];
    let line = w.fail("admin", &args, &stdin);
    assert!(line.contains(&fp), "{line}");
    assert!(line.contains("fingerprint"), "{line}");
    assert!(!dir.join("known_servers.toml").exists() && !dir.join("session.json").exists());

    // The one-time password must be replaced at first login: the new one is read from the second line.
    let out =
        w.run("admin", &["login", &url, "--user", "admin", "--password-stdin", "--trust-fingerprint", &fp], &stdin);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("Logged in to") && out.stdout.contains("admin"), "{}", out.stdout);
    assert!(out.stderr.contains("Password changed"), "{}", out.stderr);
    let session_file = dir.join("session.json");
    assert_eq!(mode(&session_file), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let session_text = std::fs::read_to_string(&session_file).unwrap();
    assert!(!session_text.contains(&otp) && !session_text.contains(ADMIN_PASSWORD), "{session_text}");
    let session: Value = serde_json::from_str(&session_text).unwrap();
    let token = session["token"].as_str().unwrap();
    assert!(!out.stdout.contains(token) && !out.stderr.contains(token), "the login printed its token");
    w.secret(token);
    let known = std::fs::read_to_string(dir.join("known_servers.toml")).unwrap();
    assert!(known.contains(&fp), "the fingerprint is not pinned:\n{known}");

    let me = w.json("admin", &["whoami"]);
    assert_eq!(me["user"]["account"], "admin");
    assert_eq!(me["user"]["kind"], "super_admin");
    assert_eq!(me["password_change_required"], false);
    let table = w.ok("admin", &["whoami"], "");
    assert!(table.contains("admin") && table.contains(&url), "{table}");

    // The one-time password is spent; the new one works, now without the fingerprint (it is pinned).
    let again = ["login", &url, "--user", "admin", "--password-stdin"];
    w.fail("other", &["login", &url, "--user", "admin", "--password-stdin", "--trust-fingerprint", &fp], &stdin);
    w.ok("admin", &again, &format!("{ADMIN_PASSWORD}\n"));
    w.json("admin", &["whoami"]);

    users_groups_seats_and_sessions(&w);

    w.ok("admin", &["logout"], "");
    assert!(!session_file.exists(), "logout left the session file");
    let line = w.fail("admin", &["whoami"], "");
    assert!(line.contains("tresor login"), "{line}");
    drop(server);
}

/// Everything `tresor admin` does as the logged-in super administrator (client `admin`).
fn users_groups_seats_and_sessions(w: &World) {
    let added = w.add_user(
        "alice",
        "alice-Pass-123",
        &[
            "--no-must-change-password",
            "--full-name",
            "Alice A",
            "--email",
            "a@example.com",
            "--role",
            "account_administrator",
        ],
    );
    assert!(added.contains("Alice A") && added.contains("account_administrator"), "{added}");
    let list = w.json("admin", &["admin", "user", "list"]);
    assert_eq!(accounts(&list), ["alice"], "{list}");
    let admin = list["users"].as_array().unwrap().iter().find(|u| u["account"] == "admin");
    assert_eq!(admin.map(|a| &a["kind"]), Some(&Value::from("super_admin")), "{list}");
    let shown = w.ok("admin", &["admin", "user", "show", "alice"], "");
    assert!(shown.contains("Alice A") && shown.contains("a@example.com"), "{shown}");
    let table = w.ok("admin", &["admin", "user", "list"], "");
    assert!(table.contains("alice") && table.contains("of 2 users"), "{table}");
    let line = w.fail("admin", &["admin", "user", "show", "nobody"], "");
    assert!(line.contains("nobody") || line.contains("not found") || line.contains("not_found"), "{line}");

    // Groups: create, add a member, show it; a group may not contain itself.
    w.ok("admin", &["admin", "group", "add", "ops", "--description", "operations"], "");
    w.ok("admin", &["admin", "group", "add-member", "ops", "--user", "alice"], "");
    let ops = w.json("admin", &["admin", "group", "show", "ops"]);
    let members = ops["members"]["users"].as_array().unwrap();
    assert!(members.iter().any(|m| m["account"] == "alice"), "{ops}");
    let line = w.fail("admin", &["admin", "group", "add-member", "ops", "--group", "ops"], "");
    assert!(line.contains("ops"), "{line}");
    let alice = w.json("admin", &["admin", "user", "show", "alice"]);
    assert!(alice["member_of"].as_array().unwrap().iter().any(|g| g["name"] == "ops"), "{alice}");
    let line = w.fail("admin", &["admin", "group", "add", "ops"], "");
    assert!(line.contains("ops"), "a duplicate name should be named: {line}");

    // The dashboard: three seats without a licence, one taken by alice; the super administrator takes none.
    let info = w.json("admin", &["admin", "info"]);
    assert_eq!(info["seats"]["licensed"], 3, "{info}");
    assert_eq!(info["seats"]["used"], 1, "{info}");
    assert_eq!(info["registered_users"], 1, "{info}");
    assert_eq!(info["status"], "running", "{info}");
    assert_eq!(info["addresses"][0], "127.0.0.1", "{info}");
    let table = w.ok("admin", &["admin", "info"], "");
    assert!(table.contains("1 / 3"), "{table}");

    // The fourth user exceeds the unlicensed limit, and the error says so.
    w.add_user("bob", "bob-Pass-1234", &[]);
    w.add_user("carol", "carol-Pass-123", &[]);
    w.secret("dave-Pass-1234");
    let line = w.fail("admin", &["admin", "user", "add", "dave", "--password-stdin"], "dave-Pass-1234\n");
    assert!(line.contains('3') && line.contains("seat"), "{line}");
    assert_eq!(accounts(&w.json("admin", &["admin", "user", "list"])), ["alice", "bob", "carol"]);

    // The admin's own session is listed, from the command line and from this machine.
    let sessions = w.json("admin", &["admin", "session", "list"]);
    let mine: Vec<&Value> =
        sessions["sessions"].as_array().unwrap().iter().filter(|s| s["account"] == "admin").collect();
    assert_eq!(mine.len(), 1, "the login that was replaced should have ended on the server: {sessions}");
    assert_eq!(mine[0]["client"], "cli", "{sessions}");
    assert_eq!(mine[0]["address"], "127.0.0.1", "{sessions}");

    // Deleting: with --yes it happens; without it and without a terminal nothing is deleted.
    w.ok("admin", &["admin", "user", "rm", "alice", "--yes"], "");
    let line = w.fail("admin", &["admin", "user", "rm", "bob"], "y\n");
    assert!(line.contains("--yes"), "{line}");
    assert_eq!(accounts(&w.json("admin", &["admin", "user", "list"])), ["bob", "carol"]);
    let ops = w.json("admin", &["admin", "group", "show", "ops"]);
    assert_eq!(ops["members"]["users"].as_array().unwrap().len(), 0, "a deleted user is still a member: {ops}");
    assert_eq!(w.json("admin", &["admin", "info"])["seats"]["used"], 2);
}
