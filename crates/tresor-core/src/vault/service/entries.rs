//! Entries: list, open, create, change, move, delete, history and restore, and the current TOTP code.
//!
//! Rights (DESIGN §3; seed manual, Permissions): seeing an entry needs access and read; creating one needs add on
//! the folder (or the database, at the root); changing one, or restoring an old version, needs modify; deleting
//! needs delete; moving needs modify on the entry and add on the target.

use std::sync::Arc;

use tresor_crypto::SecretString;

use super::audit::{changed_fields, entry_label, entry_path, in_database};
use super::entry_change::{EntryChange, EntryInput};
use super::listing::EntryCursor;
use super::live::About;
use super::{Focus, Loaded, VaultService, require, undecryptable};
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::{EntryId, FolderId, UserId};
use crate::live::LiveChange;
use crate::permissions::{Object, Permission, PermissionSet};
use crate::store::StoreError;
use crate::vault::{
    Database, EntryBody, EntryMeta, EntryUpdate, FIRST_VERSION, NewEntry, TotpAlgorithm, VersionInfo, WriteCheck,
    check_kind,
};

/// Longest deletion reason, in characters.
pub const MAX_REASON: usize = 1000;

/// An entry as one caller may see it: one version, opened, with the caller's rights.
#[derive(Debug)]
pub struct OpenedEntry {
    pub database: Arc<Database>,
    pub meta: EntryMeta,
    pub folder_path: String,
    pub version: VersionInfo,
    pub author_name: String,
    pub body: EntryBody,
    pub rights: PermissionSet,
    /// Whether the core released the secrets (the seal gate passed, `seals.rs`): an answer shows the password,
    /// secret fields and the TOTP secret only then. Private, so that only the core can say yes.
    revealed: bool,
}

impl OpenedEntry {
    /// Whether this is the entry's current version.
    pub fn is_current(&self) -> bool {
        self.version.version == self.meta.version
    }

    /// Whether its secrets may go out: asked for, and released by the seal gate.
    pub fn revealed(&self) -> bool {
        self.revealed
    }
}

impl VaultService {
    /// Opens the current version of one entry the caller can see, secrets not released (305 when the database
    /// monitors accesses).
    pub async fn entry(&self, caller: &Caller, database: &str, entry: EntryId) -> Result<OpenedEntry, CoreError> {
        self.open_entry(caller, database, entry, false, None).await
    }

    /// Opens the current version of one entry the caller can see; with `reveal`, its secrets are released through
    /// the gate (refused while the entry is sealed for the caller, or without its second password).
    pub async fn open_entry(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        reveal: bool,
        second_password: Option<SecretString>,
    ) -> Result<OpenedEntry, CoreError> {
        let (loaded, mut opened) = self.open_current_loaded(caller, database, entry).await?;
        if reveal {
            self.release(caller, &loaded, &opened.meta, second_password).await?;
            opened.revealed = true;
        }
        self.accessed(caller, &opened, None).await?;
        Ok(opened)
    }

    /// The current version of an entry the caller can see, opened, without recording an access.
    async fn open_current(&self, caller: &Caller, database: &str, entry: EntryId) -> Result<OpenedEntry, CoreError> {
        Ok(self.open_current_loaded(caller, database, entry).await?.1)
    }

