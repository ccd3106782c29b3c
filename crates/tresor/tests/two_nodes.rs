//! Two `tresor server` processes on one PostgreSQL database behave as one server: a lock taken through node A is
//! honoured on node B, a change made on A reaches a listener connected to B (LISTEN/NOTIFY), and a session
//! disconnected on A is gone on B at once — well before B's five-second session cache would have let it go.
//! Needs `TRESOR_TEST_POSTGRES_URL` (skipped without it, failed under `TRESOR_REQUIRE_PEERS=1`).
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.
#![allow(clippy::print_stderr)] // A skip without PostgreSQL is announced on the test's output.

#[allow(dead_code)]
mod cli_support;
#[allow(dead_code)]
mod vault_support;

use std::time::{Duration, Instant};

use cli_support::{Proc, World};
use serde_json::Value;
use vault_support::Engine;

const ALICE_PASSWORD: &str = "alice-Nodes-Pw-1";
const BOB_PASSWORD: &str = "bob-Nodes-Pw-22";

#[test]
fn two_nodes_on_one_postgresql_behave_as_one_server() {
    let Ok(base) = std::env::var("TRESOR_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("TRESOR_REQUIRE_PEERS").as_deref() != Ok("1"),
            "TRESOR_REQUIRE_PEERS=1 but TRESOR_TEST_POSTGRES_URL is not set"
        );
        eprintln!("skipped: TRESOR_TEST_POSTGRES_URL is not set, so two nodes on PostgreSQL are not tested");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let engine = runtime.block_on(Engine::postgres(&base));
    let w = World::new();
    let (dir_a, dir_b) = (w.root.path().join("node-a"), w.root.path().join("node-b"));
    let mut a = engine.start(&dir_a);
    // Both nodes hold the same master key: node B gets node A's key file.
    std::fs::create_dir_all(&dir_b).unwrap();
    std::fs::copy(dir_a.join("master.key"), dir_b.join("master.key")).unwrap();
    cli_support::chmod(&dir_b.join("master.key"), 0o600);
    let b = engine.start(&dir_b);

    w.login_admin(&mut a);
    w.ok("admin", &["admin", "db", "add", "Team"], "");
    w.add_user("alice", ALICE_PASSWORD, &["--no-must-change-password"]);
    w.add_user("bob", BOB_PASSWORD, &["--no-must-change-password"]);
    w.json("admin", &["admin", "grant", "Team", "--user", "alice", "all"]);
    w.json("admin", &["admin", "grant", "Team", "--user", "bob", "access", "read", "modify"]);
    w.login(&a, "alice", "alice", &format!("{ALICE_PASSWORD}\n"));
    w.login(&b, "bob", "bob", &format!("{BOB_PASSWORD}\n"));
    w.ok("alice", &["add", "Team/Router", "--username", "root", "--notes", "first"], "");
    assert_eq!(w.ok("bob", &["get", "Team/Router", "notes"], ""), "first\n", "B reads what A wrote");

    // Bob listens on node B.
    let mut watching = Proc::spawn(w.command("bob", &["watch", "Team", "--json"]), "");
    watching.wait_for_stderr("the watch to start", |l| l.starts_with("Watching Team"));

    // Alice holds the entry's lock through node A (her editor is open); bob's change through node B is refused.
    let tools = w.root.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let go = tools.join("go");
    let script = tools.join("waiting.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nsed -i 's/^notes = .*/notes = \"from alice\"/' \"$1\"\necho editor-open\n\
             while [ ! -e '{}' ]; do sleep 0.05; done\n",
            go.display()
        ),
    )
    .unwrap();
    cli_support::chmod(&script, 0o700);
    let mut cmd = w.command("alice", &["edit", "Team/Router"]);
    cmd.env("EDITOR", &script);
    let mut editing = Proc::spawn(cmd, "");
    editing.wait_for_line("the editor", |l| l == "editor-open");
    let refused = w.fail("bob", &["edit", "Team/Router", "--notes", "from bob"], "");
    assert!(refused.contains("being edited by alice"), "{refused}");
    std::fs::write(&go, "").unwrap();
    let edited = editing.finish();
    assert!(edited.status.success(), "{edited:?}");

    // What alice did on A reached bob's listener on B: the lock, the change, the release.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let line = watching.wait_for_line("an event from node A", |l| l.starts_with('{'));
        let event: Value = serde_json::from_str(&line).unwrap();
        seen.push(format!("{} by {}", event["kind"].as_str().unwrap(), event["actor"].as_str().unwrap_or("-")));
    }
    assert_eq!(seen, ["entry_locked by alice", "entry_changed by alice", "entry_unlocked by alice"]);
    w.ok("bob", &["edit", "Team/Router", "--notes", "from bob"], "");

    // The administrator disconnects bob through node A: node B refuses his session at once, and his stream on B is
    // told and closes.
    let sessions = w.json("admin", &["admin", "session", "list"]);
    let bob_session = sessions["sessions"].as_array().unwrap().iter().find(|s| s["account"] == "bob").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(w.ok("bob", &["get", "Team/Router", "notes"], ""), "from bob\n", "bob's session is cached on B");
    w.ok("admin", &["admin", "session", "disconnect", &bob_session], "");
    let disconnected_at = Instant::now();
    loop {
        let out = w.run("bob", &["get", "Team/Router", "notes"], "");
        if out.code != Some(0) {
            assert!(out.stderr.contains("log in again") || out.stderr.contains("unauthenticated"), "{out:?}");
            break;
        }
        assert!(
            disconnected_at.elapsed() < Duration::from_secs(3),
            "node B still served bob after {:?}",
            disconnected_at.elapsed()
        );
    }
    let ended = watching.wait_for_line("the end of bob's stream", |l| l.contains("session_ended"));
    assert!(ended.contains("session_ended"), "{ended}");
    let finished = watching.finish();
    assert!(!finished.status.success(), "the watch ends with an error once the session has ended: {finished:?}");
    drop(b);
}
