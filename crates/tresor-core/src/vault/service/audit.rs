//! What the vault writes to the server log (seed manual, Event IDs): databases listed (103) and opened (203),
//! entries created (304), changed (303), moved (307), deleted (306) and — when the database monitors accesses —
//! accessed (305), folders created (404), changed (403) and deleted (405), documents received (501), sent (502)
//! and deleted (503), and the administration of databases (6xx).
//!
//! Entries are named by their path (`Folder/Sub/Title`), folders by theirs, documents by the entry's path and the
//! file name. Field values are never written.

use super::entries::OpenedEntry;
use super::entry_change::EntryChange;
use super::{Loaded, VaultService};
use crate::audit::{AuditEvent, AuditLog};
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::EntryId;
use crate::vault::{Database, EntryMeta};

/// An entry's path: its folder's path and its title (`Title` at the root).
pub(super) fn entry_path(folder_path: &str, title: &str) -> String {
    if folder_path.is_empty() { title.to_owned() } else { format!("{folder_path}/{title}") }
}

/// The path of an entry the load read, from its current version; an entry that does not open is named by its id.
pub(super) fn entry_label(loaded: &Loaded, meta: &EntryMeta) -> String {
    let title = loaded
        .current
        .as_ref()
        .filter(|v| v.entry == meta.id)
        .and_then(|v| loaded.snapshot.cipher.open_entry(meta.id, v.version, &v.ciphertext).ok())
        .map(|body| body.title.clone());
    match title {
        Some(title) => entry_path(&loaded.folder_path(meta.folder), &title),
        None => damaged(meta.id),
    }
}

/// How a record names an entry whose title cannot be read.
pub(super) fn damaged(id: EntryId) -> String {
    format!("(entry {id})")
}

/// An event of `caller` in `database`.
pub(super) fn in_database(event: u16, caller: &Caller, database: &Database) -> AuditEvent {
    AuditEvent::new(event).by(caller).database(database.id, database.name.clone())
}

/// The names of what a change sets, for the record of the new version.
pub(super) fn changed_fields(change: &EntryChange) -> Vec<String> {
    let named = [
        ("title", change.title.is_some()),
        ("user name", change.username.is_some()),
        ("password", change.password.is_some()),
        ("URL", change.url.is_some()),
        ("notes", change.notes.is_some()),
        ("tags", change.tags.is_some()),
        ("expiry", change.expires.is_some()),
        ("custom fields", change.custom.is_some()),
        ("TOTP", change.totp.is_some()),
    ];
    named
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name.to_owned())
        .chain(change.fields.iter().map(|(name, _)| name.clone()))
        .collect()
}

impl VaultService {
    pub(super) fn audit(&self) -> &AuditLog {
        self.auth.audit()
    }

    /// 305, "An entry was accessed", when the entry's database monitors accesses (Database Properties →
    /// Advanced). Recorded before anything of the entry is handed out, and fails closed: when the record cannot
    /// be written, the caller gets [`CoreError::AuditUnavailable`] instead of the entry.
    pub(super) async fn accessed(
        &self,
        caller: &Caller,
        opened: &OpenedEntry,
        detail: Option<String>,
    ) -> Result<(), CoreError> {
        if !opened.database.settings.monitor_accesses {
            return Ok(());
        }
        let path = entry_path(&opened.folder_path, &opened.body.title);
        let mut event = in_database(305, caller, &opened.database).object(opened.meta.id, path);
        event.new_object = detail;
        self.audit().record(event).await.map(drop)
    }

    /// 203, "A database was opened by a user", the first time a session opens or lists a database (the moment it
    /// joins the database's connections in Database Properties); `true` then.
    pub(super) async fn note_opened(&self, caller: &Caller, database: &Database) -> bool {
        if !self.record_connection(caller, database.id) {
            return false;
        }
        self.audit().note(in_database(203, caller, database)).await;
        true
    }
}