    /// [`Self::open_current`] with the load it came from.
    async fn open_current_loaded(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<(Loaded, OpenedEntry), CoreError> {
        let mut loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        let version = loaded.current.clone().ok_or_else(|| CoreError::not_found("entry"))?;
        let body = open_body(&loaded, &meta, version.version, &version.ciphertext)?;
        let info = VersionInfo { version: version.version, author: version.author, created_at: version.created_at };
        let opened = self.opened(&loaded, meta, info, body, rights).await?;
        // Kept for the gate's record, which names the entry by its title.
        loaded.current = Some(version);
        Ok((loaded, opened))
    }

    /// The entries the caller can see in `folder` (`None`: the root; `recursive`: and below it), from `offset`,
    /// at most `limit`, as a cursor that opens them a batch at a time: a listing of any size is never held whole.
    pub async fn list_entries(
        &self,
        caller: &Caller,
        database: &str,
        folder: Option<FolderId>,
        recursive: bool,
        offset: u32,
        limit: u32,
    ) -> Result<EntryCursor, CoreError> {
        let loaded = self.load(caller, database, Focus::Whole).await?;
        if folder.is_some() {
            loaded.container(folder)?;
        }
        self.note_opened(caller, &loaded.snapshot.database).await;
        let in_scope = |f: Option<FolderId>| if recursive { loaded.is_inside(f, folder) } else { f == folder };
        let visible: Vec<EntryId> = loaded
            .resolver()
            .visible_entries()
            .into_iter()
            .filter(|id| loaded.entry(*id).is_some_and(|m| in_scope(m.folder)))
            .collect();
        let total = visible.len() as u64;
        let pending = visible.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok(EntryCursor { reader: self.reader.clone(), loaded, pending, total })
    }

    /// Creates an entry in a folder (or at the root) where the caller may add.
    pub async fn create_entry(
        &self,
        caller: &Caller,
        database: &str,
        input: EntryInput,
    ) -> Result<OpenedEntry, CoreError> {
        let loaded = self.load(caller, database, Focus::Folders).await?;
        let rights = loaded.container(input.folder)?;
        require(rights, Permission::Add, "this folder")?;
        self.check_entry_type_allowed(input.body.kind).await?;
        let id = EntryId::random();
        let ciphertext = loaded.snapshot.cipher.seal_entry(id, FIRST_VERSION, &input.body)?;
        let now = self.clock.now();
        self.placement_changed(loaded.snapshot.database.id);
        let meta = self
            .vault
            .insert_entry(&NewEntry {
                id,
                database: loaded.snapshot.database.id,
                folder: input.folder,
                kind: input.body.kind,
                ciphertext,
                author: caller.user_id(),
                at: now,
            })
            .await;
        self.placement_changed(loaded.snapshot.database.id);
        let meta = meta?;
        let info = VersionInfo { version: meta.version, author: caller.user_id(), created_at: now };
        let rights = self.rights_after_write(caller, &loaded.snapshot.database, meta).await?;
        let opened = self.opened(&loaded, meta, info, input.body, rights).await?;
        let path = entry_path(&opened.folder_path, &opened.body.title);
        self.audit().note(in_database(304, caller, &loaded.snapshot.database).object(id, path)).await;
        let about = About::Entry { entry: id, folder: meta.folder, version: Some(meta.version) };
        self.publish(Some(&caller.user.account), LiveChange::EntryCreated, Some(meta.database), about);
        Ok(opened)
    }

    /// Changes an entry the caller may modify: a new version from the current one with `change` applied.
    pub async fn update_entry(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        change: EntryChange,
    ) -> Result<OpenedEntry, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (_, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Modify, "this entry")?;
        let (meta, current) = self
            .vault
            .current_entry(loaded.snapshot.database.id, entry)
            .await?
            .ok_or_else(|| CoreError::not_found("entry"))?;
        precondition(change.if_match, meta.version)?;
        if let Some(expected) = change.expected_version
            && expected != meta.version
        {
            return Err(stale(meta.version));
        }
        let mut body = open_body(&loaded, &meta, current.version, &current.ciphertext)?;
        let changed = changed_fields(&change).join(", ");
        let if_match = change.if_match;
        change.apply(&mut body)?;
        self.write_version(caller, &loaded, meta, body, rights, changed, if_match).await
    }

