//! Acknowledged vault writes survive a crash: concurrent clients create and change entries while the real server
//! is killed with SIGKILL at a random moment (seeded; three rounds per engine). After each restart on the same
//! store, every write the server acknowledged (a 2xx received) is there with the acknowledged content and
//! version, every entry decrypts, and at the end the store passes its integrity checks.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.
#![allow(clippy::print_stderr)] // The seed to replay a run with, and what a run observed, go to the test's output.

#[allow(dead_code)]
mod cli_support;
#[allow(dead_code)]
mod vault_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use vault_support::{Api, Engine, Http, Rng, USER_PASSWORD};

const WRITERS: usize = 4;
const ROUNDS: usize = 3;
const FOLDERS: usize = 3;
/// How long one round may take to reach its kill point; a passing round needs well under a second.
const ROUND_DEADLINE: Duration = Duration::from_secs(30);

/// What the server acknowledged for one entry: each acknowledged version with the password it was given.
#[derive(Debug, Clone)]
struct Acked {
    owner: usize,
    title: String,
    versions: BTreeMap<u32, String>,
    /// The version the next update names: the last acknowledged one, or what a conflict showed is current.
    current: u32,
}

type Ledger = Arc<Mutex<BTreeMap<String, Acked>>>;

fn writer_name(i: usize) -> String {
    format!("writer{i}")
}

