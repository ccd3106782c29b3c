//! The vault's persistence port, [`VaultStore`], and the records it moves. Each engine implements it beside
//! [`Store`](crate::Store) (the SQL store implements both); services hold it as `Arc<dyn VaultStore>`.
//!
//! The store sees only ciphertext for what users typed: entry bodies and folder names arrive sealed
//! ([`DatabaseCipher`](super::DatabaseCipher)). What it keeps in the clear is structure: ids, which folder holds
//! what, entry types, version numbers, authors, times, database names and settings, grants and the policy.
//!
//! Every write method is atomic. Writes that change a database's structure (folders, entry placement) take
//! turns per database, so that a folder check (emptiness, cycles) and the write after it see the same tree.

use std::fmt;

use async_trait::async_trait;

use super::database::{Database, Folder};
use super::entry_type::EntryType;
use super::lock::{EntryLock, WriteCheck};
use super::seal::{EntrySeal, SealChange};
use crate::clock::Timestamp;
use crate::ids::{AttachmentId, DatabaseId, EntryId, FolderId, SessionId, UserId};
use crate::permissions::{EntryNode, FolderNode, Grant, ServerPolicy, Subject};
use crate::store::StoreError;

/// What lies inside a folder, at any depth: the folders and the entries a recursive delete takes with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderContents {
    pub folders: std::collections::BTreeSet<FolderId>,
    pub entries: std::collections::BTreeSet<EntryId>,
}

/// The entries of a database that the release gate must look at closely: those with a second password, and the
/// (entry, recipient) pairs that have a seal in any state. Kept with the database's snapshot, so that releasing
/// the secrets of any other entry asks the store nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardedEntries {
    pub second_passwords: std::collections::HashSet<EntryId>,
    pub seals: std::collections::HashSet<(EntryId, UserId)>,
}

/// The version of a newly created entry; each update adds one.
pub const FIRST_VERSION: u32 = 1;

/// A database in the administrators' listing (seed manual, Databases: "size, the time and date of the last
/// access, the total number of entries").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseListing {
    pub database: Database,
    pub entries: u64,
    /// Bytes of ciphertext stored for its entries (every version counted) and their attachments.
    pub size_bytes: u64,
    /// The later of the database's own last change and its newest entry change.
    pub last_modified: Timestamp,
    /// When a user last opened it ([`VaultStore::touch_database`]); `None` if nobody ever has.
    pub last_accessed: Option<Timestamp>,
}

/// What is known of an entry without decrypting it: enough to list a database and feed the permission tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta {
    pub id: EntryId,
    pub database: DatabaseId,
    pub folder: Option<FolderId>,
    pub kind: EntryType,
    /// The current version.
    pub version: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl EntryMeta {
    /// The entry as the permission tree sees it.
    pub fn node(&self) -> EntryNode {
        EntryNode { id: self.id, folder: self.folder }
    }
}

impl Folder {
    /// The folder as the permission tree sees it, under `name` (its opened name, or anything that identifies
    /// it in explanations).
    pub fn node(&self, name: impl Into<String>) -> FolderNode {
        FolderNode { id: self.id, parent: self.parent, name: name.into() }
    }
}

/// A new entry and its first version ([`FIRST_VERSION`], sealed for that version).
#[derive(Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub id: EntryId,
    pub database: DatabaseId,
    pub folder: Option<FolderId>,
    pub kind: EntryType,
    pub ciphertext: Vec<u8>,
    pub author: UserId,
    pub at: Timestamp,
}

/// A change to an entry: a new version `expected_version + 1`, sealed for that version, accepted only while
/// the entry's current version is still `expected_version` (optimistic concurrency) and no session but
/// `session` holds a live lock on it.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryUpdate {
    pub database: DatabaseId,
    pub entry: EntryId,
    pub expected_version: u32,
    pub ciphertext: Vec<u8>,
    pub author: UserId,
    pub session: SessionId,
    pub at: Timestamp,
}

impl EntryUpdate {
    /// The version this update creates.
    pub fn new_version(&self) -> Option<u32> {
        self.expected_version.checked_add(1)
    }
}

/// One stored version of an entry.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryVersion {
    pub entry: EntryId,
    pub version: u32,
    pub ciphertext: Vec<u8>,
    pub author: UserId,
    pub created_at: Timestamp,
}

