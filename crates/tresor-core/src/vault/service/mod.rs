//! The vault's use cases: what a user may do with databases, folders, entries and attachments, and what an
//! administrator may do with databases, permissions, the server policy and the vault settings.
//!
//! Every path that touches entry data starts from [`VaultService::load`]: it reads the database's tree, grants,
//! the server policy and the caller's groups, and hands out a [`Loaded`] whose [`Loaded::resolver`] is the one
//! permission function ([`Resolver`]). Nothing here decides access any other way. Something the caller may not
//! see is answered as "not found", never "forbidden", so that its existence is not revealed.

mod admin;
mod attachments;
mod audit;
mod cache;
pub use cache::SHARED_CACHE_TTL;
mod entries;
mod entry_change;
mod folders;
mod grants;
mod listing;
mod live;
pub use live::{LiveListener, LiveNotice, NoticeKind};
mod locks;
pub use locks::{LockHolder, LockedEntry};
mod lookup;
mod seals;
mod second_password;
pub use seals::{SealDecision, SealView};
mod search;
pub use search::ResolvedPath;
mod settings;
mod sharing;
pub use sharing::ShareRequest;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub use admin::{DatabaseConnection, DatabaseProperties, DatabaseUpdate, ManageDatabases};
pub use attachments::{AttachmentDownload, AttachmentInfo, AttachmentUpload};
pub use entries::OpenedEntry;
pub use entry_change::{EntryChange, EntryInput};
pub use folders::{FolderChange, FolderView, OpenedDatabase};
pub use grants::{GrantChange, GrantRecord, ObjectKey, RightsDiff, RightsReport, SubjectKey};
pub use listing::{EntryCursor, EntrySummary};
pub use settings::{AssignTarget, VaultSettings, VaultSettingsChange};

use self::cache::{EntryIndex, Snapshot, VaultCache};
use super::{Database, DatabaseCipher, EntryMeta, Folder, GuardedEntries, VaultError, VaultStore};
use crate::auth::AuthService;
use crate::caller::Caller;
use crate::clock::{Clock, Timestamp};
use crate::error::CoreError;
use crate::ids::{DatabaseId, EntryId, FolderId, GroupId, SessionId, UserId};
use crate::keyring::Keyring;
use crate::permissions::{DatabaseTree, Memberships, Object, Permission, PermissionSet, Resolver, ServerPolicy};
use crate::store::{Store, StoreError};

/// The vault's use cases. Cheap to share (`Arc`); holds no per-request state but the open-database register.
#[derive(Debug)]
pub struct VaultService {
    store: Arc<dyn Store>,
    vault: Arc<dyn VaultStore>,
    clock: Arc<dyn Clock>,
    keyring: Arc<Keyring>,
    auth: Arc<AuthService>,
    connections: Mutex<HashMap<DatabaseId, HashMap<SessionId, Connection>>>,
    cache: Arc<VaultCache>,
    reader: EntryReader,
}

/// Reads entries with their current versions, from the cache where it has them and the store for the rest.
#[derive(Debug, Clone)]
pub(crate) struct EntryReader {
    vault: Arc<dyn VaultStore>,
    cache: Arc<VaultCache>,
    clock: Arc<dyn Clock>,
}

impl EntryReader {
    /// One entry of `database` with its current version.
    async fn one(
        &self,
        database: DatabaseId,
        entry: EntryId,
    ) -> Result<Option<(EntryMeta, Arc<super::EntryVersion>)>, CoreError> {
        Ok(self.many(database, &[entry]).await?.pop())
    }