    /// Writes `body` as the version after `meta.version` (303; `what` says what the new version changed).
    #[allow(clippy::too_many_arguments)] // The write's whole context: one private step of two use cases.
    async fn write_version(
        &self,
        caller: &Caller,
        loaded: &Loaded,
        meta: EntryMeta,
        body: EntryBody,
        rights: PermissionSet,
        what: String,
        if_match: Option<u32>,
    ) -> Result<OpenedEntry, CoreError> {
        let next = meta.version.checked_add(1).ok_or_else(|| CoreError::Conflict("too many versions".into()))?;
        let ciphertext = loaded.snapshot.cipher.seal_entry(meta.id, next, &body)?;
        let now = self.clock.now();
        let update = EntryUpdate {
            database: loaded.snapshot.database.id,
            entry: meta.id,
            expected_version: meta.version,
            ciphertext,
            author: caller.user_id(),
            session: caller.session_id(),
            at: now,
        };
        self.entry_changed(meta.id);
        let written = self.vault.update_entry(&update).await;
        self.entry_changed(meta.id);
        let meta = self.written(written, if_match).await?;
        let info = VersionInfo { version: meta.version, author: caller.user_id(), created_at: now };
        let opened = self.opened(loaded, meta, info, body, rights).await?;
        let path = entry_path(&opened.folder_path, &opened.body.title);
        let event = in_database(303, caller, &loaded.snapshot.database).object(meta.id, path);
        self.audit().note(event.new_object(format!("version {}: {what}", meta.version))).await;
        let about = About::Entry { entry: meta.id, folder: meta.folder, version: Some(meta.version) };
        self.publish(Some(&caller.user.account), LiveChange::EntryChanged, Some(meta.database), about);
        Ok(opened)
    }