/// A version in an entry's history, without its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: u32,
    pub author: UserId,
    pub created_at: Timestamp,
}

/// A file attached to an entry, on its way into the store: its name sealed, its contents sealed in chunks
/// (each bound to its attachment and position, see [`DatabaseCipher::seal_chunk`]), inserted all at once.
///
/// [`DatabaseCipher::seal_chunk`]: super::DatabaseCipher::seal_chunk
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub id: AttachmentId,
    pub database: DatabaseId,
    pub entry: EntryId,
    pub sealed_name: Vec<u8>,
    /// Bytes of plaintext, over all chunks.
    pub size: u64,
    pub chunks: Vec<Vec<u8>>,
    pub author: UserId,
    pub at: Timestamp,
}

impl fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAttachment")
            .field("id", &self.id)
            .field("database", &self.database)
            .field("entry", &self.entry)
            .field("size", &self.size)
            .field("chunks", &self.chunks.len())
            .field("author", &self.author)
            .field("at", &self.at)
            .finish()
    }
}

/// A stored attachment without its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub database: DatabaseId,
    pub entry: EntryId,
    pub sealed_name: Vec<u8>,
    pub size: u64,
    /// How many chunks hold the contents; they are numbered from 0.
    pub chunks: u32,
    pub author: UserId,
    pub created_at: Timestamp,
}

macro_rules! debug_without_ciphertext {
    ($t:ty, $($field:ident),*) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($field), &self.$field))*
                    .field("ciphertext", &format_args!("<{} bytes>", self.ciphertext.len()))
                    .finish()
            }
        }
    };
}
debug_without_ciphertext!(NewEntry, id, database, folder, kind, author, at);
debug_without_ciphertext!(EntryUpdate, database, entry, expected_version, author, session, at);
debug_without_ciphertext!(EntryVersion, entry, version, author, created_at);

