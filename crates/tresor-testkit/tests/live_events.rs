//! The live event stream through the real server: listeners connected over WebSocket hear of creations, changes,
//! moves, deletions, locks, folders and permission changes exactly as far as they may see them; an entry that leaves
//! a listener's view (moved, or its permission taken away) is announced as hidden and nothing more of it arrives; a
//! listener with no rights hears nothing at all; a session disconnected by an administrator is told so and the
//! stream closes. "Nothing arrived" is proven by order: each listener's next message after the act is a sentinel it
//! may see, published after the act. Runs on SQLite and, when `TRESOR_TEST_POSTGRES_URL` is set, PostgreSQL.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::time::Duration;

use common::vault::{Admin, As, grant};
use serde_json::json;
use tresor_api::LiveEventView;
use tresor_client::LiveStream;
use tresor_testkit::{TestServer, USER_PASSWORD};

/// The next message, within a deadline.
async fn next(stream: &mut LiveStream, who: &str) -> LiveEventView {
    match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
        Ok(Some(Ok(event))) => event,
        other => panic!("{who}: no event within 10 s: {other:?}"),
    }
}

/// The next message is `kind` about `entry` (when given).
async fn expect(stream: &mut LiveStream, who: &str, kind: &str, entry: Option<&str>) -> LiveEventView {
    let event = next(stream, who).await;
    assert_eq!((event.kind.as_str(), event.entry.as_deref()), (kind, entry), "{who}: {event:?}");
    event
}

