//! Databases and folders as stored: [`Database`] with its settings and wrapped key, [`Folder`] with its sealed
//! name, the rules for their names, and the folder-move cycle rule.

use std::collections::HashMap;
use std::fmt;

use super::VaultError;
use crate::clock::Timestamp;
use crate::ids::{DatabaseId, FolderId};
use crate::validate;

/// Longest database comment, in characters.
pub const MAX_COMMENTS: usize = 1000;

/// A database's Advanced settings (seed manual: Database Properties → Advanced).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct DatabaseSettings {
    /// "Monitor and log all cases of user access to entries" (stored now; the audit issue records them).
    pub monitor_accesses: bool,
    /// "Force users to specify a reason for deleting an entry".
    pub reason_required_on_delete: bool,
    /// The Argon2id verifier of the "custom password": when set, the database's properties and permissions
    /// can only be managed by someone who gives it ("Permissions management requires verification").
    pub custom_password_hash: Option<String>,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("monitor_accesses", &self.monitor_accesses)
            .field("reason_required_on_delete", &self.reason_required_on_delete)
            .field("custom_password", &self.custom_password_hash.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// A shared password database (seed manual: Databases; Create New Database: "a database name and, if desired,
/// additional comments").
///
/// Name and comments are in the clear: administrators list, search and rename databases by name, and the name
/// is unique case-insensitively. Everything inside the database is sealed with its data key, which the record
/// carries wrapped by the master key ([`DatabaseCipher`](super::DatabaseCipher)).
#[derive(Clone, PartialEq, Eq)]
pub struct Database {
    pub id: DatabaseId,
    pub name: String,
    pub comments: String,
    pub wrapped_key: Vec<u8>,
    pub settings: DatabaseSettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("comments", &self.comments)
            .field("wrapped_key", &format_args!("<{} bytes>", self.wrapped_key.len()))
            .field("settings", &self.settings)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A folder as stored: its place in the tree and its sealed name ([`DatabaseCipher::seal_folder_name`]).
///
/// [`DatabaseCipher::seal_folder_name`]: super::DatabaseCipher::seal_folder_name
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: FolderId,
    pub database: DatabaseId,
    /// `None`: the folder sits at the database's root.
    pub parent: Option<FolderId>,
    pub sealed_name: Vec<u8>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A database name: the account-name rules (1–64 characters, no control characters, no `/`, not `.`/`..`, not
/// an id), since names appear in entry paths (`DB/Folder/Title`, issue 3). Returns it trimmed.
pub fn database_name(s: &str) -> Result<String, VaultError> {
    validate::name("database name", s).map_err(|e| VaultError::Invalid(e.to_string()))
}

/// A folder name: the same rules as a database name, for the same reason. Siblings may share a name (names
/// are sealed, so the store cannot compare them).
pub fn folder_name(s: &str) -> Result<String, VaultError> {
    validate::name("folder name", s).map_err(|e| VaultError::Invalid(e.to_string()))
}

/// Database comments: free text up to [`MAX_COMMENTS`] characters.
pub fn database_comments(s: &str) -> Result<String, VaultError> {
    validate::text("the comments", s, MAX_COMMENTS).map_err(|e| VaultError::Invalid(e.to_string()))
}

/// Whether moving `folder` into `new_parent` would put it inside itself, given every folder's current parent
/// (`(folder, parent)` pairs of one database). Moving to the root never does.
pub fn move_would_cycle(
    parents: &[(FolderId, Option<FolderId>)],
    folder: FolderId,
    new_parent: Option<FolderId>,
) -> bool {
    let parent_of: HashMap<FolderId, Option<FolderId>> = parents.iter().copied().collect();
    let mut at = new_parent;
    // Bounded by the number of folders: a cycle already in the data cannot make this loop forever.
    for _ in 0..=parents.len() {
        match at {
            None => return false,
            Some(f) if f == folder => return true,
            Some(f) => at = parent_of.get(&f).copied().flatten(),
        }
    }
    true
}
