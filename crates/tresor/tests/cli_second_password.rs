//! An entry's second password at the command line, against a real server: set it, read the entry's secret only by
//! giving it (as a script does, on standard input), change it (which needs the current one), and remove it.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

#[allow(dead_code)]
mod cli_support;

use cli_support::{Server, World};

const ALICE_PASSWORD: &str = "alice-Second-Pw-1";
const SECRET: &str = "vault-inner-Secret-9";
const FIRST: &str = "second-First-Pw-1";
const CHANGED: &str = "second-Changed-Pw-2";

#[test]
fn an_entrys_secrets_need_its_second_password() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    w.ok("admin", &["admin", "db", "add", "Team"], "");
    w.add_user("alice", ALICE_PASSWORD, &["--no-must-change-password"]);
    w.json("admin", &["admin", "grant", "Team", "--user", "alice", "all"]);
    w.login(&server, "alice", "alice", &format!("{ALICE_PASSWORD}\n"));
    for secret in [SECRET, FIRST, CHANGED] {
        w.secret(secret);
    }
    w.ok("alice", &["add", "Team/Vault", "--username", "ops", "--password-stdin"], &format!("{SECRET}\n"));

    w.ok("alice", &["second-password", "Team/Vault", "--password-stdin"], &format!("{FIRST}\n"));
    // Without it, or with a wrong one, nothing is revealed; what is not secret still reads.
    let line = w.fail("alice", &["get", "Team/Vault", "password"], "");
    assert!(line.to_lowercase().contains("second password"), "{line}");
    let line = w.fail("alice", &["get", "Team/Vault", "password"], "not-it\n");
    assert!(line.contains("second password is wrong"), "{line}");
    assert_eq!(w.ok("alice", &["get", "Team/Vault", "username"], ""), "ops\n");
    let out = w.run_with("alice", &["get", "Team/Vault", "password"], &format!("{FIRST}\n"), &[], false);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), format!("{SECRET}\n").as_str()), "{out:?}");

    // Changing it needs the current one (the second line); then only the new one opens the entry.
    w.ok("alice", &["second-password", "Team/Vault", "--password-stdin"], &format!("{CHANGED}\n{FIRST}\n"));
    w.fail("alice", &["get", "Team/Vault", "password"], &format!("{FIRST}\n"));
    let out = w.run_with("alice", &["get", "Team/Vault", "password"], &format!("{CHANGED}\n"), &[], false);
    assert_eq!(out.stdout, format!("{SECRET}\n"), "{out:?}");

    // Removed (with the current one), the entry opens as any other.
    w.fail("alice", &["second-password", "Team/Vault", "--remove", "--password-stdin"], &format!("{FIRST}\n"));
    w.ok("alice", &["second-password", "Team/Vault", "--remove", "--password-stdin"], &format!("{CHANGED}\n"));
    assert_eq!(w.reveal("alice", &["get", "Team/Vault", "password"]), format!("{SECRET}\n"));
}
