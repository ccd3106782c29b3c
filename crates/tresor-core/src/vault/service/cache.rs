//! What every vault request needs and few requests change, kept per node so that reading one entry costs one
//! store read: each database's record, data key, opened folder tree and grants; the server policy; the group graph.
//!
//! Writes made through this node's [`VaultService`](super::VaultService) (and group changes, through the account
//! observer) drop what they change at once. Writes made by another node sharing the store are seen when a copy is
//! older than the time to live, the same bound the session cache has. A load that raced with a drop is not kept:
//! every drop moves a generation counter, and a copy loaded under an older generation is used once and thrown
//! away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Timestamp;
use crate::ids::{DatabaseId, FolderId, UserId};
use crate::permissions::{FolderNode, Grant, ServerPolicy};
use crate::store::GroupGraph;
use crate::vault::{Database, DatabaseCipher};

/// How long a copy is trusted without a local write dropping it.
pub const CACHE_TTL: Duration = Duration::from_secs(2);

/// One database as every request sees it.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub database: Database,
    pub cipher: Arc<DatabaseCipher>,
    /// Every folder with its parent and opened name.
    pub folders: Arc<HashMap<FolderId, (Option<FolderId>, String)>>,
    pub folder_nodes: Vec<FolderNode>,
    pub grants: Arc<Vec<Grant>>,
    loaded_at: Timestamp,
}

impl Snapshot {
    pub fn new(
        database: Database,
        cipher: DatabaseCipher,
        folders: HashMap<FolderId, (Option<FolderId>, String)>,
        folder_nodes: Vec<FolderNode>,
        grants: Vec<Grant>,
        loaded_at: Timestamp,
    ) -> Self {
        Self {
            database,
            cipher: Arc::new(cipher),
            folders: Arc::new(folders),
            folder_nodes,
            grants: Arc::new(grants),
            loaded_at,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    databases: HashMap<DatabaseId, Arc<Snapshot>>,
    /// Lower-cased name → id, for databases in `databases`.
    names: HashMap<String, DatabaseId>,
    policy: Option<(Timestamp, ServerPolicy)>,
    groups: Option<(Timestamp, Arc<GroupGraph>)>,
    /// Account names of entry authors, for display.
    accounts: HashMap<UserId, (Timestamp, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct VaultCache {
    inner: Mutex<Inner>,
}

fn fresh(loaded_at: Timestamp, now: Timestamp) -> bool {
    now.since(loaded_at) < CACHE_TTL && loaded_at <= now
}

impl VaultCache {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Option<T> {
        self.inner.lock().ok().map(|mut inner| f(&mut inner))
    }

    /// The generation a load starts under; pass it back to the `put_*` call.
    pub fn generation(&self) -> u64 {
        self.with(|i| i.generation).unwrap_or(0)
    }

    pub fn database(&self, id: DatabaseId, now: Timestamp) -> Option<Arc<Snapshot>> {
        self.with(|i| i.databases.get(&id).filter(|s| fresh(s.loaded_at, now)).cloned()).flatten()
    }

    pub fn database_by_name(&self, name: &str, now: Timestamp) -> Option<Arc<Snapshot>> {
        let key = name.to_lowercase();
        self.with(|i| {
            let id = i.names.get(&key)?;
            i.databases.get(id).filter(|s| fresh(s.loaded_at, now)).cloned()
        })
        .flatten()
    }

    pub fn put_database(&self, snapshot: Arc<Snapshot>, generation: u64) {
        self.with(|i| {
            if i.generation != generation {
                return;
            }
            i.names.retain(|_, id| *id != snapshot.database.id);
            i.names.insert(snapshot.database.name.to_lowercase(), snapshot.database.id);
            i.databases.insert(snapshot.database.id, snapshot);
        });
    }

    /// Drops one database's copy (its folders, grants or properties changed).
    pub fn forget_database(&self, id: DatabaseId) {
        self.with(|i| {
            i.generation += 1;
            i.databases.remove(&id);
            i.names.retain(|_, d| *d != id);
        });
    }

    pub fn policy(&self, now: Timestamp) -> Option<ServerPolicy> {
        self.with(|i| i.policy.as_ref().filter(|(at, _)| fresh(*at, now)).map(|(_, p)| p.clone())).flatten()
    }

    pub fn put_policy(&self, policy: ServerPolicy, now: Timestamp, generation: u64) {
        self.with(|i| {
            if i.generation == generation {
                i.policy = Some((now, policy));
            }
        });
    }

    pub fn forget_policy(&self) {
        self.with(|i| {
            i.generation += 1;
            i.policy = None;
        });
    }

    pub fn groups(&self, now: Timestamp) -> Option<Arc<GroupGraph>> {
        self.with(|i| i.groups.as_ref().filter(|(at, _)| fresh(*at, now)).map(|(_, g)| Arc::clone(g))).flatten()
    }

    pub fn put_groups(&self, graph: Arc<GroupGraph>, now: Timestamp, generation: u64) {
        self.with(|i| {
            if i.generation == generation {
                i.groups = Some((now, graph));
            }
        });
    }

    pub fn account(&self, user: UserId, now: Timestamp) -> Option<String> {
        self.with(|i| i.accounts.get(&user).filter(|(at, _)| fresh(*at, now)).map(|(_, n)| n.clone())).flatten()
    }

    pub fn put_account(&self, user: UserId, name: String, now: Timestamp) {
        self.with(|i| {
            // Bounded: a full map starts over rather than growing with every author ever seen.
            if i.accounts.len() >= 10_000 {
                i.accounts.clear();
            }
            i.accounts.insert(user, (now, name));
        });
    }

    pub fn forget_groups(&self) {
        self.with(|i| {
            i.generation += 1;
            i.groups = None;
        });
    }
}