    /// Entries of `database` with their current versions, in the order of `ids`; entries not there are left out.
    pub(crate) async fn many(
        &self,
        database: DatabaseId,
        ids: &[EntryId],
    ) -> Result<Vec<(EntryMeta, Arc<super::EntryVersion>)>, CoreError> {
        let now = self.clock.now();
        let mut found = self.cache.entries(database, ids, now);
        let missing: Vec<EntryId> = ids.iter().filter(|id| !found.contains_key(id)).copied().collect();
        if !missing.is_empty() {
            let generation = self.cache.generation();
            for (meta, version) in self.vault.current_entries(database, &missing).await? {
                let version = Arc::new(version);
                self.cache.put_entry(meta, Arc::clone(&version), now, generation);
                found.insert(meta.id, (meta, version));
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}

/// Someone who has a database open on this node (Database Properties → General: "who is connected to it").
#[derive(Debug, Clone)]
struct Connection {
    user: UserId,
    account: String,
    address: IpAddr,
    since: Timestamp,
}

/// Which entries a load reads: all of them (listings) or one (everything about a single entry).
#[derive(Debug, Clone, Copy)]
enum Focus {
    Whole,
    Entry(EntryId),
    /// Folders only: folder operations and database-level questions.
    Folders,
}

/// One database as one caller sees it at one instant: everything the resolver needs, with folder names opened.
pub(crate) struct Loaded {
    /// The entries read (all, the one in focus, or none) under the folder tree.
    pub index: Arc<EntryIndex>,
    pub snapshot: Arc<Snapshot>,
    pub policy: ServerPolicy,
    pub memberships: Arc<Memberships>,
    pub user: UserId,
    pub now: Timestamp,
    /// The current version of the entry in focus, read with it.
    pub current: Option<Arc<super::EntryVersion>>,
    /// The entry in focus and the caller's rights on it (`None`: it is not visible), worked out once by
    /// [`VaultService::load`].
    pub focus: Option<(EntryId, Option<PermissionSet>)>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").field("database", &self.snapshot.database.id).field("user", &self.user).finish()
    }
}

impl Loaded {
    /// The one permission function, for this caller and instant.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver::new(&self.index.tree, &self.snapshot.grants, &self.policy, &self.memberships, self.user, self.now)
    }

    /// `Folder/Sub` from the root to `folder` (empty for the root).
    pub fn folder_path(&self, folder: Option<FolderId>) -> String {
        folder.and_then(|f| self.snapshot.paths.get(&f).cloned()).unwrap_or_default()
    }

    /// An entry this load read, by id.
    pub fn entry(&self, id: EntryId) -> Option<EntryMeta> {
        self.index.get(id)
    }

    /// Whether `folder` (`None`: the root) is `top` or lies below it; everything is inside the root (`top` None).
    pub fn is_inside(&self, folder: Option<FolderId>, top: Option<FolderId>) -> bool {
        let Some(top) = top else { return true };
        let mut at = folder;
        // Bounded by the number of folders: the tree was checked acyclic when it was built.
        for _ in 0..=self.snapshot.folders.len() {
            match at {
                None => return false,
                Some(x) if x == top => return true,
                Some(x) => at = self.snapshot.folders.get(&x).and_then(|(p, _)| *p),
            }
        }
        false
    }

    /// The entry, if the caller can see it; otherwise "not found" (its existence is not revealed).
    pub fn visible_entry(&self, id: EntryId) -> Result<(EntryMeta, PermissionSet), CoreError> {
        let meta = self.entry(id).ok_or_else(|| CoreError::not_found("entry"))?;
        if let Some((focus, rights)) = self.focus
            && focus == id
        {
            return rights.map(|rights| (meta, rights)).ok_or_else(|| CoreError::not_found("entry"));
        }
        let resolver = self.resolver();
        if !resolver.is_visible(Object::Entry(id)) {
            return Err(CoreError::not_found("entry"));
        }
        Ok((meta, resolver.rights(Object::Entry(id))))
    }

    /// The container `folder` (`None`: the database root) if the caller may see into it: a listed folder, or the
    /// database itself. Returns the caller's rights on it.
    pub fn container(&self, folder: Option<FolderId>) -> Result<PermissionSet, CoreError> {
        let resolver = self.resolver();
        let object = match folder {
            None => Object::Database(self.snapshot.database.id),
            Some(f) => {
                if !resolver.is_listed(Object::Folder(f)) {
                    return Err(CoreError::not_found("folder"));
                }
                Object::Folder(f)
            }
        };
        Ok(resolver.rights(object))
    }
}

/// Refuses with a message naming the permission: for objects the caller can already see.
pub(crate) fn require(rights: PermissionSet, permission: Permission, what: &str) -> Result<(), CoreError> {
    if rights.contains(permission) {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!("you do not have the permission '{permission}' on {what}")))
}

