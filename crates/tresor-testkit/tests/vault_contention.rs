//! Fifty clients (one user each) editing ten shared entries at once, for a bounded number of rounds, through the
//! real server: first each edit under the entry's lock, then without locks, relying on `If-Match` alone. Afterwards
//! every acknowledged write is in its entry's history as exactly the version it was acknowledged as, and every
//! version is an acknowledged write: no update was lost or overwritten. While locks are used, no two clients ever
//! hold one entry's lock at once, and a holder's save is never refused. Locks of clients killed while holding them
//! run out after the "edit entries" time limit.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::vault::{Admin, Rng, grant};
use serde_json::json;
use tresor_api::{ErrorCode, UpdateEntryRequest};
use tresor_client::{Client, ClientError};
use tresor_testkit::{TestServer, USER_PASSWORD};

const CLIENTS: usize = 50;
const ENTRIES: usize = 10;
const ROUNDS: usize = 4;
/// Clients that take a lock and die holding it.
const KILLED: usize = 3;

/// Acknowledged writes: (entry, version) → the marker written.
type Acks = Arc<Mutex<BTreeMap<(usize, u32), String>>>;

fn code(e: &ClientError) -> Option<ErrorCode> {
    e.code()
}

/// Writes `marker` as the entry's notes, based on the version read just before.
async fn write(client: &Client, db: &str, entry: &str, marker: &str) -> Result<u32, ClientError> {
    let current = client.get_entry(db, entry, false).await?;
    let change = UpdateEntryRequest { notes: Some(marker.to_owned()), ..UpdateEntryRequest::default() };
    Ok(client.update_entry_at(db, entry, current.version, &change).await?.version)
}

fn ack(acks: &Acks, entry: usize, version: u32, marker: String) {
    let previous = acks.lock().unwrap().insert((entry, version), marker.clone());
    assert!(previous.is_none(), "version {version} of entry {entry} acknowledged twice: {previous:?} and {marker}");
}

/// One client's rounds under locks: lock a random entry, write, release. A refused lock names its holder and the
/// client moves on to another entry.
async fn with_locks(
    n: usize,
    client: Client,
    db: String,
    entries: Arc<Vec<String>>,
    acks: Acks,
    held: Arc<Mutex<HashMap<usize, usize>>>,
) {
    let mut rng = Rng::new(1000 + n as u64);
    let mut done = 0;
    let mut attempts = 0;
    while done < ROUNDS {
        attempts += 1;
        assert!(attempts < 500, "client {n} could not get a lock in 500 attempts");
        let e = rng.below(ENTRIES);
        match client.lock_entry(&db, &entries[e]).await {
            Ok(lock) => assert!(lock.mine && lock.locked),
            Err(err) if code(&err) == Some(ErrorCode::EntryLocked) => {
                assert!(err.to_string().contains("is being edited by c"), "{err}");
                tokio::task::yield_now().await;
                continue;
            }
            Err(err) => panic!("client {n}: lock: {err}"),
        }
        if let Some(other) = held.lock().unwrap().insert(e, n) {
            panic!("entry {e} is locked by client {n} and by client {other} at once");
        }
        let marker = format!("locked c{n} r{done}");
        let version = write(&client, &db, &entries[e], &marker)
            .await
            .unwrap_or_else(|err| panic!("client {n} holds the lock of entry {e}, yet its save was refused: {err}"));
        ack(&acks, e, version, marker);
        // Out of the book before the server lets go, so that the book never shows a lock the server released.
        held.lock().unwrap().remove(&e);
        client.unlock_entry(&db, &entries[e]).await.unwrap();
        done += 1;
    }
}

/// One client's rounds without locks: read, write with `If-Match`, and on 412 read again and retry.
async fn without_locks(n: usize, client: Client, db: String, entries: Arc<Vec<String>>, acks: Acks) {
    let mut rng = Rng::new(2000 + n as u64);
    for round in 0..ROUNDS {
        let e = rng.below(ENTRIES);
        let marker = format!("free c{n} r{round}");
        let mut tries = 0;
        loop {
            tries += 1;
            match write(&client, &db, &entries[e], &marker).await {
                Ok(version) => {
                    ack(&acks, e, version, marker);
                    break;
                }
                Err(err) if code(&err) == Some(ErrorCode::PreconditionFailed) && tries < 200 => {
                    tokio::task::yield_now().await;
                }
                Err(err) => panic!("client {n}: {err}"),
            }
        }
    }
}

