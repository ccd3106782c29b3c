//! Sealing and opening a database's contents with its data key: entry bodies and folder names.
//!
//! DESIGN §4: each database has its own 256-bit data key, wrapped by the master key (with the database id as
//! associated data, [`Keyring::new_data_key`]); every ciphertext is bound to its place by its associated data:
//!
//! - an entry body: `b"tresor:entry:v1" ‖ database id (16 bytes) ‖ entry id (16 bytes) ‖ version (u32, BE)`, so
//!   a ciphertext copied to another entry, another database or another version of the same entry fails to open;
//! - a folder name: `b"tresor:folder:v1" ‖ database id ‖ folder id`. Folder names are sealed too (they can say as
//!   much as a title: "Acquisition of X", "HR salaries"); they have no versions, so a rename replayed from an
//!   older ciphertext of the same folder would open — only someone who can write the store could do that.
//!
//! The store only ever sees the bytes. Opening fails with one error, [`VaultError::Undecryptable`], whatever the
//! cause (a flipped bit, a swapped row, a wrong key): it never returns wrong data.

use tresor_crypto::DataKey;
use zeroize::Zeroizing;

use super::body::EntryBody;
use super::database::{Database, folder_name};
use super::{VaultError, codec};
use crate::error::CoreError;
use crate::ids::{AttachmentId, DatabaseId, EntryId, FolderId};
use crate::keyring::Keyring;

/// Associated-data prefixes; the `v1` changes if the layout after it ever does.
pub const ENTRY_AAD_PREFIX: &[u8] = b"tresor:entry:v1";
pub const FOLDER_AAD_PREFIX: &[u8] = b"tresor:folder:v1";
pub const ATTACHMENT_NAME_AAD_PREFIX: &[u8] = b"tresor:attachment-name:v1";
pub const CHUNK_AAD_PREFIX: &[u8] = b"tresor:attachment-chunk:v1";

/// Plaintext bytes per attachment chunk: uploads are sealed, and downloads opened, one chunk at a time.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// The associated data of one version of one entry.
pub fn entry_aad(database: DatabaseId, entry: EntryId, version: u32) -> Vec<u8> {
    aad(ENTRY_AAD_PREFIX, &[database.as_uuid().as_bytes(), entry.as_uuid().as_bytes(), &version.to_be_bytes()])
}

/// The associated data of one folder's name.
pub fn folder_aad(database: DatabaseId, folder: FolderId) -> Vec<u8> {
    aad(FOLDER_AAD_PREFIX, &[database.as_uuid().as_bytes(), folder.as_uuid().as_bytes()])
}

/// The associated data of one attachment's name: bound to its database, entry and attachment.
fn attachment_name_aad(database: DatabaseId, entry: EntryId, attachment: AttachmentId) -> Vec<u8> {
    aad(
        ATTACHMENT_NAME_AAD_PREFIX,
        &[database.as_uuid().as_bytes(), entry.as_uuid().as_bytes(), attachment.as_uuid().as_bytes()],
    )
}

/// The associated data of one chunk: its attachment, its position, and whether it is the last one, so that
/// chunks cannot be reordered, moved between attachments, dropped from the end or added after it.
fn chunk_aad(database: DatabaseId, attachment: AttachmentId, index: u32, last: bool) -> Vec<u8> {
    aad(
        CHUNK_AAD_PREFIX,
        &[database.as_uuid().as_bytes(), attachment.as_uuid().as_bytes(), &index.to_be_bytes(), &[u8::from(last)]],
    )
}

/// A prefix naming what is sealed (and the layout's version), then the fixed-size parts that place it.
fn aad(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>());
    aad.extend_from_slice(prefix);
    parts.iter().for_each(|p| aad.extend_from_slice(p));
    aad
}

/// One database's data key, with the id it belongs to: everything it seals is bound to that database.
#[derive(Debug)]
pub struct DatabaseCipher {
    database: DatabaseId,
    key: DataKey,
}