fn password_of(view: &Value) -> &str {
    view["password"]["value"].as_str().unwrap_or_else(|| panic!("no revealed password in {view}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    let seed = vault_support::seed();
    for engine in Engine::all().await {
        eprintln!("engine: {}", engine.name());
        crash_rounds(&engine, seed).await;
    }
}

async fn crash_rounds(engine: &Engine, seed: u64) {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");
    let mut rng = Rng::new(seed);

    let mut server = engine.start(&data_dir);
    let otp = server.one_time_password();
    let http = Http::new(&server);
    let admin = http.first_admin_login(&otp).await;
    let writers: Vec<String> = (0..WRITERS).map(writer_name).collect();
    for w in &writers {
        admin.create_user(w).await;
    }
    let names: Vec<&str> = writers.iter().map(String::as_str).collect();
    let db = admin.create_database("durable", &names).await;
    // The super administrator cannot act as a client: a writer makes the folders.
    let first = http.login(&writer_name(0), USER_PASSWORD).await;
    let mut folders = Vec::new();
    for f in 0..FOLDERS {
        let body = Some(json!({"name": format!("folder {f}")}));
        let folder = first.expect(201, Method::POST, &format!("/vault/databases/{db}/folders"), body).await;
        folders.push(folder["id"].as_str().unwrap().to_owned());
    }

    let ledger: Ledger = Arc::default();
    for round in 0..ROUNDS {
        let http = Http::new(&server);
        let (acks, mut ack_count) = tokio::sync::watch::channel(0u64);
        let acks = Arc::new(acks);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..WRITERS {
            let api = http.login(&writer_name(w), USER_PASSWORD).await;
            let writer = Writer {
                index: w,
                api,
                db: db.clone(),
                folders: folders.clone(),
                ledger: Arc::clone(&ledger),
                acks: Arc::clone(&acks),
                stop: Arc::clone(&stop),
                rng: Rng::new(seed ^ ((round as u64 + 1) << 32) ^ (w as u64 + 1)),
                round,
            };
            tasks.spawn(writer.run());
        }
        // Kill after a random number of acknowledged writes, so that requests are in flight at that moment.
        let kill_after = rng.range(20, 90);
        let reached = tokio::time::timeout(ROUND_DEADLINE, ack_count.wait_for(|n| *n >= kill_after)).await.is_ok();
        assert!(reached, "round {round}: fewer than {kill_after} acknowledged writes in {ROUND_DEADLINE:?}");
        drop(server); // SIGKILL, then reaped.
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }
        let acked_writes: usize = ledger.lock().unwrap().values().map(|a| a.versions.len()).sum();
        eprintln!(
            "round {round}: killed after {} acks this round; {acked_writes} acknowledged writes in all",
            *ack_count.borrow()
        );

        server = engine.start(&data_dir);
        let http = Http::new(&server);
        let reader = http.login(&writer_name(0), USER_PASSWORD).await;
        verify(&reader, &db, &ledger).await;
    }
    drop(server); // The final stop is a SIGKILL as well.
    check_store(engine, &data_dir).await;
}

/// One concurrent client: creates entries and changes its own, recording each write the server acknowledged.
struct Writer {
    index: usize,
    api: Api,
    db: String,
    folders: Vec<String>,
    ledger: Ledger,
    acks: Arc<tokio::sync::watch::Sender<u64>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    rng: Rng,
    round: usize,
}

impl Writer {
    async fn run(mut self) {
        let mut created = 0;
        while !self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            let own: Vec<(String, u32)> = {
                let ledger = self.ledger.lock().unwrap();
                let mine = ledger.iter().filter(|(_, a)| a.owner == self.index);
                mine.map(|(id, a)| (id.clone(), a.current)).collect()
            };
            let password = self.rng.secret(24);
            let outcome = if own.is_empty() || self.rng.range(0, 10) < 4 {
                created += 1;
                self.create(format!("w{}-r{}-{created}", self.index, self.round), password).await
            } else {
                let (id, version) = own[self.rng.range(0, own.len() as u64) as usize].clone();
                self.update(id, version, password).await
            };
            // No answer: the server is gone (or going); the write is not acknowledged and proves nothing.
            if outcome.is_err() {
                break;
            }
        }
    }

    async fn create(&mut self, title: String, password: String) -> Result<(), String> {
        let slot = self.rng.range(0, self.folders.len() as u64 + 1) as usize;
        let mut body = json!({"type": "password", "title": title, "username": "u", "password": password, "notes": "n"});
        if let Some(folder) = self.folders.get(slot) {
            body["folder"] = json!(folder);
        }
        let (status, view) =
            self.api.try_call(Method::POST, &format!("/vault/databases/{}/entries", self.db), Some(body)).await?;
        assert_eq!(status, 201, "create: {view}");
        let id = view["id"].as_str().unwrap().to_owned();
        let version = view["version"].as_u64().unwrap() as u32;
        assert_eq!(version, 1, "a new entry starts at version 1: {view}");
        let acked =
            Acked { owner: self.index, title, versions: BTreeMap::from([(version, password)]), current: version };
        self.ledger.lock().unwrap().insert(id, acked);
        self.acks.send_modify(|n| *n += 1);
        Ok(())
    }

    async fn update(&mut self, id: String, version: u32, password: String) -> Result<(), String> {
        let path = format!("/vault/databases/{}/entries/{id}", self.db);
        let body = json!({"version": version, "password": password});
        let (status, view) = self.api.try_call(Method::PATCH, &path, Some(body)).await?;
        match status {
            200 => {
                let new = view["version"].as_u64().unwrap() as u32;
                assert_eq!(new, version + 1, "update: {view}");
                let mut ledger = self.ledger.lock().unwrap();
                let acked = ledger.get_mut(&id).unwrap();
                acked.versions.insert(new, password);
                acked.current = new;
                self.acks.send_modify(|n| *n += 1);
            }
            // An update sent before the last crash was written but its answer never arrived: the acknowledged
            // version is stale. Nothing is acknowledged; the next update names the version that is current.
            409 => {
                assert_eq!(view["error"]["code"], "version_conflict", "{view}");
                assert!(self.round > 0, "a conflict in the first round, with one writer per entry: {view}");
                let (status, now) = self.api.try_call(Method::GET, &path, None).await?;
                assert_eq!(status, 200, "{now}");
                let now = now["version"].as_u64().unwrap() as u32;
                assert!(now > version, "a conflict on v{version}, yet the entry is at v{now}");
                self.ledger.lock().unwrap().get_mut(&id).unwrap().current = now;
            }
            _ => panic!("update: {status} {view}"),
        }
        Ok(())
    }
}