#[async_trait]
pub trait VaultStore: Send + Sync + fmt::Debug + 'static {
    // --- databases --------------------------------------------------------------------------------------------
    /// Refused with [`StoreError::Duplicate`] when another database has the name, case-insensitively.
    async fn insert_database(&self, database: &Database) -> Result<(), StoreError>;
    async fn database(&self, id: DatabaseId) -> Result<Option<Database>, StoreError>;
    /// Looks a database up by name, case-insensitively.
    async fn database_by_name(&self, name: &str) -> Result<Option<Database>, StoreError>;
    /// Every database with its counts, by name.
    async fn list_databases(&self) -> Result<Vec<DatabaseListing>, StoreError>;
    /// One database with its counts.
    async fn database_listing(&self, id: DatabaseId) -> Result<Option<DatabaseListing>, StoreError>;
    /// Replaces name, comments, settings and `updated_at` (rename, properties); the id, the wrapped key and the
    /// creation time stay. [`StoreError::NotFound`] or [`StoreError::Duplicate`] (name taken).
    async fn update_database(&self, database: &Database) -> Result<(), StoreError>;
    /// Deletes a database with everything in it: folders, entries and their versions, grants. Returns whether
    /// it existed.
    async fn delete_database(&self, id: DatabaseId) -> Result<bool, StoreError>;
    /// For the dashboard's "installed databases".
    async fn count_databases(&self) -> Result<u64, StoreError>;
    /// Records that a user opened the database at `at` (the listing's "last access"). No error when the
    /// database does not exist.
    async fn touch_database(&self, id: DatabaseId, at: Timestamp) -> Result<(), StoreError>;

    // --- folders ----------------------------------------------------------------------------------------------
    /// [`StoreError::NotFound`] when the database or the parent folder (in that database) does not exist.
    async fn insert_folder(&self, folder: &Folder) -> Result<(), StoreError>;
    async fn folder(&self, database: DatabaseId, id: FolderId) -> Result<Option<Folder>, StoreError>;
    /// Every folder of the database, in no particular order ([`DatabaseTree::build`] sorts them).
    ///
    /// [`DatabaseTree::build`]: crate::permissions::DatabaseTree::build
    async fn list_folders(&self, database: DatabaseId) -> Result<Vec<Folder>, StoreError>;
    async fn rename_folder(
        &self,
        database: DatabaseId,
        id: FolderId,
        sealed_name: &[u8],
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Moves a folder under `parent` (`None`: the root). Refused with [`StoreError::FolderCycle`] when `parent`
    /// is the folder or lies inside it, checked in the same transaction as the move.
    async fn move_folder(
        &self,
        database: DatabaseId,
        id: FolderId,
        parent: Option<FolderId>,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Deletes a folder. Without `contents`, a folder holding folders or entries is refused with
    /// [`StoreError::NotEmpty`]. With them, everything inside goes too, but only if what is inside is exactly
    /// `contents` at the moment of the delete: the caller checked its rights on those, and nothing created or moved
    /// in since may go with them ([`StoreError::Changed`]). Returns whether it existed.
    async fn delete_folder(
        &self,
        database: DatabaseId,
        id: FolderId,
        contents: Option<&FolderContents>,
    ) -> Result<bool, StoreError>;

    // --- entries ----------------------------------------------------------------------------------------------
    /// Creates an entry at [`FIRST_VERSION`]. [`StoreError::NotFound`] when the database or the folder (in that
    /// database) does not exist.
    async fn insert_entry(&self, entry: &NewEntry) -> Result<EntryMeta, StoreError>;
    /// Adds a version and makes it current. [`StoreError::StaleVersion`] (with the current version) when the
    /// entry has moved on from `expected_version`; [`StoreError::Locked`] when another session holds a live lock
    /// on it; [`StoreError::NotFound`] when it does not exist.
    async fn update_entry(&self, update: &EntryUpdate) -> Result<EntryMeta, StoreError>;
    /// Moves an entry to another folder of its database (`None`: the root); its versions stay. Checked like
    /// [`VaultStore::update_entry`] against `check`.
    async fn move_entry(
        &self,
        database: DatabaseId,
        id: EntryId,
        folder: Option<FolderId>,
        check: &WriteCheck,
    ) -> Result<(), StoreError>;
    /// Deletes an entry with its history and its lock, checked like [`VaultStore::update_entry`] against
    /// `check`; returns whether it existed.
    async fn delete_entry(&self, database: DatabaseId, id: EntryId, check: &WriteCheck) -> Result<bool, StoreError>;

    // --- locks ------------------------------------------------------------------------------------------------
    /// Takes the lock `lock` describes, or renews it when its session holds it already (the time it was taken
    /// stays; it expires at the new `expires_at`). [`StoreError::Locked`] with the holder's lock when another
    /// session holds a live one; [`StoreError::NotFound`] when the entry is not in the database. A dead lock of
    /// another session (expired, or its session over) is replaced.
    async fn lock_entry(&self, lock: &EntryLock, now: Timestamp) -> Result<EntryLock, StoreError>;
    /// Removes the live lock on an entry, only if `session` holds it (`None`: whoever does, an administrator
    /// breaking it). Returns the lock removed; `None` when there was no such live lock.
    async fn unlock_entry(
        &self,
        database: DatabaseId,
        entry: EntryId,
        session: Option<SessionId>,
        now: Timestamp,
    ) -> Result<Option<EntryLock>, StoreError>;
    /// The live lock on an entry, if there is one.
    async fn entry_lock(
        &self,
        database: DatabaseId,
        entry: EntryId,
        now: Timestamp,
    ) -> Result<Option<EntryLock>, StoreError>;
    /// The live locks of a database, oldest first.
    async fn entry_locks(&self, database: DatabaseId, now: Timestamp) -> Result<Vec<EntryLock>, StoreError>;
    /// Removes every dead lock (expired, or its session over) and returns them.
    async fn remove_dead_locks(&self, now: Timestamp) -> Result<Vec<EntryLock>, StoreError>;
    async fn entry(&self, database: DatabaseId, id: EntryId) -> Result<Option<EntryMeta>, StoreError>;
    /// An entry with its current version, in one read (the path of "get one entry").
    async fn current_entry(
        &self,
        database: DatabaseId,
        id: EntryId,
    ) -> Result<Option<(EntryMeta, EntryVersion)>, StoreError>;
    /// Several entries with their current versions, in the order of `ids`; ids not in the database are left
    /// out. Listings read a page of entries this way in a few queries.
    async fn current_entries(
        &self,
        database: DatabaseId,
        ids: &[EntryId],
    ) -> Result<Vec<(EntryMeta, EntryVersion)>, StoreError>;
    /// The metadata of every entry of the database.
    async fn list_entries(&self, database: DatabaseId) -> Result<Vec<EntryMeta>, StoreError>;
    async fn entry_version(
        &self,
        database: DatabaseId,
        id: EntryId,
        version: u32,
    ) -> Result<Option<EntryVersion>, StoreError>;
    /// An entry's history, newest first; empty when the entry does not exist.
    async fn entry_versions(&self, database: DatabaseId, id: EntryId) -> Result<Vec<VersionInfo>, StoreError>;

    // --- attachments ------------------------------------------------------------------------------------------
    /// Stores an attachment with all its chunks in one transaction. [`StoreError::NotFound`] when the entry is
    /// not in the database.
    async fn insert_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta, StoreError>;
    /// An entry's attachments, oldest first.
    async fn attachments(&self, database: DatabaseId, entry: EntryId) -> Result<Vec<AttachmentMeta>, StoreError>;
    async fn attachment(
        &self,
        database: DatabaseId,
        entry: EntryId,
        id: AttachmentId,
    ) -> Result<Option<AttachmentMeta>, StoreError>;
    /// One sealed chunk of an attachment's contents, read on its own so that a download streams.
    async fn attachment_chunk(
        &self,
        database: DatabaseId,
        id: AttachmentId,
        index: u32,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes an attachment with its chunks; returns whether it existed. Deleting an entry or a database
    /// deletes its attachments.
    async fn delete_attachment(
        &self,
        database: DatabaseId,
        entry: EntryId,
        id: AttachmentId,
    ) -> Result<bool, StoreError>;

    // --- permissions ------------------------------------------------------------------------------------------
    /// Every grant set in the database, on the database itself and on its folders and entries.
    async fn grants(&self, database: DatabaseId) -> Result<Vec<Grant>, StoreError>;
    /// Sets each grant's (object, subject, permission) to its setting and window; an `Undefined` setting
    /// removes the row (Undefined is the absence of a grant). [`StoreError::NotFound`] when an object is not in
    /// the database or a subject does not exist. All or nothing.
    async fn put_grants(&self, database: DatabaseId, grants: &[Grant]) -> Result<(), StoreError>;
    /// Removes every grant of `subject` in the database (manual, Permissions: "remove database access for a
    /// user or group"); returns how many.
    async fn revoke_subject(&self, database: DatabaseId, subject: Subject) -> Result<u64, StoreError>;
    /// The server policy; all Undefined until one is stored.
    async fn server_policy(&self) -> Result<ServerPolicy, StoreError>;
    /// Replaces the whole server policy ("Restore default settings" stores the default).
    async fn put_server_policy(&self, policy: &ServerPolicy) -> Result<(), StoreError>;

    // Seals (`seal.rs`): one per (entry, recipient), with its authorised persons.
    /// Stores a new seal with its authorised persons. A seal of that recipient on that entry that is unsealed is
    /// replaced; one in any other state stays, and the answer is `Duplicate`.
    async fn insert_seal(&self, seal: &EntrySeal) -> Result<(), StoreError>;
    async fn seal(
        &self,
        database: DatabaseId,
        entry: EntryId,
        recipient: UserId,
    ) -> Result<Option<EntrySeal>, StoreError>;
    /// The entry's seals, oldest first.
    async fn entry_seals(&self, database: DatabaseId, entry: EntryId) -> Result<Vec<EntrySeal>, StoreError>;
    /// Applies `change` if the seal is still at `change.expected_revision`, and returns the seal after it; `None`
    /// when the seal moved on meanwhile or is gone.
    async fn change_seal(&self, change: &SealChange) -> Result<Option<EntrySeal>, StoreError>;

    /// Which entries of the database have a second password or a seal.
    async fn guarded_entries(&self, database: DatabaseId) -> Result<GuardedEntries, StoreError>;

    // Second passwords: one Argon2id verifier per entry, at most.
    /// The verifier of the entry's second password, if it has one.
    async fn second_password(&self, database: DatabaseId, entry: EntryId) -> Result<Option<String>, StoreError>;
    /// Sets (`Some`) or removes (`None`) the entry's second password; `false` when the entry is not in the database.
    async fn set_second_password(
        &self,
        database: DatabaseId,
        entry: EntryId,
        verifier: Option<&str>,
        by: UserId,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
}