impl DatabaseCipher {
    /// A new data key for a new database, and its wrapped form to store in [`Database::wrapped_key`].
    pub fn create(keyring: &Keyring, database: DatabaseId) -> Result<(Self, Vec<u8>), CoreError> {
        let (key, wrapped) = keyring.new_data_key(database.as_uuid().as_bytes())?;
        Ok((Self { database, key }, wrapped))
    }

    /// Unwraps a stored database's key. Fails if the wrapped key was moved from another database or the master
    /// key is not the one it was wrapped with.
    pub fn open(keyring: &Keyring, database: &Database) -> Result<Self, VaultError> {
        let key = keyring
            .data_key(&database.wrapped_key, database.id.as_uuid().as_bytes())
            .map_err(|_| VaultError::KeyUnavailable)?;
        Ok(Self { database: database.id, key })
    }

    /// Uses `key` for `database` directly (tests; a key recovered elsewhere).
    pub fn from_key(database: DatabaseId, key: DataKey) -> Self {
        Self { database, key }
    }

    pub fn database(&self) -> DatabaseId {
        self.database
    }

    /// Validates and seals one version of an entry.
    pub fn seal_entry(&self, entry: EntryId, version: u32, body: &EntryBody) -> Result<Vec<u8>, VaultError> {
        body.validate()?;
        let plaintext = codec::encode(body)?;
        Ok(self.key.seal(&entry_aad(self.database, entry, version), &plaintext)?)
    }

    /// Opens one version of an entry. Does not re-validate against today's field lists, so that a change of
    /// those lists never makes stored entries unreadable.
    pub fn open_entry(&self, entry: EntryId, version: u32, ciphertext: &[u8]) -> Result<EntryBody, VaultError> {
        let plaintext = self
            .key
            .open(&entry_aad(self.database, entry, version), ciphertext)
            .map_err(|_| VaultError::Undecryptable)?;
        codec::decode(&plaintext)
    }

    /// Seals a folder name after checking it (see [`folder_name`]).
    pub fn seal_folder_name(&self, folder: FolderId, name: &str) -> Result<Vec<u8>, VaultError> {
        let name = Zeroizing::new(folder_name(name)?);
        Ok(self.key.seal(&folder_aad(self.database, folder), name.as_bytes())?)
    }

    /// Seals an attachment's file name.
    pub fn seal_attachment_name(
        &self,
        entry: EntryId,
        attachment: AttachmentId,
        name: &str,
    ) -> Result<Vec<u8>, VaultError> {
        Ok(self.key.seal(&attachment_name_aad(self.database, entry, attachment), name.as_bytes())?)
    }

    pub fn open_attachment_name(
        &self,
        entry: EntryId,
        attachment: AttachmentId,
        ciphertext: &[u8],
    ) -> Result<String, VaultError> {
        let plaintext = self
            .key
            .open(&attachment_name_aad(self.database, entry, attachment), ciphertext)
            .map_err(|_| VaultError::Undecryptable)?;
        std::str::from_utf8(&plaintext).map(str::to_owned).map_err(|_| VaultError::Malformed("text is not UTF-8"))
    }

    /// Seals chunk `index` of an attachment; `last` marks the final chunk.
    pub fn seal_chunk(
        &self,
        attachment: AttachmentId,
        index: u32,
        last: bool,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        Ok(self.key.seal(&chunk_aad(self.database, attachment, index, last), plaintext)?)
    }

    pub fn open_chunk(
        &self,
        attachment: AttachmentId,
        index: u32,
        last: bool,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.key
            .open(&chunk_aad(self.database, attachment, index, last), ciphertext)
            .map_err(|_| VaultError::Undecryptable)
    }

    pub fn open_folder_name(&self, folder: FolderId, ciphertext: &[u8]) -> Result<String, VaultError> {
        let plaintext =
            self.key.open(&folder_aad(self.database, folder), ciphertext).map_err(|_| VaultError::Undecryptable)?;
        std::str::from_utf8(&plaintext).map(str::to_owned).map_err(|_| VaultError::Malformed("text is not UTF-8"))
    }
}