    /// Deletes an entry (with its history and attachments). When the database asks for a reason (Database
    /// Properties → Advanced), a deletion without one is refused.
    pub async fn delete_entry(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        reason: Option<&str>,
        if_match: Option<u32>,
    ) -> Result<(), CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Delete, "this entry")?;
        precondition(if_match, meta.version)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if loaded.snapshot.database.settings.reason_required_on_delete && reason.is_none() {
            return Err(CoreError::ReasonRequired);
        }
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON || r.chars().any(char::is_control)) {
            return Err(CoreError::Validation(format!(
                "the reason must be one line of at most {MAX_REASON} characters"
            )));
        }
        self.entry_changed(entry);
        self.placement_changed(loaded.snapshot.database.id);
        let check = self.write_check(caller, if_match);
        let deleted = self.vault.delete_entry(loaded.snapshot.database.id, entry, &check).await;
        self.entry_changed(entry);
        self.placement_changed(loaded.snapshot.database.id);
        if !self.written(deleted, if_match).await? {
            return Err(CoreError::not_found("entry"));
        }
        let event = in_database(306, caller, &loaded.snapshot.database).object(entry, entry_label(&loaded, &meta));
        self.audit().note(event.maybe_reason(reason)).await;
        let about = About::Entry { entry, folder: meta.folder, version: None };
        self.publish(Some(&caller.user.account), LiveChange::EntryDeleted, Some(meta.database), about);
        Ok(())
    }

    /// Moves an entry to another folder of its database (`None`: the root).
    pub async fn move_entry(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        folder: Option<FolderId>,
        if_match: Option<u32>,
    ) -> Result<OpenedEntry, CoreError> {
        let mut loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Modify, "this entry")?;
        precondition(if_match, meta.version)?;
        require(loaded.container(folder)?, Permission::Add, "the target folder")?;
        let version = loaded.current.take().ok_or_else(|| CoreError::not_found("entry"))?;
        let body = open_body(&loaded, &meta, version.version, &version.ciphertext)?;
        self.entry_changed(entry);
        self.placement_changed(loaded.snapshot.database.id);
        let check = self.write_check(caller, if_match);
        let moved = self.vault.move_entry(loaded.snapshot.database.id, entry, folder, &check).await;
        self.entry_changed(entry);
        self.placement_changed(loaded.snapshot.database.id);
        self.written(moved, if_match).await?;
        let from = entry_path(&loaded.folder_path(meta.folder), &body.title);
        let to = entry_path(&loaded.folder_path(folder), &body.title);
        let event = in_database(307, caller, &loaded.snapshot.database).object(entry, from);
        self.audit().note(event.new_object(to)).await;
        let about = About::Entry { entry, folder, version: Some(meta.version) };
        self.publish(Some(&caller.user.account), LiveChange::EntryMoved, Some(meta.database), about);
        match self.open_current(caller, &loaded.snapshot.database.id.to_string(), entry).await {
            // Moved where the caller cannot see it (add there, but not read): the move stands, and the answer is
            // the entry the caller just had, in its new place, with no rights left on it.
            Err(CoreError::NotFound { .. }) => {
                let info =
                    VersionInfo { version: version.version, author: version.author, created_at: version.created_at };
                let mut opened =
                    self.opened(&loaded, EntryMeta { folder, ..meta }, info, body, PermissionSet::EMPTY).await?;
                opened.folder_path = loaded.folder_path(folder);
                Ok(opened)
            }
            answer => answer,
        }
    }

    /// An entry's versions, newest first.
    pub async fn history(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<(EntryMeta, Vec<(VersionInfo, String)>), CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, _) = loaded.visible_entry(entry)?;
        let versions = self.vault.entry_versions(loaded.snapshot.database.id, entry).await?;
        let mut out = Vec::with_capacity(versions.len());
        let mut names = std::collections::HashMap::new();
        for v in versions {
            let name = match names.get(&v.author) {
                Some(n) => String::clone(n),
                None => {
                    let n = self.account_name(v.author).await?;
                    names.insert(v.author, n.clone());
                    n
                }
            };
            out.push((v, name));
        }
        Ok((meta, out))
    }

    /// One version of an entry, opened, secrets not released.
    pub async fn entry_version(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        version: u32,
    ) -> Result<OpenedEntry, CoreError> {
        self.open_version(caller, database, entry, version, false, None).await
    }

    /// One version of an entry, opened; with `reveal`, its secrets are released through the gate.
    pub async fn open_version(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        version: u32,
        reveal: bool,
        second_password: Option<SecretString>,
    ) -> Result<OpenedEntry, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        let stored = self
            .vault
            .entry_version(loaded.snapshot.database.id, entry, version)
            .await?
            .ok_or_else(|| CoreError::not_found("version"))?;
        let body = open_body(&loaded, &meta, stored.version, &stored.ciphertext)?;
        let info = VersionInfo { version: stored.version, author: stored.author, created_at: stored.created_at };
        let mut opened = self.opened(&loaded, meta, info, body, rights).await?;
        if reveal {
            self.release(caller, &loaded, &meta, second_password).await?;
            opened.revealed = true;
        }
        self.accessed(caller, &opened, Some(format!("version {}", stored.version))).await?;
        Ok(opened)
    }

    /// Makes an old version's contents current again, as a new version (history is never rewritten).
    pub async fn restore_version(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        version: u32,
        if_match: Option<u32>,
    ) -> Result<OpenedEntry, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Modify, "this entry")?;
        precondition(if_match, meta.version)?;
        let stored = self
            .vault
            .entry_version(loaded.snapshot.database.id, entry, version)
            .await?
            .ok_or_else(|| CoreError::not_found("version"))?;
        let body = open_body(&loaded, &meta, stored.version, &stored.ciphertext)?;
        let what = format!("restored from version {version}");
        self.write_version(caller, &loaded, meta, body, rights, what, if_match).await
    }

    /// The entry's current TOTP code and the seconds it stays valid.
    pub async fn totp_code(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<(SecretString, u32, u32), CoreError> {
        self.totp_code_with(caller, database, entry, None).await
    }

    /// [`Self::totp_code`], giving the entry's second password when it has one.
    pub async fn totp_code_with(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        second_password: Option<SecretString>,
    ) -> Result<(SecretString, u32, u32), CoreError> {
        let (loaded, opened) = self.open_current_loaded(caller, database, entry).await?;
        let totp = opened.body.totp.as_ref().ok_or_else(|| CoreError::not_found("TOTP secret on this entry"))?;
        // A code is the secret's work: it is released only as the secret would be.
        self.release(caller, &loaded, &opened.meta, second_password).await?;
        let key = tresor_crypto::totp::base32_decode(totp.expose_secret())
            .ok_or_else(|| CoreError::Undecryptable("the stored TOTP secret is not base32".into()))?;
        let hash = match totp.algorithm {
            TotpAlgorithm::Sha1 => tresor_crypto::totp::OtpHash::Sha1,
            TotpAlgorithm::Sha256 => tresor_crypto::totp::OtpHash::Sha256,
            TotpAlgorithm::Sha512 => tresor_crypto::totp::OtpHash::Sha512,
        };
        let secs = u64::try_from(self.clock.now().as_millis() / 1000).unwrap_or(0);
        let (code, remaining) = tresor_crypto::totp::totp(&key, secs, totp.period_secs, u32::from(totp.digits), hash)?;
        self.accessed(caller, &opened, Some("TOTP code".to_owned())).await?;
        Ok((SecretString::new(code.to_string()), totp.period_secs, remaining))
    }

    /// What the store checks a move or delete against: the caller's session (locks) and the `If-Match` version.
    fn write_check(&self, caller: &Caller, if_match: Option<u32>) -> WriteCheck {
        WriteCheck { session: caller.session_id(), expected_version: if_match, at: self.clock.now() }
    }

    /// A store's answer to a write in the caller's terms: a lock named by its holder, and a version that moved on
    /// as a failed precondition when the caller named the version with `If-Match`.
    async fn written<T>(&self, answer: Result<T, StoreError>, if_match: Option<u32>) -> Result<T, CoreError> {
        match answer {
            Err(StoreError::StaleVersion { current }) if if_match.is_some() => {
                Err(CoreError::PreconditionFailed { current })
            }
            other => self.named_refusal(other).await,
        }
    }

    /// The rights on an entry just written, resolved again (an entry's own grants do not exist yet at creation).
    async fn rights_after_write(
        &self,
        caller: &Caller,
        database: &Database,
        meta: EntryMeta,
    ) -> Result<PermissionSet, CoreError> {
        let snapshot = self.snapshot_of(database.clone()).await?;
        let loaded = self.load_as(caller, snapshot, Focus::Entry(meta.id)).await?;
        Ok(loaded.resolver().rights(Object::Entry(meta.id)))
    }

    /// An author's account name, for display (cached like the rest; a rename shows within the cache's lifetime).
    pub(super) async fn account_name(&self, user: UserId) -> Result<String, CoreError> {
        let now = self.clock.now();
        if let Some(name) = self.cache.account(user, now) {
            return Ok(name);
        }
        let name = self.store.user(user).await?.map_or_else(|| format!("(deleted user {user})"), |u| u.account);
        self.cache.put_account(user, name.clone(), now);
        Ok(name)
    }

    async fn opened(
        &self,
        loaded: &Loaded,
        meta: EntryMeta,
        version: VersionInfo,
        body: EntryBody,
        rights: PermissionSet,
    ) -> Result<OpenedEntry, CoreError> {
        Ok(OpenedEntry {
            database: Arc::clone(&loaded.snapshot.database),
            folder_path: loaded.folder_path(meta.folder),
            author_name: self.account_name(version.author).await?,
            meta,
            version,
            body,
            rights,
            revealed: false,
        })
    }
}

/// Opens one version's ciphertext and checks it is of the entry's type.
pub(super) fn open_body(
    loaded: &Loaded,
    meta: &EntryMeta,
    version: u32,
    ciphertext: &[u8],
) -> Result<EntryBody, CoreError> {
    let body = loaded.snapshot.cipher.open_entry(meta.id, version, ciphertext).map_err(undecryptable)?;
    check_kind(meta, &body).map_err(undecryptable)?;
    Ok(body)
}

fn stale(current: u32) -> CoreError {
    CoreError::Stale { current }
}

/// Refuses a write whose `If-Match` names another version than the current one.
fn precondition(if_match: Option<u32>, current: u32) -> Result<(), CoreError> {
    match if_match {
        Some(expected) if expected != current => Err(CoreError::PreconditionFailed { current }),
        _ => Ok(()),
    }
}
