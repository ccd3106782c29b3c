//! The vault's domain: databases, folders, typed entries with their history, and how their contents are sealed.
//!
//! - [`Database`] (seed manual: Databases, Database Properties) has a name (unique case-insensitively, in the
//!   clear), comments, Advanced [`DatabaseSettings`], and its own data key wrapped by the master key.
//! - [`Folder`]s form a tree per database; their names are sealed. A folder cannot be moved into itself
//!   ([`move_would_cycle`]); a non-empty one is deleted only when asked recursively.
//! - An entry has a type ([`EntryType`], the twelve of Server Policies → Entries) and a body ([`EntryBody`]):
//!   title, user name, password, URL, notes, tags, expiry, the type's own fields ([`EntryType::fields`]),
//!   custom fields and a TOTP secret. The body is encoded ([`codec`], versioned) and sealed whole
//!   ([`DatabaseCipher`]) bound to (database, entry, version).
//! - History: every change stores a new version; the entry points at its current one. Updates name the version
//!   they started from and are refused as stale when someone else got there first.
//! - [`VaultStore`] is the persistence port; it also keeps the grants and the server policy, so that the
//!   permission [`Resolver`](crate::permissions::Resolver) can be fed from the store.
//!
//! Kept in the clear, because listing, permissions and administration need them without the key: ids, the
//! folder tree's shape, entry types, version numbers, authors and times, database names, comments and settings,
//! grants. Everything a user typed into an entry or named a folder is ciphertext (DESIGN §4).

pub mod body;
pub mod codec;
pub mod crypto;
pub mod database;
pub mod entry_type;
pub mod generator;
pub mod lock;
pub mod seal;
pub mod service;
pub mod store;

#[cfg(test)]
mod tests;

pub use body::{CustomField, EntryBody, FieldValue, TotpAlgorithm, TotpSecret};
pub use crypto::DatabaseCipher;
pub use database::{
    Database, DatabaseSettings, Folder, database_comments, database_name, folder_name, move_would_cycle,
};
pub use entry_type::{EntryType, FieldFormat, FieldSpec};
pub use lock::{EntryLock, WriteCheck};
pub use seal::{EntrySeal, Release, SealChange, SealState};
pub use service::VaultService;
pub use store::{
    AttachmentMeta, DatabaseListing, EntryMeta, EntryUpdate, EntryVersion, FIRST_VERSION, FolderContents,
    GuardedEntries, NewAttachment, NewEntry, VaultStore, VersionInfo,
};
/// The data key type [`DatabaseCipher`] wraps, for callers that hold a key of their own (tests, import).
pub use tresor_crypto::DataKey;

use crate::error::CoreError;

/// What can go wrong with an entry's contents. Messages name fields and types, never values.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{kind} entries have no field '{field}'")]
    UnknownField { kind: EntryType, field: String },
    #[error("{kind} entries need the field '{field}'")]
    MissingField { kind: EntryType, field: &'static str },
    #[error("{0}")]
    Invalid(String),
    #[error("the TOTP secret must be base32 (letters A–Z and digits 2–7) of at least 80 bits")]
    InvalidTotp,
    /// The ciphertext does not open with this database's key for this entry and version: it was altered, moved
    /// from another entry or version, or sealed with another key. Nothing of it is returned.
    #[error("the stored entry could not be decrypted: it is damaged or does not belong where it was found")]
    Undecryptable,
    #[error("the database's key could not be unwrapped with the master key")]
    KeyUnavailable,
    #[error("the decrypted entry is malformed ({0})")]
    Malformed(&'static str),
    #[error("the stored entry is a {found} entry, but its record says {expected}")]
    KindMismatch { expected: EntryType, found: EntryType },
    #[error("encryption failed: {0}")]
    Crypto(#[from] tresor_crypto::CryptoError),
}

impl VaultError {
    /// An unknown field, its name cut short: the name is the caller's and ends up in a message.
    pub(crate) fn unknown_field(kind: EntryType, name: &str) -> Self {
        Self::UnknownField { kind, field: name.chars().take(body::MAX_NAME).collect() }
    }
}

impl From<VaultError> for CoreError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::UnknownField { .. } | VaultError::InvalidTotp => CoreError::InvalidInput(e.to_string()),
            VaultError::MissingField { .. } | VaultError::Invalid(_) => CoreError::Validation(e.to_string()),
            other => CoreError::Internal(other.to_string()),
        }
    }
}

/// Checks that a body opened for `meta` is of the type its record says (the type is stored twice: in the clear
/// for listings, and sealed).
pub fn check_kind(meta: &EntryMeta, body: &EntryBody) -> Result<(), VaultError> {
    if meta.kind != body.kind {
        return Err(VaultError::KindMismatch { expected: meta.kind, found: body.kind });
    }
    Ok(())
}
