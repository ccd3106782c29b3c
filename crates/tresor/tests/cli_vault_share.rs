//! `tresor share` and `tresor unshare` against a real server: a user gives another user or a group rights on one
//! entry by its path, optionally until a time, lists the entry's grants, is refused what she does not hold, and
//! takes a share back.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use cli_support::{Server, World};
use serde_json::Value;

const ALICE_PASSWORD: &str = "alice-Share-Pw-1";
const BOB_PASSWORD: &str = "bob-Share-Pw-22";
const CAROL_PASSWORD: &str = "carol-Share-Pw-333";
const ENTRY_SECRET: &str = "gh-Shared-Secret-9";
const ENTRY: &str = "Team/Web/GitHub";

/// The subjects' names and permissions of `share --list --json`, sorted.
fn grants(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["subject"]["name"].as_str().unwrap().to_owned(), g["permission"].as_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_user_shares_an_entry_from_the_command_line() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    w.ok("admin", &["admin", "db", "add", "Team"], "");
    for (account, password) in [("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD), ("carol", CAROL_PASSWORD)] {
        w.add_user(account, password, &["--no-must-change-password"]);
        w.login(&server, account, account, &format!("{password}\n"));
    }
    w.ok("admin", &["admin", "group", "add", "crew"], "");
    w.ok("admin", &["admin", "group", "add-member", "crew", "--user", "carol"], "");
    w.ok("admin", &["admin", "grant", "Team", "--user", "alice", "access", "read", "add", "modify", "share"], "");
    w.secret(ENTRY_SECRET);
    w.ok("alice", &["mkdir", "Team/Web"], "");
    w.ok("alice", &["add", ENTRY, "--password-stdin"], &format!("{ENTRY_SECRET}\n"));
    let line = w.fail("bob", &["show", ENTRY], "");
    assert!(line.contains("not found"), "{line}");

    // Shared with bob by path, until a time: bob reads it, and the table says who has what until when.
    let until = "2099-01-01T00:00:00Z";
    let out = w.ok("alice", &["share", ENTRY, "--user", "bob", "access", "read", "--to", until], "");
    assert!(out.contains("user bob") && out.contains("access, read") && out.contains(until), "{out}");
    assert_eq!(w.reveal("bob", &["get", ENTRY, "password"]), format!("{ENTRY_SECRET}\n"));
    // With a group, and listed.
    w.ok("alice", &["share", ENTRY, "--group", "crew", "read", "access"], "");
    assert!(w.ok("carol", &["show", ENTRY], "").contains("GitHub"));
    let listed = w.json("alice", &["share", ENTRY, "--list"]);
    let want = [("bob", "access"), ("bob", "read"), ("crew", "access"), ("crew", "read")];
    assert_eq!(grants(&listed), want.map(|(s, p)| (s.to_owned(), p.to_owned())), "{listed}");
    assert!(w.ok("alice", &["share", ENTRY, "--list"], "").contains("group crew"));

    // More than alice holds, and sharing without share, are refused naming the right.
    let line = w.fail("alice", &["share", ENTRY, "--user", "carol", "read", "delete"], "");
    assert!(line.contains("'delete'") && line.contains("cannot grant"), "{line}");
    let line = w.fail("bob", &["share", ENTRY, "--user", "carol", "read"], "");
    assert!(line.contains("'share'"), "{line}");
    let line = w.fail("alice", &["share", ENTRY, "--user", "bob", "read", "--to", "2001-01-01T00:00:00Z"], "");
    assert!(line.contains("valid_to"), "{line}");

    // Taken back: bob no longer sees the entry; the group keeps its share.
    let out = w.ok("alice", &["unshare", ENTRY, "--user", "bob"], "");
    assert!(out.contains("no longer shared with user bob"), "{out}");
    let line = w.fail("bob", &["show", ENTRY], "");
    assert!(line.contains("not found"), "{line}");
    let line = w.fail("alice", &["unshare", ENTRY, "--user", "bob"], "");
    assert!(line.contains("not found"), "{line}");
    assert_eq!(grants(&w.json("alice", &["share", ENTRY, "--list"])).len(), 2);
    w.ok("alice", &["unshare", ENTRY, "--group", "crew"], "");
    assert!(w.ok("alice", &["share", ENTRY, "--list"], "").contains("No user or group"));
}