/// Every acknowledged write is there with its content; every entry decrypts.
async fn verify(api: &Api, db: &str, ledger: &Ledger) {
    let ledger = ledger.lock().unwrap().clone();
    let (status, page) =
        api.call(Method::GET, &format!("/vault/databases/{db}/entries?limit=1000&recursive=true"), None).await;
    assert_eq!(status, 200, "listing: {page}");
    let listed: BTreeMap<String, u32> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e["version"].as_u64().unwrap() as u32))
        .collect();
    assert_eq!(page["total"].as_u64().unwrap() as usize, listed.len(), "one page holds every entry");
    // Unacknowledged creates may have been written too; acknowledged ones must be.
    assert!(listed.len() >= ledger.len(), "{} entries listed, {} acknowledged", listed.len(), ledger.len());
    for (id, current) in &listed {
        let view = api.expect(200, Method::GET, &format!("/vault/databases/{db}/entries/{id}?reveal=true"), None).await;
        assert_eq!(view["version"].as_u64().unwrap() as u32, *current, "{view}");
        let Some(acked) = ledger.get(id) else { continue };
        assert_eq!(view["title"], acked.title.as_str(), "{view}");
        let (&last, last_password) = acked.versions.iter().next_back().unwrap();
        assert!(*current >= last, "entry {id}: version {current} after version {last} was acknowledged");
        if *current == last {
            assert_eq!(password_of(&view), last_password, "entry {id} v{last}");
        }
        for (version, password) in &acked.versions {
            let path = format!("/vault/databases/{db}/entries/{id}/history/{version}?reveal=true");
            let old = api.expect(200, Method::GET, &path, None).await;
            assert_eq!(old["version"].as_u64().unwrap() as u32, *version, "{old}");
            assert_eq!(password_of(&old), password, "entry {id} v{version}");
        }
    }
    for id in ledger.keys() {
        assert!(listed.contains_key(id), "acknowledged entry {id} is missing");
    }
    let unacknowledged = listed.len() - ledger.len();
    let ahead = ledger.iter().filter(|(id, a)| listed[*id] > *a.versions.keys().next_back().unwrap()).count();
    eprintln!("  stored but never acknowledged: {unacknowledged} creates, updates on {ahead} entries");
}

/// The store's own consistency after the final SIGKILL.
async fn check_store(engine: &Engine, data_dir: &std::path::Path) {
    // Every entry's current version exists, no version is beyond it, and history has no gaps; attachments and
    // grants point at what exists (the engines enforce foreign keys; this checks nothing slipped around them).
    const CHECKS: [(&str, &str); 5] = [
        (
            "entries without their current version",
            "SELECT count(*) FROM entries e WHERE NOT EXISTS \
          (SELECT 1 FROM entry_versions v WHERE v.entry_id = e.id AND v.version = e.version)",
        ),
        (
            "versions beyond the current one",
            "SELECT count(*) FROM entry_versions v JOIN entries e ON e.id = v.entry_id WHERE v.version > e.version",
        ),
        (
            "entries with gaps in their history",
            "SELECT count(*) FROM entries e WHERE e.version <> (SELECT count(*) FROM entry_versions v WHERE v.entry_id = e.id)",
        ),
        (
            "versions without their entry",
            "SELECT count(*) FROM entry_versions v WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = v.entry_id)",
        ),
        (
            "entries in a folder of another database or none",
            "SELECT count(*) FROM entries e WHERE e.folder_id IS NOT NULL AND NOT EXISTS \
          (SELECT 1 FROM folders f WHERE f.id = e.folder_id AND f.database_id = e.database_id)",
        ),
    ];
    match engine {
        Engine::Sqlite => {
            let mut conn = vault_support::sqlite_connect(data_dir).await;
            let integrity: Vec<String> =
                sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await.unwrap();
            assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
            let violations = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut conn).await.unwrap();
            assert!(violations.is_empty(), "PRAGMA foreign_key_check: {} violations", violations.len());
            for (what, sql) in CHECKS {
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
                assert_eq!(n, 0, "{what}");
            }
        }
        Engine::Postgres { base, schema, .. } => {
            let mut conn = vault_support::pg_connect(base).await;
            let set_path = format!("SET search_path TO {schema}");
            sqlx::query(sqlx::AssertSqlSafe(set_path)).execute(&mut conn).await.unwrap();
            for (what, sql) in CHECKS {
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
                assert_eq!(n, 0, "{what}");
            }
            let drop_schema = format!("DROP SCHEMA {schema} CASCADE");
            sqlx::query(sqlx::AssertSqlSafe(drop_schema)).execute(&mut conn).await.unwrap();
        }
    }
}
