//! An ordinary user at the command line, beside the administrator: own login and password changes (also the change
//! a new account is forced to make), what a user without a role may not do, and being disconnected.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use cli_support::{Server, World};
use serde_json::Value;

const ALICE_FIRST: &str = "alice-first-Pw1";
const ALICE_SECOND: &str = "alice-second-Pw2";
const BOB_FIRST: &str = "bob-initial-Pw1";
const BOB_SECOND: &str = "bob-chosen-Pw2";

fn sessions_of(w: &World, account: &str) -> Vec<Value> {
    let list = w.json("admin", &["admin", "session", "list"]);
    list["sessions"].as_array().unwrap().iter().filter(|s| s["account"] == account).cloned().collect()
}

#[test]
fn a_user_logs_in_changes_the_password_and_is_disconnected() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    w.add_user("alice", ALICE_FIRST, &["--no-must-change-password", "--full-name", "Alice A"]);
    w.secret(ALICE_SECOND);

    let out = w.login(&server, "alice", "alice", &format!("{ALICE_FIRST}\n"));
    assert!(out.contains("alice"), "{out}");
    let me = w.json("alice", &["whoami"]);
    assert_eq!(me["user"]["account"], "alice");
    assert_eq!(me["user"]["full_name"], "Alice A");
    assert_eq!(me["password_change_required"], false);
    assert!(me["user"]["roles"].as_array().unwrap().is_empty(), "{me}");

    // A wrong current password changes nothing.
    let line = w.fail("alice", &["passwd", "--password-stdin"], &format!("{ALICE_SECOND}\n{ALICE_FIRST}\n"));
    assert!(!line.contains("tresor login"), "a refused change is not an ended session: {line}");
    w.ok("alice", &["passwd", "--password-stdin"], &format!("{ALICE_FIRST}\n{ALICE_SECOND}\n"));
    w.ok("alice", &["whoami"], "");

    // The old password no longer opens a session, the new one does; a failed login keeps the current session.
    let url = server.url.clone();
    let line = w.fail("alice", &["login", &url, "--user", "alice", "--password-stdin"], &format!("{ALICE_FIRST}\n"));
    assert!(line.contains("401") || line.to_lowercase().contains("password"), "{line}");
    w.ok("alice", &["whoami"], "");
    w.login(&server, "alice", "alice", &format!("{ALICE_SECOND}\n"));
    assert_eq!(sessions_of(&w, "alice").len(), 1, "the replaced login should have ended on the server");

    // No role, no dashboard and no account administration.
    let line = w.fail("alice", &["admin", "info"], "");
    assert!(line.to_lowercase().contains("forbidden"), "{line}");
    let line = w.fail("alice", &["admin", "user", "list"], "");
    assert!(line.to_lowercase().contains("forbidden"), "{line}");

    // The administrator disconnects alice: her next command says to log in again.
    let mine = sessions_of(&w, "alice");
    let id = mine[0]["id"].as_str().unwrap();
    assert_eq!(mine[0]["client"], "cli");
    let done = w.ok("admin", &["admin", "session", "disconnect", id], "");
    assert!(done.contains(id), "{done}");
    assert!(sessions_of(&w, "alice").is_empty());
    let line = w.fail("alice", &["whoami"], "");
    assert!(line.contains("tresor login"), "{line}");
    let line = w.fail("admin", &["admin", "session", "disconnect", id], "");
    assert!(line.contains("404") || line.contains("not found") || line.contains("not_found"), "{line}");
    // Logging out of an ended session still forgets it.
    w.ok("alice", &["logout"], "");
    assert!(!w.config_dir("alice").join("session.json").exists());
    let line = w.fail("alice", &["whoami"], "");
    assert!(line.contains("tresor login"), "{line}");

    forced_change_at_first_login(&w, &server);
    drop(server);
}

/// A new account must choose its own password at first login; a login whose change fails keeps the session, so
/// the change can be finished with `tresor passwd`.
fn forced_change_at_first_login(w: &World, server: &Server) {
    w.add_user("bob", BOB_FIRST, &[]);
    w.secret(BOB_SECOND);
    let args = ["login", &server.url, "--user", "bob", "--password-stdin", "--trust-fingerprint", &server.fingerprint];

    // Only the old password on stdin: logged in, but the change cannot happen.
    let line = w.fail("bob", &args, &format!("{BOB_FIRST}\n"));
    assert!(line.contains("new password"), "{line}");
    let session = std::fs::read_to_string(w.config_dir("bob").join("session.json")).unwrap();
    let session: Value = serde_json::from_str(&session).unwrap();
    w.secret(session["token"].as_str().unwrap());
    assert_eq!(w.json("bob", &["whoami"])["password_change_required"], true);
    let line = w.fail("bob", &["admin", "group", "list"], "");
    assert!(line.contains("tresor passwd"), "the hint should say how to go on: {line}");
    w.ok("bob", &["passwd", "--password-stdin"], &format!("{BOB_FIRST}\n{BOB_SECOND}\n"));
    let me = w.json("bob", &["whoami"]);
    assert_eq!(me["password_change_required"], false, "{me}");

    // The same in one go, with both lines.
    w.ok("bob", &["logout"], "");
    w.ok("admin", &["admin", "user", "passwd", "bob", "--password-stdin"], &format!("{BOB_FIRST}\n"));
    w.login(server, "bob", "bob", &format!("{BOB_FIRST}\n{BOB_SECOND}\n"));
    assert_eq!(w.json("bob", &["whoami"])["password_change_required"], false);
}
