//! What every vault request needs and few requests change, kept per node so that reading one entry costs one
//! store read: each database's record, data key, opened folder tree and grants; the server policy; the group graph.
//!
//! Writes made through this node's [`VaultService`](super::VaultService) (and group changes, through the account
//! observer) drop what they change at once. Writes made by another node sharing the store are seen when a copy is
//! older than the time to live: [`SHARED_CACHE_TTL`] on a shared store, the same bound the session cache has; a
//! server that is its store's only writer (SQLite, whose data directory it locks) may keep copies longer. A load that raced with a drop is not kept:
//! every drop moves a generation counter, and a copy loaded under an older generation is used once and thrown
//! away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Timestamp;
use crate::ids::{DatabaseId, EntryId, FolderId, UserId};
use crate::permissions::{DatabaseTree, Grant, ServerPolicy, TreeError};
use crate::store::GroupGraph;
use crate::vault::{Database, DatabaseCipher, EntryMeta, EntryVersion, GuardedEntries};

/// How long a copy is trusted without a local write dropping it when other nodes share the store.
pub const SHARED_CACHE_TTL: Duration = Duration::from_secs(2);

/// Most bytes the entry cache holds (ciphertexts and their bookkeeping); past it, it starts over. 8 MiB keeps the
/// entries of a busy 10,000-entry database.
pub const MAX_ENTRY_BYTES: usize = 8 * 1024 * 1024;
/// What one cached entry costs besides its ciphertext: the map slot, the metadata, the shared version.
const ENTRY_OVERHEAD: usize = 160;

/// One database as every request sees it. Its `Debug` shows ids and counts: folder names are what users typed.
pub(crate) struct Snapshot {
    pub database: Arc<Database>,
    pub cipher: Arc<DatabaseCipher>,
    /// Every folder with its parent and opened name.
    pub folders: Arc<HashMap<FolderId, (Option<FolderId>, String)>>,
    /// The folder tree, checked once; each request puts its entries under it.
    pub tree: DatabaseTree,
    pub grants: Arc<Vec<Grant>>,
    /// Every `Folder/Sub` path, by folder.
    pub paths: HashMap<FolderId, String>,
    /// Every entry under the tree, read when a load needs them all, dropped when one is created, moved or deleted.
    pub index: Kept<EntryIndex>,
    /// The entries the release gate looks at closely, read when a secret is first released, dropped when a seal or
    /// a second password is set through this node.
    pub guarded: Kept<GuardedEntries>,
    loaded_at: Timestamp,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("database", &self.database.id)
            .field("folders", &self.folders.len())
            .field("grants", &self.grants.len())
            .field("loaded_at", &self.loaded_at)
            .finish_non_exhaustive()
    }
}

/// What a snapshot keeps of its database beyond the tree, read when first needed and dropped alone when a local
/// write changes it ([`VaultCache::keep`], [`VaultCache::forget_kept`]).
pub(crate) struct Kept<T>(Mutex<Option<Arc<T>>>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T> Kept<T> {
    /// What is kept, if anything.
    pub fn get(&self) -> Option<Arc<T>> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }

    fn set(&self, value: Option<Arc<T>>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = value;
        }
    }
}

/// A database's entries as a load sees them: their metadata by id, and the tree with them under its folders.
#[derive(Debug)]
pub(crate) struct EntryIndex {
    /// Sorted by id.
    metas: Vec<EntryMeta>,
    pub tree: DatabaseTree,
}

impl EntryIndex {
    /// Puts `metas` under the folders of `folders`; fails when one is in a folder the tree does not have.
    pub fn new(folders: &DatabaseTree, mut metas: Vec<EntryMeta>) -> Result<Self, TreeError> {
        metas.sort_unstable_by_key(|m| m.id);
        let tree = folders.with_entries(metas.iter().map(EntryMeta::node).collect())?;
        Ok(Self { metas, tree })
    }

    pub fn get(&self, id: EntryId) -> Option<EntryMeta> {
        self.metas.binary_search_by_key(&id, |m| m.id).ok().map(|i| self.metas[i])
    }

    pub fn metas(&self) -> &[EntryMeta] {
        &self.metas
    }
}

impl Snapshot {
    pub fn new(
        database: Database,
        cipher: DatabaseCipher,
        folders: HashMap<FolderId, (Option<FolderId>, String)>,
        tree: DatabaseTree,
        grants: Vec<Grant>,
        loaded_at: Timestamp,
    ) -> Self {
        let paths = folders.keys().map(|id| (*id, folder_path(&folders, Some(*id)))).collect();
        Self {
            database: Arc::new(database),
            cipher: Arc::new(cipher),
            folders: Arc::new(folders),
            tree,
            grants: Arc::new(grants),
            paths,
            index: Kept::default(),
            guarded: Kept::default(),
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
    /// Entries with their current version, as read most recently.
    entries: HashMap<EntryId, (Timestamp, EntryMeta, Arc<EntryVersion>)>,
    entry_bytes: usize,
}

#[derive(Debug)]
pub(crate) struct VaultCache {
    ttl: Duration,
    inner: Mutex<Inner>,
}

impl VaultCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, inner: Mutex::new(Inner::default()) }
    }
}