async fn live(server: &TestServer) {
    let admin = Admin::new(server).await;
    let alice = admin.user(server, "alice", &[]).await;
    let bob = admin.user(server, "bob", &[]).await;
    let carol = admin.user(server, "carol", &[]).await;
    let db = admin.database("Team").await;
    let other = admin.database("Carols").await;
    let rights = ["access", "read", "add", "modify", "delete"];
    admin.grant(&db, rights.map(|p| grant(None, alice.subject(), p, "allow")).to_vec()).await;
    admin.grant(&other, rights.map(|p| grant(None, carol.subject(), p, "allow")).to_vec()).await;
    let a = As::new(&admin.raw, &alice);
    let folder = a.folder(&db, "Ops", None).await;
    // Bob may open the database and read the folder Ops, nothing else.
    admin.grant(&db, vec![grant(None, bob.subject(), "access", "allow")]).await;
    admin
        .grant(&db, ["access", "read"].map(|p| grant(Some(("folder", &folder)), bob.subject(), p, "allow")).to_vec())
        .await;

    let mut alice_hears = server.login("alice", USER_PASSWORD).await.unwrap().live_events().await.unwrap();
    let mut bob_hears = server.login("bob", USER_PASSWORD).await.unwrap().live_events().await.unwrap();
    let mut carol_hears = server.login("carol", USER_PASSWORD).await.unwrap().live_events().await.unwrap();

    // A root entry only alice sees; one in Ops that bob sees too.
    let root = a.entry(&db, &json!({"title": "Root secret", "password": "r"})).await["id"].as_str().unwrap().to_owned();
    let ops = a.entry(&db, &json!({"title": "Ops box", "folder": folder})).await["id"].as_str().unwrap().to_owned();
    let created = expect(&mut alice_hears, "alice", "entry_created", Some(&root)).await;
    assert_eq!(
        (created.database_name.as_deref(), created.actor.as_deref(), created.version),
        (Some("Team"), Some("alice"), Some(1))
    );
    expect(&mut alice_hears, "alice", "entry_created", Some(&ops)).await;
    let seen = expect(&mut bob_hears, "bob", "entry_created", Some(&ops)).await;
    assert_eq!(seen.folder.as_deref(), Some(folder.as_str()));

    // A change, a lock and its release of the root entry: alice hears them, bob does not (his next message is the
    // change of the Ops entry that follows).
    let entries = format!("/api/v1/vault/databases/{db}/entries");
    a.send("PATCH", &format!("{entries}/{root}"), &json!({"notes": "changed"})).await.expect_ok();
    a.send("POST", &format!("{entries}/{root}/lock"), &json!({})).await.expect_ok();
    a.delete(&format!("{entries}/{root}/lock")).await.expect_ok();
    a.send("PATCH", &format!("{entries}/{ops}"), &json!({"notes": "changed"})).await.expect_ok();
    let changed = expect(&mut alice_hears, "alice", "entry_changed", Some(&root)).await;
    assert_eq!(changed.version, Some(2));
    expect(&mut alice_hears, "alice", "entry_locked", Some(&root)).await;
    expect(&mut alice_hears, "alice", "entry_unlocked", Some(&root)).await;
    expect(&mut alice_hears, "alice", "entry_changed", Some(&ops)).await;
    expect(&mut bob_hears, "bob", "entry_changed", Some(&ops)).await;

    // A folder bob cannot see; then the Ops entry moves to the root, out of bob's sight: he hears it leave.
    let hidden_folder = a.folder(&db, "Private", None).await;
    expect(&mut alice_hears, "alice", "folder_created", None).await;
    a.send("POST", &format!("{entries}/{ops}/move"), &json!({"folder": null})).await.expect_ok();
    expect(&mut alice_hears, "alice", "entry_moved", Some(&ops)).await;
    expect(&mut bob_hears, "bob", "entry_hidden", Some(&ops)).await;
    a.send("PATCH", &format!("{entries}/{ops}"), &json!({"notes": "unseen by bob"})).await.expect_ok();
    expect(&mut alice_hears, "alice", "entry_changed", Some(&ops)).await;

    // Bob is given read on the whole database: both entries come into view.
    admin.grant(&db, vec![grant(None, bob.subject(), "read", "allow")]).await;
    let mut shown = Vec::new();
    let first = next(&mut bob_hears, "bob").await;
    assert_eq!(first.kind, "permissions_changed", "{first:?}");
    for _ in 0..2 {
        let e = next(&mut bob_hears, "bob").await;
        assert_eq!(e.kind, "entry_shown", "{e:?}");
        shown.push(e.entry.unwrap());
    }
    shown.sort();
    let mut both = vec![root.clone(), ops.clone()];
    both.sort();
    assert_eq!(shown, both);
    // The folder Private is visible to bob now that he reads the database; he hears its deletion.
    a.delete(&format!("/api/v1/vault/databases/{db}/folders/{hidden_folder}")).await.expect_ok();
    let deleted = expect(&mut bob_hears, "bob", "folder_deleted", None).await;
    assert_eq!(deleted.folder.as_deref(), Some(hidden_folder.as_str()));

    // His access is taken away: everything leaves his view at that moment, and nothing more of it arrives.
    let revoke = format!("/api/v1/admin/databases/{db}/grants/users/bob");
    admin.raw.send("DELETE", &revoke, Some(&admin.token), common::Body::None).await.expect_ok();
    assert_eq!(next(&mut bob_hears, "bob").await.kind, "permissions_changed");
    let mut hidden = Vec::new();
    for _ in 0..2 {
        let e = next(&mut bob_hears, "bob").await;
        assert_eq!(e.kind, "entry_hidden", "{e:?}");
        hidden.push(e.entry.unwrap());
    }
    hidden.sort();
    assert_eq!(hidden, both);
    a.send("PATCH", &format!("{entries}/{root}"), &json!({"notes": "after the revocation"})).await.expect_ok();
    a.delete(&format!("{entries}/{ops}")).await.expect_ok();
    // Sentinels: an entry in Carol's database, which bob is now given and carol owns.
    admin.grant(&other, ["access", "read"].map(|p| grant(None, bob.subject(), p, "allow")).to_vec()).await;
    assert_eq!(next(&mut bob_hears, "bob").await.kind, "permissions_changed");
    let c = As::new(&admin.raw, &carol);
    let sentinel = c.entry(&other, &json!({"title": "Sentinel"})).await["id"].as_str().unwrap().to_owned();
    expect(&mut bob_hears, "bob", "entry_created", Some(&sentinel)).await;
    // Carol heard nothing of Team at all: her first message is her own entry.
    let first = expect(&mut carol_hears, "carol", "entry_created", Some(&sentinel)).await;
    assert_eq!(first.database_name.as_deref(), Some("Carols"));
    expect(&mut alice_hears, "alice", "folder_deleted", None).await;
    expect(&mut alice_hears, "alice", "entry_changed", Some(&root)).await;
    expect(&mut alice_hears, "alice", "entry_deleted", Some(&ops)).await;

    // An administrator disconnects alice's session: her stream says so and closes.
    let sessions = admin.get("/api/v1/admin/sessions").await;
    let mine: Vec<String> = sessions.expect_ok()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["account"] == "alice")
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    for session in mine {
        admin
            .raw
            .send("DELETE", &format!("/api/v1/admin/sessions/{session}"), Some(&admin.token), common::Body::None)
            .await;
    }
    // Whichever comes first — the disconnection's event, or the stream's own check of the session — says it ended.
    let ended = next(&mut alice_hears, "alice").await;
    assert_eq!(ended.kind, "session_ended", "{ended:?}");
    let closed = tokio::time::timeout(Duration::from_secs(10), alice_hears.next()).await.unwrap();
    assert!(closed.is_none(), "the stream closes after the session ended: {closed:?}");
    // Bob's stream stays open and hears nothing of it.
    c.send("PATCH", &format!("/api/v1/vault/databases/{other}/entries/{sentinel}"), &json!({"notes": "x"}))
        .await
        .expect_ok();
    expect(&mut bob_hears, "bob", "entry_changed", Some(&sentinel)).await;

    // Without a token or with a plain GET, the stream is refused with a JSON error.
    let anonymous = server.client().live_events().await.unwrap_err();
    assert_eq!(anonymous.code(), Some(tresor_api::ErrorCode::Unauthenticated), "{anonymous}");
    admin.get("/api/v1/events").await.expect(400, tresor_api::ErrorCode::InvalidParameter);
}

common::on_each_engine!(live, seats = 10);