impl VaultService {
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<dyn VaultStore>,
        clock: Arc<dyn Clock>,
        keyring: Arc<Keyring>,
        auth: Arc<AuthService>,
        cache_ttl: std::time::Duration,
    ) -> Self {
        let cache = Arc::new(VaultCache::new(cache_ttl));
        Self {
            store,
            vault: Arc::clone(&vault),
            clock: Arc::clone(&clock),
            keyring,
            auth,
            connections: Mutex::new(HashMap::new()),
            reader: EntryReader { vault: Arc::clone(&vault), cache: Arc::clone(&cache), clock: Arc::clone(&clock) },
            cache,
        }
    }

    /// A database's snapshot by id or name, from the cache or the store; "not found" when there is none.
    async fn snapshot(&self, key: &str) -> Result<Arc<Snapshot>, CoreError> {
        let now = self.clock.now();
        let key = key.trim();
        let id = key.parse::<DatabaseId>().ok();
        let cached = match id {
            Some(id) => self.cache.database(id, now),
            None => self.cache.database_by_name(key, now),
        };
        if let Some(snapshot) = cached {
            return Ok(snapshot);
        }
        let generation = self.cache.generation();
        let found = match id {
            Some(id) => self.vault.database(id).await?,
            None => self.vault.database_by_name(key).await?,
        };
        let database = found.ok_or_else(|| CoreError::not_found("database"))?;
        self.build_snapshot(database, generation).await
    }

    /// The snapshot of a database record already read (listings).
    ///
    /// A copy that is not cached is built from the record read again, not from `database`: a record read before
    /// the generation was taken could be older than a change that dropped the cache meanwhile.
    async fn snapshot_of(&self, database: Database) -> Result<Arc<Snapshot>, CoreError> {
        if let Some(snapshot) = self.cache.database(database.id, self.clock.now()) {
            return Ok(snapshot);
        }
        self.snapshot(&database.id.to_string()).await
    }

    async fn build_snapshot(&self, database: Database, generation: u64) -> Result<Arc<Snapshot>, CoreError> {
        let cipher = DatabaseCipher::open(&self.keyring, &database)?;
        let stored = self.vault.list_folders(database.id).await?;
        let grants = self.vault.grants(database.id).await?;
        let folders = open_folders(&cipher, &stored)?;
        let nodes = stored
            .iter()
            .map(|f| f.node(folders.get(&f.id).map(|(_, name)| name.clone()).unwrap_or_default()))
            .collect();
        let tree = DatabaseTree::build(database.id, database.name.clone(), nodes, Vec::new())
            .map_err(|e| CoreError::Internal(format!("the stored folder tree is invalid: {e}")))?;
        let snapshot = Arc::new(Snapshot::new(database, cipher, folders, tree, grants, self.clock.now()));
        self.cache.put_database(Arc::clone(&snapshot), generation);
        Ok(snapshot)
    }

    /// The server policy, cached.
    async fn policy(&self) -> Result<ServerPolicy, CoreError> {
        let now = self.clock.now();
        if let Some(policy) = self.cache.policy(now) {
            return Ok(policy);
        }
        let generation = self.cache.generation();
        let policy = self.vault.server_policy().await?;
        self.cache.put_policy(policy.clone(), now, generation);
        Ok(policy)
    }

    /// `user`'s groups through the group graph (cached), as the permission model needs them. `direct` is the
    /// user's own groups when the caller knows them (a session does); otherwise they are read.
    async fn memberships(&self, user: UserId, direct: Option<&[GroupId]>) -> Result<Memberships, CoreError> {
        let now = self.clock.now();
        let graph = match self.cache.groups(now) {
            Some(graph) => graph,
            None => {
                let generation = self.cache.generation();
                let graph = Arc::new(self.store.group_graph().await?);
                self.cache.put_groups(Arc::clone(&graph), now, generation);
                graph
            }
        };
        let read;
        let direct = match direct {
            Some(d) => d,
            None => {
                read = self.store.user_groups(user).await?.into_iter().map(|g| g.id).collect::<Vec<_>>();
                &read
            }
        };
        Ok(Memberships::from_graph(&graph, user, direct))
    }

    /// What the resolver needs about a database for `user`.
    async fn load_database(
        &self,
        snapshot: Arc<Snapshot>,
        user: UserId,
        memberships: Arc<Memberships>,
        focus: Focus,
    ) -> Result<Loaded, CoreError> {
        let id = snapshot.database.id;
        let (snapshot, (index, current)) = match self.focus_index(&snapshot, focus).await? {
            Some(found) => (snapshot, found),
            None => {
                // An entry sits in a folder this copy does not know: the copy is older than a change another node
                // made. Read the database again, once.
                self.database_changed(id);
                let fresh = self.snapshot(&id.to_string()).await?;
                let found = self.focus_index(&fresh, focus).await?.ok_or_else(|| {
                    CoreError::Internal(format!("the stored folder tree of database {id} does not hold its entries"))
                })?;
                (fresh, found)
            }
        };
        let policy = self.policy().await?;
        Ok(Loaded { index, policy, memberships, user, now: self.clock.now(), snapshot, current, focus: None })
    }

    /// The entries `focus` names under the snapshot's tree (and the current version of an entry in focus); `None`
    /// when one of them is in a folder the snapshot does not have.
    async fn focus_index(
        &self,
        snapshot: &Snapshot,
        focus: Focus,
    ) -> Result<Option<(Arc<EntryIndex>, Option<Arc<super::EntryVersion>>)>, CoreError> {
        let (metas, current) = match focus {
            Focus::Whole => return Ok(self.entry_index(snapshot).await?.map(|index| (index, None))),
            Focus::Entry(entry) => match self.reader.one(snapshot.database.id, entry).await? {
                Some((meta, version)) => (vec![meta], Some(version)),
                None => (Vec::new(), None),
            },
            Focus::Folders => (Vec::new(), None),
        };
        Ok(EntryIndex::new(&snapshot.tree, metas).ok().map(|index| (Arc::new(index), current)))
    }

    /// Loads a database for a client and refuses one the caller cannot open ("not found").
    async fn load(&self, caller: &Caller, database: &str, focus: Focus) -> Result<Loaded, CoreError> {
        let caller = caller.as_client()?;
        let snapshot = self.snapshot(database).await?;
        let memberships = self.caller_memberships(caller).await?;
        let mut loaded = self.load_database(snapshot, caller.user_id(), memberships, focus).await?;
        let resolver = loaded.resolver();
        // One resolver answers both questions for an entry in focus; an entry the caller sees opens the database.
        let in_focus = match focus {
            Focus::Entry(id) if loaded.entry(id).is_some() => {
                let visible = resolver.is_visible(Object::Entry(id));
                Some((id, visible.then(|| resolver.rights(Object::Entry(id)))))
            }
            _ => None,
        };
        let open = in_focus.is_some_and(|(_, rights)| rights.is_some())
            || resolver.is_visible(Object::Database(loaded.snapshot.database.id));
        drop(resolver);
        if !open && !self.opened_by_an_entry(&loaded, focus).await? {
            return Err(CoreError::not_found("database"));
        }
        loaded.focus = in_focus;
        Ok(loaded)
    }

    /// A load of folders only cannot see that a visible entry opens the database too (DESIGN §3: a database is open
    /// when access to it is allowed or anything inside is visible), so before saying no it asks the whole tree.
    async fn opened_by_an_entry(&self, loaded: &Loaded, focus: Focus) -> Result<bool, CoreError> {
        // A whole load has asked already. Any other must ask the whole tree, so that an entry in focus that the
        // caller cannot see answers exactly as one that does not exist.
        if matches!(focus, Focus::Whole) {
            return Ok(false);
        }
        // Access has no server policy, so nothing in the database is visible without an Allow of access from one
        // of the user's subjects: most databases a user cannot open are ruled out without reading their entries.
        let subjects = loaded.memberships.effective_subjects(loaded.user);
        let may_access = loaded.snapshot.grants.iter().any(|g| {
            g.permission == Permission::Access
                && g.setting == crate::permissions::Setting::Allow
                && g.is_active_at(loaded.now)
                && subjects.contains(&g.subject)
        });
        if !may_access {
            return Ok(false);
        }
        let snapshot = self.snapshot_of(Database::clone(&loaded.snapshot.database)).await?;
        let whole = self.load_database(snapshot, loaded.user, Arc::clone(&loaded.memberships), Focus::Whole).await?;
        Ok(whole.resolver().is_visible(Object::Database(whole.snapshot.database.id)))
    }

    /// Loads a database for an administrator's question about `user` (no visibility check: administrators
    /// manage databases they need not see into).
    pub(super) async fn load_for_user(&self, database: Database, user: UserId) -> Result<Loaded, CoreError> {
        self.cache.forget_database(database.id);
        let snapshot = self.snapshot_of(database).await?;
        let memberships = Arc::new(self.memberships(user, None).await?);
        self.load_database(snapshot, user, memberships, Focus::Whole).await
    }

    /// Loads a database as a client sees it, from a snapshot in hand.
    async fn load_as(&self, caller: &Caller, snapshot: Arc<Snapshot>, focus: Focus) -> Result<Loaded, CoreError> {
        let memberships = self.caller_memberships(caller).await?;
        self.load_database(snapshot, caller.user_id(), memberships, focus).await
    }

    /// The caller's groups as of its session, through the group graph.
    async fn caller_memberships(&self, caller: &Caller) -> Result<Arc<Memberships>, CoreError> {
        let direct: Vec<GroupId> = caller.groups.iter().map(|g| g.id).collect();
        Ok(Arc::new(self.memberships(caller.user_id(), Some(&direct)).await?))
    }

    /// Every entry of a database under its tree: kept with the snapshot, or read and kept.
    /// `None` when an entry is in a folder the snapshot does not have.
    async fn entry_index(&self, snapshot: &Snapshot) -> Result<Option<Arc<EntryIndex>>, CoreError> {
        if let Some(index) = snapshot.index.get() {
            return Ok(Some(index));
        }
        let generation = self.cache.generation();
        let metas = self.vault.list_entries(snapshot.database.id).await?;
        let Ok(index) = EntryIndex::new(&snapshot.tree, metas) else { return Ok(None) };
        let index = Arc::new(index);
        self.cache.keep(&snapshot.index, Arc::clone(&index), generation);
        Ok(Some(index))
    }

    /// The entries of a database the release gate looks at closely: kept with the snapshot, or read and kept.
    async fn guarded_entries(&self, snapshot: &Snapshot) -> Result<Arc<GuardedEntries>, CoreError> {
        if let Some(guarded) = snapshot.guarded.get() {
            return Ok(guarded);
        }
        let generation = self.cache.generation();
        let guarded = Arc::new(self.vault.guarded_entries(snapshot.database.id).await?);
        self.cache.keep(&snapshot.guarded, Arc::clone(&guarded), generation);
        Ok(guarded)
    }

    /// Drops the cached copy of an entry after a change to it.
    fn entry_changed(&self, entry: EntryId) {
        self.cache.forget_entry(entry);
    }

    /// Drops where a database's entries are, after one was created, moved or deleted.
    fn placement_changed(&self, database: DatabaseId) {
        self.cache.forget_kept(database, |s| &s.index);
    }

    /// Drops the cached copy of a database after a change to its folders, grants or properties.
    fn database_changed(&self, database: DatabaseId) {
        self.cache.forget_database(database);
    }

    /// Runs a store write that changes a database's folders, grants or properties, dropping the database's cached
    /// copy before it and again after it, whether it succeeded or not. The drop after is what counts: a load that
    /// raced with the write may have cached the old rows under the generation the first drop set.
    async fn writing_database<T>(
        &self,
        database: DatabaseId,
        write: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.database_changed(database);
        let result = write.await;
        self.database_changed(database);
        result
    }

    /// Records that the caller has the database open (for the properties' "who is connected"); returns whether
    /// this session had not opened it before.
    fn record_connection(&self, caller: &Caller, database: DatabaseId) -> bool {
        let now = self.clock.now();
        let Ok(mut map) = self.connections.lock() else { return false };
        let sessions = map.entry(database).or_default();
        if sessions.contains_key(&caller.session_id()) {
            return false;
        }
        let connection = Connection {
            user: caller.user_id(),
            account: caller.user.account.clone(),
            address: caller.address,
            since: now,
        };
        sessions.insert(caller.session_id(), connection);
        true
    }

    /// Who has the database open, leaving out (and forgetting) sessions that have ended since: logged out,
    /// expired, disconnected or deleted with their user, on this node or another.
    async fn live_connections(&self, database: DatabaseId) -> Result<Vec<(SessionId, Connection)>, CoreError> {
        let recorded = self.connections_of(database);
        if recorded.is_empty() {
            return Ok(recorded);
        }
        let live: std::collections::HashSet<SessionId> =
            self.store.live_sessions(self.clock.now()).await?.into_iter().map(|s| s.id).collect();
        let (keep, gone): (Vec<_>, Vec<_>) = recorded.into_iter().partition(|(s, _)| live.contains(s));
        for (session, _) in gone {
            self.forget_session(session);
        }
        Ok(keep)
    }

    fn connections_of(&self, database: DatabaseId) -> Vec<(SessionId, Connection)> {
        self.connections
            .lock()
            .map(|map| {
                map.get(&database)
                    .map(|m| m.iter().map(|(s, c)| (*s, c.clone())).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// Forgets a session's open databases (logout, disconnect).
    pub fn forget_session(&self, session: SessionId) {
        if let Ok(mut map) = self.connections.lock() {
            map.values_mut().for_each(|m| {
                m.remove(&session);
            });
        }
    }
}

/// Opens every folder name of a database.
fn open_folders(
    cipher: &DatabaseCipher,
    folders: &[Folder],
) -> Result<HashMap<FolderId, (Option<FolderId>, String)>, CoreError> {
    folders
        .iter()
        .map(|f| {
            // One damaged folder name must not close the whole database: the folder keeps its place in the tree
            // (and its entries their rights) under a name that says what happened.
            let name = match cipher.open_folder_name(f.id, &f.sealed_name) {
                Ok(name) => name,
                Err(e @ (VaultError::Undecryptable | VaultError::Malformed(_))) => {
                    tracing::error!(database = %cipher.database(), folder = %f.id, error = %e, "a stored folder name did not decrypt");
                    format!("(damaged folder {})", f.id)
                }
                Err(other) => return Err(other.into()),
            };
            Ok((f.id, (f.parent, name)))
        })
        .collect()
}

/// A stored value that does not open is damaged or out of place: say so clearly, return nothing of it.
pub(crate) fn undecryptable(e: VaultError) -> CoreError {
    match e {
        VaultError::Undecryptable | VaultError::Malformed(_) | VaultError::KindMismatch { .. } => {
            CoreError::Undecryptable(e.to_string())
        }
        other => other.into(),
    }
}
