//! Administering the vault at the command line, against a real server: databases and their settings, grants with
//! dry runs, effective rights with the level and subject that decided, a user with "grant admin rights" naming
//! folders and entries by path, a database's custom password, the server policy, vault settings and assign.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use cli_support::{Server, World};
use serde_json::Value;

const ALICE_PASSWORD: &str = "alice-Admin-Pw-1";
const BOB_PASSWORD: &str = "bob-Admin-Pw-22";
const SITE_PASSWORD: &str = "site-Secret-Pw-3";
const DB_PASSWORD: &str = "db-Custom-Pw-99";

fn names(v: &Value, key: &str, field: &str) -> Vec<String> {
    v[key].as_array().unwrap().iter().map(|x| x[field].as_str().unwrap_or_default().to_owned()).collect()
}

/// The explanation of one permission in a `rights explain --json` answer.
fn permission<'a>(explained: &'a Value, name: &str) -> &'a Value {
    explained["permissions"].as_array().unwrap().iter().find(|p| p["permission"] == name).unwrap()
}

#[test]
fn an_administrator_manages_databases_and_rights() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    w.add_user("alice", ALICE_PASSWORD, &["--no-must-change-password"]);
    w.add_user("bob", BOB_PASSWORD, &["--no-must-change-password"]);
    w.ok("admin", &["admin", "group", "add", "ops"], "");
    w.ok("admin", &["admin", "group", "add-member", "ops", "--user", "bob"], "");
    w.login(&server, "alice", "alice", &format!("{ALICE_PASSWORD}\n"));
    w.login(&server, "bob", "bob", &format!("{BOB_PASSWORD}\n"));
    w.secret(SITE_PASSWORD);
    w.secret(DB_PASSWORD);

    // Databases: create, list, rename, settings.
    let created = w.json("admin", &["admin", "db", "add", "Team", "--comments", "for the team"]);
    assert_eq!(created["name"], "Team");
    assert_eq!(created["entries"], 0);
    assert_eq!(names(&w.json("admin", &["admin", "db", "list"]), "databases", "name"), ["Team"]);
    assert!(w.ok("admin", &["admin", "db", "list"], "").contains("for the team"));
    w.ok("admin", &["admin", "db", "rename", "Team", "Shared"], "");
    let set = w.json("admin", &["admin", "db", "set", "Shared", "--reason-required", "on", "--monitor-accesses", "on"]);
    assert_eq!(set["settings"]["reason_required_on_delete"], true, "{set}");
    assert_eq!(set["settings"]["monitor_accesses"], true, "{set}");
    let line = w.fail("admin", &["admin", "db", "set", "Shared"], "");
    assert!(line.contains("nothing to change"), "{line}");
    let shown = w.json("admin", &["admin", "db", "show", "Shared"]);
    assert_eq!(shown["database"]["name"], "Shared", "{shown}");
    assert_eq!(shown["database"]["comments"], "for the team");

    // Grants: alice may do everything; a dry run for the group ops says bob would gain and stores nothing.
    w.json("admin", &["admin", "grant", "Shared", "--user", "alice", "all"]);
    let dry = w.json("admin", &["admin", "grant", "Shared", "--group", "ops", "access", "read", "--dry-run"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    let bob = dry["changes"].as_array().unwrap().iter().find(|c| c["account"] == "bob").expect("bob changes");
    assert!(bob["gained"].as_array().unwrap().contains(&Value::from("read")), "{dry}");
    let table = w.ok("admin", &["admin", "grant", "Shared", "--group", "ops", "access", "read", "--dry-run"], "");
    assert!(table.contains("nothing was stored") && table.contains("bob"), "{table}");
    assert!(w.json("bob", &["ls"])["databases"].as_array().unwrap().is_empty(), "a dry run stored a grant");
    w.ok("admin", &["admin", "grant", "Shared", "--group", "ops", "access", "read"], "");
    assert_eq!(names(&w.json("bob", &["ls"]), "databases", "name"), ["Shared"]);
    let line = w.fail("admin", &["admin", "grant", "Shared", "--user", "nobody", "read"], "");
    assert!(line.contains("nobody") || line.contains("not found"), "{line}");

    // The grants, and bob's effective rights with the level and the subject that decided.
    let grants = w.json("admin", &["admin", "rights", "list", "Shared"]);
    assert_eq!(grants["grants"].as_array().unwrap().len(), 16 + 2, "{grants}");
    assert!(w.ok("admin", &["admin", "rights", "list", "Shared"], "").contains("group ops"));
    let explained = w.json("admin", &["admin", "rights", "explain", "--user", "bob", "--database", "Shared"]);
    let read = permission(&explained, "read");
    assert_eq!(read["granted"], true, "{explained}");
    let decided = &read["levels"][read["decided_at"].as_u64().unwrap() as usize];
    assert!(decided["subjects"].to_string().contains("ops"), "{explained}");
    assert_eq!(permission(&explained, "modify")["granted"], false);
    let table = w.ok("admin", &["admin", "rights", "explain", "--user", "bob", "--database", "Shared", "--levels"], "");
    assert!(table.contains("ops") && table.contains("decided"), "{table}");

    // alice, who holds "grant admin rights" on Shared, names a folder and an entry by path.
    w.ok("alice", &["mkdir", "Shared/Web"], "");
    w.ok("alice", &["add", "Shared/Web/Site", "--password-stdin"], &format!("{SITE_PASSWORD}\n"));
    w.ok("alice", &["admin", "grant", "Shared", "--user", "bob", "--folder", "Web", "modify"], "");
    // The super administrator cannot open databases as a client; it names folders from the administrators' view
    // of the tree (by path or by id), and entries only by id.
    w.ok("admin", &["admin", "grant", "Shared", "--user", "bob", "--folder", "Web", "modify"], "");
    let line = w.fail("admin", &["admin", "grant", "Shared", "--user", "bob", "--folder", "Nowhere", "modify"], "");
    assert!(line.contains("no folder Nowhere"), "{line}");
    let line = w.fail("admin", &["admin", "grant", "Shared", "--user", "bob", "--entry", "Web/Site", "read"], "");
    assert!(line.contains("id"), "{line}");
    let web = w.json("alice", &["ls", "Shared"])["folders"][0]["id"].as_str().unwrap().to_owned();
    w.ok("admin", &["admin", "grant", "Shared", "--user", "bob", "--folder", &web, "add"], "");
    let on_folder = w.json("alice", &["admin", "rights", "explain", "--user", "bob", "--folder", "Shared/Web"]);
    assert_eq!(permission(&on_folder, "modify")["granted"], true, "{on_folder}");
    w.ok("alice", &["admin", "grant", "Shared", "--user", "bob", "--entry", "Web/Site", "read", "--deny"], "");
    let on_entry = w.json("alice", &["admin", "rights", "explain", "--user", "bob", "--entry", "Shared/Web/Site"]);
    assert_eq!(permission(&on_entry, "read")["granted"], false, "{on_entry}");
    w.fail("bob", &["show", "Shared/Web/Site"], "");
    w.ok("alice", &["admin", "revoke", "Shared", "--user", "bob"], "");
    assert!(w.ok("bob", &["show", "Shared/Web/Site"], "").contains("********"), "read through ops again");

    // The database asks for a reason to delete an entry.
    let line = w.fail("alice", &["rm", "Shared/Web/Site", "--yes"], "");
    assert!(line.contains("reason"), "{line}");

    custom_password(&w);
    policy_settings_and_assign(&w);
    drop(server);
}

/// A custom password protects the database's properties and permissions.
fn custom_password(w: &World) {
    w.ok("admin", &["admin", "db", "password", "Shared", "--password-stdin"], &format!("{DB_PASSWORD}\n"));
    assert_eq!(w.json("admin", &["admin", "db", "list"])["databases"][0]["settings"]["custom_password"], true);
    let line = w.fail("admin", &["admin", "db", "show", "Shared"], "");
    assert!(line.contains("--database-password"), "{line}");
    w.fail("admin", &["admin", "rights", "list", "Shared"], "");
    let env = [("TRESOR_DATABASE_PASSWORD", DB_PASSWORD)];
    let out = w.run_with("admin", &["admin", "rights", "list", "Shared", "--json"], "", &env, true);
    assert_eq!(out.code, Some(0), "{out:?}");
    let wrong = [("TRESOR_DATABASE_PASSWORD", "not-the-Password-1")];
    let out = w.run_with("admin", &["admin", "db", "show", "Shared"], "", &wrong, true);
    assert_eq!(out.code, Some(1), "{out:?}");
    // Removing it needs the current one.
    let remove = ["admin", "db", "password", "Shared", "--remove", "--password-stdin"];
    w.ok("admin", &remove, &format!("{DB_PASSWORD}\n"));
    w.json("admin", &["admin", "db", "show", "Shared"]);
}

fn policy_settings_and_assign(w: &World) {
    let policy = w.json("admin", &["admin", "policy", "set", "print=disabled", "export=enabled"]);
    assert_eq!(policy["permissions"]["print"], "disabled", "{policy}");
    assert_eq!(policy["permissions"]["export"], "enabled", "{policy}");
    let types = w.json("admin", &["admin", "policy", "types", "password", "credit_card"]);
    assert_eq!(types["allowed_entry_types"], serde_json::json!(["password", "credit_card"]), "{types}");
    let line = w.fail("alice", &["add", "Shared/Box", "--type", "putty", "--field", "host=h"], "");
    assert!(line.contains("putty") || line.contains("type"), "{line}");
    let restored = w.json("admin", &["admin", "policy", "restore"]);
    assert_ne!(restored["permissions"]["print"], "disabled", "{restored}");
    assert!(w.ok("admin", &["admin", "policy", "show"], "").contains("print"));
    let usage = w.run("admin", &["admin", "policy", "set", "print=sometimes"], "");
    assert_eq!(usage.code, Some(2), "a usage error: {usage:?}");

    let settings =
        w.json("admin", &["admin", "vault-settings", "set", "--attachment-limit", "1K", "--min-length", "14"]);
    assert_eq!(settings["attachment_limit_bytes"], 1024, "{settings}");
    assert_eq!(settings["password_policy"]["min_length"], 14, "{settings}");
    let before = w.json("admin", &["admin", "vault-settings", "show"]);
    assert_eq!(before, settings);
    let line = w.fail("admin", &["admin", "vault-settings", "set"], "");
    assert!(line.contains("nothing to change"), "{line}");
    let big = w.root.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 4096]).unwrap();
    let line = w.fail("alice", &["attach", "Shared/Web/Site", big.to_str().unwrap()], "");
    assert!(line.contains("payload_too_large") || line.contains("413"), "{line}");

    let assigned = w.json("admin", &["admin", "assign", "--user", "bob", "--new-database", "BobDb", "access", "read"]);
    assert_eq!(names(&assigned, "databases", "name"), ["BobDb"], "{assigned}");
    assert!(names(&w.json("bob", &["ls"]), "databases", "name").contains(&"BobDb".to_owned()));
    let line = w.fail("admin", &["admin", "db", "delete", "BobDb"], "");
    assert!(line.contains("--yes"), "{line}");
    w.ok("admin", &["admin", "db", "delete", "BobDb", "--yes"], "");
    assert_eq!(names(&w.json("admin", &["admin", "db", "list"]), "databases", "name"), ["Shared"]);
    w.fail("admin", &["admin", "db", "show", "BobDb"], "");
}
