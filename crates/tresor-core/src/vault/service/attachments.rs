//! Files attached to entries: sealed in chunks as they arrive, stored all at once, opened chunk by chunk on the
//! way out. Seeing an entry lets the caller list and download its attachments; adding or removing one needs
//! modify on the entry. The size limit is a vault setting (default 25 MiB).

use std::sync::Arc;

use zeroize::Zeroizing;

use super::audit::{entry_label, in_database};
use super::{Focus, VaultService, require, undecryptable};
use crate::audit::AuditEvent;
use crate::caller::Caller;
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::{AttachmentId, DatabaseId, EntryId, UserId};
use crate::permissions::Permission;
use crate::vault::crypto::CHUNK_SIZE;
use crate::vault::{AttachmentMeta, DatabaseCipher, NewAttachment, VaultStore};

/// Longest attachment file name, in characters.
pub const MAX_ATTACHMENT_NAME: usize = 255;

/// An attachment's metadata with its name opened.
#[derive(Debug, Clone)]
pub struct AttachmentInfo {
    pub id: AttachmentId,
    pub entry: EntryId,
    pub name: String,
    pub size: u64,
    pub author: UserId,
    pub author_name: String,
    pub created_at: Timestamp,
}

/// An upload in progress: bytes pushed in are sealed a chunk at a time; nothing is stored until
/// [`VaultService::finish_upload`]. Its `Debug` shows ids and sizes, never the file.
pub struct AttachmentUpload {
    cipher: Arc<DatabaseCipher>,
    id: AttachmentId,
    database: DatabaseId,
    entry: EntryId,
    sealed_name: Vec<u8>,
    author: UserId,
    limit: u64,
    size: u64,
    pending: Zeroizing<Vec<u8>>,
    chunks: Vec<Vec<u8>>,
    /// The record of the upload (501), all but the document, which exists once the upload is stored.
    record: AuditEvent,
    /// The entry's path and the file name, which name the document in the record.
    document: String,
}

impl std::fmt::Debug for AttachmentUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentUpload")
            .field("id", &self.id)
            .field("database", &self.database)
            .field("entry", &self.entry)
            .field("size", &self.size)
            .field("limit", &self.limit)
            .field("chunks", &self.chunks.len())
            .finish_non_exhaustive()
    }
}

impl AttachmentUpload {
    /// The largest size this upload may reach.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Takes the next bytes of the file; refuses once the total passes the limit.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), CoreError> {
        self.size = self.size.saturating_add(bytes.len() as u64);
        if self.size > self.limit {
            return Err(CoreError::TooLarge { limit: self.limit });
        }
        while !bytes.is_empty() {
            let room = CHUNK_SIZE - self.pending.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            bytes = rest;
            // A full chunk is sealed only when more follows: the last chunk is marked as last.
            if self.pending.len() == CHUNK_SIZE && !bytes.is_empty() {
                self.seal_pending(false)?;
            }
        }
        Ok(())
    }

    fn seal_pending(&mut self, last: bool) -> Result<(), CoreError> {
        let index = u32::try_from(self.chunks.len()).map_err(|_| CoreError::TooLarge { limit: self.limit })?;
        self.chunks.push(self.cipher.seal_chunk(self.id, index, last, &self.pending)?);
        self.pending.clear();
        Ok(())
    }
}

/// A download: chunks are read and opened one at a time.
#[derive(Debug)]
pub struct AttachmentDownload {
    pub info: AttachmentInfo,
    vault: Arc<dyn VaultStore>,
    cipher: Arc<DatabaseCipher>,
    database: DatabaseId,
    chunks: u32,
    next: u32,
}

impl AttachmentDownload {
    /// The next chunk of plaintext, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Zeroizing<Vec<u8>>>, CoreError> {
        if self.next >= self.chunks {
            return Ok(None);
        }
        let index = self.next;
        let sealed = self
            .vault
            .attachment_chunk(self.database, self.info.id, index)
            .await?
            .ok_or_else(|| CoreError::Undecryptable("a chunk of the attachment is missing".to_owned()))?;
        let plain =
            self.cipher.open_chunk(self.info.id, index, index + 1 == self.chunks, &sealed).map_err(undecryptable)?;
        self.next += 1;
        Ok(Some(plain))
    }
}