async fn contention(server: &TestServer) {
    let admin = Admin::new(server).await;
    // Fifty logins from one address in a few seconds: raise the sign-in limiter's budget first.
    let limits = json!({"protection": {"failed_login_limit": 10, "attempts_per_minute": 6000, "attempt_burst": 1000}});
    admin.send("PATCH", "/api/v1/admin/signin-settings", &limits).await.expect_ok();
    admin.send("PATCH", "/api/v1/admin/vault-settings", &json!({"edit_lock_secs": 10})).await.expect_ok();
    let db = admin.database("Contended").await;
    let owner = admin.user(server, "owner", &[]).await;
    let mut grants: Vec<_> =
        ["access", "read", "add", "modify"].map(|p| grant(None, owner.subject(), p, "allow")).to_vec();
    let accounts: Vec<String> = (0..CLIENTS).map(|n| format!("c{n:02}")).collect();
    let creating = accounts.iter().map(|a| {
        let body = json!({"account": a, "password": USER_PASSWORD, "options": {"must_change_password": false}});
        let admin = &admin;
        async move { admin.send("POST", "/api/v1/admin/users", &body).await.expect_ok().clone() }
    });
    futures_util::future::join_all(creating).await;
    for a in &accounts {
        grants.extend(["access", "read", "modify"].map(|p| grant(None, ("user", a.as_str()), p, "allow")));
    }
    admin.grant(&db, grants).await;
    let owner_client = server.login("owner", USER_PASSWORD).await.unwrap();
    let mut entries = Vec::new();
    for i in 0..ENTRIES {
        let request: tresor_api::CreateEntryRequest =
            serde_json::from_value(json!({"title": format!("Shared {i}")})).unwrap();
        entries.push(owner_client.create_entry(&db, &request).await.unwrap().id);
    }
    let entries = Arc::new(entries);
    let clients: Vec<Client> = futures_util::future::join_all(accounts.iter().map(|a| server.login(a, USER_PASSWORD)))
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let acks: Acks = Arc::default();

    // Killed clients: each takes the lock of an entry and is gone without releasing it.
    for (n, client) in clients.iter().take(KILLED).enumerate() {
        client.lock_entry(&db, &entries[n]).await.unwrap();
    }
    let killed_at = Instant::now();

    // Phase one, under locks (the others avoid the entries of the killed clients until their locks run out).
    let held = Arc::new(Mutex::new(HashMap::new()));
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .skip(KILLED)
        .map(|(n, c)| {
            tokio::spawn(with_locks(
                n,
                c.clone(),
                db.clone(),
                Arc::clone(&entries),
                Arc::clone(&acks),
                Arc::clone(&held),
            ))
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // The killed clients' locks run out after the time limit: then anyone may take them.
    let deadline = killed_at + Duration::from_secs(40);
    for e in 0..KILLED {
        loop {
            match owner_client.lock_entry(&db, &entries[e]).await {
                Ok(_) => break,
                Err(err) if code(&err) == Some(ErrorCode::EntryLocked) => {
                    assert!(err.to_string().contains(&format!("c{e:02}")), "{err}");
                    assert!(Instant::now() < deadline, "the lock of killed client {e} did not run out");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => panic!("{err}"),
            }
        }
        owner_client.unlock_entry(&db, &entries[e]).await.unwrap();
    }

    // Phase two, without locks: `If-Match` alone keeps every write.
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(n, c)| tokio::spawn(without_locks(n, c.clone(), db.clone(), Arc::clone(&entries), Arc::clone(&acks))))
        .collect();
    for t in tasks {
        t.await.unwrap();
    }

    // Every acknowledged write is in the history as the version it was acknowledged as, and nothing else is.
    let acks = acks.lock().unwrap().clone();
    assert_eq!(acks.len(), (2 * CLIENTS - KILLED) * ROUNDS, "every round wrote once");
    for (e, id) in entries.iter().enumerate() {
        let history = owner_client.entry_history(&db, id).await.unwrap();
        let mut versions: Vec<u32> = history.versions.iter().map(|v| v.version).collect();
        versions.sort_unstable();
        let acknowledged: Vec<u32> = acks.keys().filter(|(x, _)| *x == e).map(|(_, v)| *v).collect();
        assert_eq!(versions[1..], acknowledged[..], "entry {e}: the history is the acknowledged writes");
        for v in acknowledged {
            let stored = owner_client.entry_version(&db, id, v, false).await.unwrap();
            assert_eq!(stored.notes, acks[&(e, v)], "entry {e} version {v}");
        }
    }
}

common::on_each_engine!(contention, seats = 60);