impl VaultCache {
    fn fresh(&self, loaded_at: Timestamp, now: Timestamp) -> bool {
        now.since(loaded_at) < self.ttl && loaded_at <= now
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Option<T> {
        self.inner.lock().ok().map(|mut inner| f(&mut inner))
    }

    /// The generation a load starts under; pass it back to the `put_*` call.
    pub fn generation(&self) -> u64 {
        self.with(|i| i.generation).unwrap_or(0)
    }

    pub fn database(&self, id: DatabaseId, now: Timestamp) -> Option<Arc<Snapshot>> {
        self.with(|i| i.databases.get(&id).filter(|s| self.fresh(s.loaded_at, now)).cloned()).flatten()
    }

    pub fn database_by_name(&self, name: &str, now: Timestamp) -> Option<Arc<Snapshot>> {
        let key = name.to_lowercase();
        self.with(|i| {
            let id = i.names.get(&key)?;
            i.databases.get(id).filter(|s| self.fresh(s.loaded_at, now)).cloned()
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
            i.entries.retain(|_, (_, meta, _)| meta.database != id);
            i.entry_bytes = i.entries.values().map(|(_, _, v)| v.ciphertext.len() + ENTRY_OVERHEAD).sum();
        });
    }

    pub fn policy(&self, now: Timestamp) -> Option<ServerPolicy> {
        self.with(|i| i.policy.as_ref().filter(|(at, _)| self.fresh(*at, now)).map(|(_, p)| p.clone())).flatten()
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
        self.with(|i| i.groups.as_ref().filter(|(at, _)| self.fresh(*at, now)).map(|(_, g)| Arc::clone(g))).flatten()
    }

    pub fn put_groups(&self, graph: Arc<GroupGraph>, now: Timestamp, generation: u64) {
        self.with(|i| {
            if i.generation == generation {
                i.groups = Some((now, graph));
            }
        });
    }

    pub fn account(&self, user: UserId, now: Timestamp) -> Option<String> {
        self.with(|i| i.accounts.get(&user).filter(|(at, _)| self.fresh(*at, now)).map(|(_, n)| n.clone())).flatten()
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

    /// Keeps `value` in a snapshot's `slot`, unless something changed since `generation`.
    pub fn keep<T>(&self, slot: &Kept<T>, value: Arc<T>, generation: u64) {
        self.with(|i| {
            if i.generation == generation {
                slot.set(Some(value));
            }
        });
    }

    /// Empties the slot `which` picks in a database's snapshot (what it holds changed: an entry was created, moved or
    /// deleted, a seal or a second password was set); its folders and grants stay.
    pub fn forget_kept<T>(&self, database: DatabaseId, which: impl FnOnce(&Snapshot) -> &Kept<T>) {
        self.with(|i| {
            i.generation += 1;
            if let Some(snapshot) = i.databases.get(&database) {
                which(snapshot).set(None);
            }
        });
    }

    /// Entries of `database` among `ids` that have a fresh copy, by id.
    pub fn entries(
        &self,
        database: DatabaseId,
        ids: &[EntryId],
        now: Timestamp,
    ) -> HashMap<EntryId, (EntryMeta, Arc<EntryVersion>)> {
        self.with(|i| {
            ids.iter()
                .filter_map(|id| {
                    let (at, meta, version) = i.entries.get(id)?;
                    (meta.database == database && self.fresh(*at, now)).then(|| (*id, (*meta, Arc::clone(version))))
                })
                .collect()
        })
        .unwrap_or_default()
    }

    pub fn put_entry(&self, meta: EntryMeta, version: Arc<EntryVersion>, now: Timestamp, generation: u64) {
        self.with(|i| {
            if i.generation != generation {
                return;
            }
            let cost = version.ciphertext.len() + ENTRY_OVERHEAD;
            if i.entry_bytes + cost > MAX_ENTRY_BYTES {
                i.entries = HashMap::new();
                i.entry_bytes = 0;
            }
            i.entry_bytes += cost;
            if let Some((_, _, old)) = i.entries.insert(meta.id, (now, meta, version)) {
                i.entry_bytes = i.entry_bytes.saturating_sub(old.ciphertext.len() + ENTRY_OVERHEAD);
            }
        });
    }

    /// Drops an entry's copy (changed, moved, restored or deleted here).
    pub fn forget_entry(&self, id: EntryId) {
        self.with(|i| {
            i.generation += 1;
            if let Some((_, _, old)) = i.entries.remove(&id) {
                i.entry_bytes = i.entry_bytes.saturating_sub(old.ciphertext.len() + ENTRY_OVERHEAD);
            }
        });
    }

    /// Drops an author's name (the account was renamed).
    pub fn forget_account(&self, user: UserId) {
        self.with(|i| {
            i.accounts.remove(&user);
        });
    }

    pub fn forget_groups(&self) {
        self.with(|i| {
            i.generation += 1;
            i.groups = None;
        });
    }
}

/// `Folder/Sub` from the root to `folder` (empty for the root).
pub(crate) fn folder_path(folders: &HashMap<FolderId, (Option<FolderId>, String)>, folder: Option<FolderId>) -> String {
    let mut names = Vec::new();
    let mut at = folder;
    // Bounded by the number of folders: the tree was checked acyclic when it was built.
    for _ in 0..=folders.len() {
        let Some(id) = at else { break };
        let Some((parent, name)) = folders.get(&id) else { break };
        names.push(name.as_str());
        at = *parent;
    }
    names.reverse();
    names.join("/")
}