impl VaultService {
    /// Starts an upload to an entry the caller may modify.
    pub async fn begin_upload(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        name: &str,
    ) -> Result<AttachmentUpload, CoreError> {
        let name = attachment_name(name)?;
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Modify, "this entry")?;
        let limit = self.settings().await?.attachment_limit_bytes;
        let document = format!("{}/{name}", entry_label(&loaded, &meta));
        let id = AttachmentId::random();
        let sealed_name = loaded.snapshot.cipher.seal_attachment_name(entry, id, &name)?;
        Ok(AttachmentUpload {
            cipher: Arc::clone(&loaded.snapshot.cipher),
            id,
            database: loaded.snapshot.database.id,
            entry,
            sealed_name,
            author: caller.user_id(),
            limit,
            size: 0,
            pending: Zeroizing::new(Vec::with_capacity(CHUNK_SIZE)),
            chunks: Vec::new(),
            record: in_database(501, caller, &loaded.snapshot.database),
            document,
        })
    }

    /// Seals the last chunk and stores the attachment with all its chunks at once (501, "The content of a document
    /// was received by a user": see [`crate::events`] on reading it as received from the user).
    pub async fn finish_upload(&self, mut upload: AttachmentUpload) -> Result<AttachmentInfo, CoreError> {
        upload.seal_pending(true)?;
        let meta = self
            .vault
            .insert_attachment(&NewAttachment {
                id: upload.id,
                database: upload.database,
                entry: upload.entry,
                sealed_name: std::mem::take(&mut upload.sealed_name),
                size: upload.size,
                chunks: std::mem::take(&mut upload.chunks),
                author: upload.author,
                at: self.clock.now(),
            })
            .await?;
        let info = self.attachment_info(&upload.cipher, &meta).await?;
        let record = upload.record.object(meta.id, upload.document);
        self.audit().note(record.new_object(format!("{} bytes", meta.size))).await;
        Ok(info)
    }

    /// The attachments of an entry the caller can see.
    pub async fn attachments(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<Vec<AttachmentInfo>, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        loaded.visible_entry(entry)?;
        let mut out = Vec::new();
        for meta in self.vault.attachments(loaded.snapshot.database.id, entry).await? {
            out.push(self.attachment_info(&loaded.snapshot.cipher, &meta).await?);
        }
        Ok(out)
    }

    /// Opens an attachment of an entry the caller can see, for streaming (502, "The content of a document was sent
    /// to a user"). When the database monitors accesses, the access (305) is recorded first, and without that
    /// record nothing of the file is handed out.
    pub async fn download(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        id: AttachmentId,
    ) -> Result<AttachmentDownload, CoreError> {
        self.download_with(caller, database, entry, id, None).await
    }

    /// [`Self::download`], giving the entry's second password when it has one.
    pub async fn download_with(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        id: AttachmentId,
        second_password: Option<tresor_crypto::SecretString>,
    ) -> Result<AttachmentDownload, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (entry_meta, _) = loaded.visible_entry(entry)?;
        let meta = self
            .vault
            .attachment(loaded.snapshot.database.id, entry, id)
            .await?
            .ok_or_else(|| CoreError::not_found("attachment"))?;
        let info = self.attachment_info(&loaded.snapshot.cipher, &meta).await?;
        // A document is part of the entry's contents: a seal holds it back like the password.
        self.release(caller, &loaded, &entry_meta, second_password).await?;
        let path = entry_label(&loaded, &entry_meta);
        let db = &loaded.snapshot.database;
        if db.settings.monitor_accesses {
            let access = in_database(305, caller, db).object(entry, path.clone());
            self.audit().record(access.new_object(format!("document {}", info.name))).await?;
        }
        self.audit().note(in_database(502, caller, db).object(id, format!("{path}/{}", info.name))).await;
        Ok(AttachmentDownload {
            info,
            vault: Arc::clone(&self.vault),
            cipher: Arc::clone(&loaded.snapshot.cipher),
            database: meta.database,
            chunks: meta.chunks,
            next: 0,
        })
    }

    /// Removes an attachment from an entry the caller may modify.
    pub async fn delete_attachment(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        id: AttachmentId,
    ) -> Result<(), CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (entry_meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Modify, "this entry")?;
        let db = &loaded.snapshot.database;
        let name = match self.vault.attachment(db.id, entry, id).await? {
            Some(meta) => document_name(&loaded.snapshot.cipher, &meta),
            None => return Err(CoreError::not_found("attachment")),
        };
        if !self.vault.delete_attachment(db.id, entry, id).await? {
            return Err(CoreError::not_found("attachment"));
        }
        let document = format!("{}/{name}", entry_label(&loaded, &entry_meta));
        self.audit().note(in_database(503, caller, db).object(id, document)).await;
        Ok(())
    }

    async fn attachment_info(
        &self,
        cipher: &DatabaseCipher,
        meta: &AttachmentMeta,
    ) -> Result<AttachmentInfo, CoreError> {
        let name = cipher.open_attachment_name(meta.entry, meta.id, &meta.sealed_name).map_err(undecryptable)?;
        Ok(AttachmentInfo {
            id: meta.id,
            entry: meta.entry,
            name,
            size: meta.size,
            author: meta.author,
            author_name: self.account_name(meta.author).await?,
            created_at: meta.created_at,
        })
    }
}

/// An attachment's name for the log; one that does not open is named by its id.
fn document_name(cipher: &DatabaseCipher, meta: &AttachmentMeta) -> String {
    cipher
        .open_attachment_name(meta.entry, meta.id, &meta.sealed_name)
        .unwrap_or_else(|_| format!("(document {})", meta.id))
}

/// A file name: 1–255 characters, no control characters, no path separators.
fn attachment_name(name: &str) -> Result<String, CoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_ATTACHMENT_NAME {
        return Err(CoreError::Validation(format!(
            "an attachment's name must have 1 to {MAX_ATTACHMENT_NAME} characters"
        )));
    }
    if name.chars().any(|c| c.is_control() || c == '/' || c == '\\') || name == "." || name == ".." {
        return Err(CoreError::Validation(
            "an attachment's name must not contain control characters or path separators".to_owned(),
        ));
    }
    Ok(name.to_owned())
}
