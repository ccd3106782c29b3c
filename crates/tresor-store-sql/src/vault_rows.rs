//! Decoding the vault's rows into its records, the column lists the queries select, and the storage forms of
//! grant objects, subjects and settings.
//!
//! As in [`rows`](crate::rows), a value the domain cannot accept is [`StoreError::Corrupt`], never skipped: a
//! grant row that cannot be read would otherwise silently change someone's rights.

use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;
use tresor_core::permissions::{Grant, Object, Permission, PolicyState, Setting, Subject};
use tresor_core::vault::{AttachmentMeta, Database, DatabaseSettings, EntryMeta, EntryType, EntryVersion, Folder};
use tresor_core::{DatabaseId, StoreError, Timestamp};

use crate::error::corrupt;

/// The columns of `databases` that [`database`] reads.
macro_rules! database_columns {
    () => {
        "d.id, d.name, d.comments, d.wrapped_key, d.monitor_accesses, d.reason_required_on_delete, \
         d.custom_password_hash, d.created_at, d.updated_at"
    };
}
pub(crate) use database_columns;

/// The columns of `folders` that [`folder`] reads.
macro_rules! folder_columns {
    () => {
        "id, database_id, parent_id, sealed_name, created_at, updated_at"
    };
}
pub(crate) use folder_columns;

/// The columns of `entries` (aliased `e`) that [`entry_meta`] reads.
macro_rules! entry_columns {
    () => {
        "e.id, e.database_id, e.folder_id, e.kind, e.version, e.created_at, e.updated_at"
    };
}
pub(crate) use entry_columns;

/// The columns of `attachments` (aliased `a`) that [`attachment`] reads.
macro_rules! attachment_columns {
    () => {
        "a.id, a.database_id, a.entry_id, a.sealed_name, a.size, a.chunks, a.author_id, a.created_at"
    };
}
pub(crate) use attachment_columns;

/// Reads one row's columns; the table and the row's id name what is wrong in errors, never the value.
pub(crate) struct Cols<'r> {
    row: &'r AnyRow,
    table: &'static str,
    id: String,
}

impl<'r> Cols<'r> {
    pub(crate) fn new(row: &'r AnyRow, table: &'static str, id_column: &str) -> Self {
        let id = row.try_get::<String, _>(id_column).unwrap_or_else(|_| "?".to_owned());
        Self { row, table, id }
    }
    pub(crate) fn bad(&self, column: &str) -> StoreError {
        corrupt(self.table, column, &self.id)
    }
    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        self.row.try_get::<String, _>(column).map_err(|_| self.bad(column))
    }
    fn optional_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.row.try_get::<Option<String>, _>(column).map_err(|_| self.bad(column))
    }
    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.row.try_get::<i64, _>(column).map_err(|_| self.bad(column))
    }
    fn optional_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.row.try_get::<Option<i64>, _>(column).map_err(|_| self.bad(column))
    }
    fn optional_time(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.optional_int(column)?.map(Timestamp::from_millis))
    }
    fn count(&self, column: &str) -> Result<u64, StoreError> {
        u64::try_from(self.int(column)?).map_err(|_| self.bad(column))
    }
    fn blob(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        self.row.try_get::<Vec<u8>, _>(column).map_err(|_| self.bad(column))
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        match self.int(column)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.bad(column)),
        }
    }
    fn time(&self, column: &str) -> Result<Timestamp, StoreError> {
        self.int(column).map(Timestamp::from_millis)
    }
    pub(crate) fn u32(&self, column: &str) -> Result<u32, StoreError> {
        u32::try_from(self.int(column)?).map_err(|_| self.bad(column))
    }
    pub(crate) fn parsed<T: FromStr>(&self, column: &str) -> Result<T, StoreError> {
        self.text(column)?.parse().map_err(|_| self.bad(column))
    }
    fn optional_parsed<T: FromStr>(&self, column: &str) -> Result<Option<T>, StoreError> {
        self.optional_text(column)?.map(|t| t.parse().map_err(|_| self.bad(column))).transpose()
    }
}

pub(crate) fn database(row: &AnyRow) -> Result<Database, StoreError> {
    let r = Cols::new(row, "databases", "id");
    Ok(Database {
        id: r.parsed("id")?,
        name: r.text("name")?,
        comments: r.text("comments")?,
        wrapped_key: r.blob("wrapped_key")?,
        settings: DatabaseSettings {
            monitor_accesses: r.flag("monitor_accesses")?,
            reason_required_on_delete: r.flag("reason_required_on_delete")?,
            custom_password_hash: r.optional_text("custom_password_hash")?,
        },
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// What the listing adds to a database row: its computed columns and its last access.
pub(crate) struct DatabaseActivity {
    pub(crate) entries: u64,
    pub(crate) size_bytes: u64,
    pub(crate) last_entry_change: Option<Timestamp>,
    pub(crate) last_accessed: Option<Timestamp>,
}

pub(crate) fn database_activity(row: &AnyRow) -> Result<DatabaseActivity, StoreError> {
    let r = Cols::new(row, "databases", "id");
    Ok(DatabaseActivity {
        entries: r.count("entry_count")?,
        size_bytes: r.count("size_bytes")?,
        last_entry_change: r.optional_time("last_entry_change")?,
        last_accessed: r.optional_time("last_accessed_at")?,
    })
}

pub(crate) fn folder(row: &AnyRow) -> Result<Folder, StoreError> {
    let r = Cols::new(row, "folders", "id");
    Ok(Folder {
        id: r.parsed("id")?,
        database: r.parsed("database_id")?,
        parent: r.optional_parsed("parent_id")?,
        sealed_name: r.blob("sealed_name")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) fn entry_meta(row: &AnyRow) -> Result<EntryMeta, StoreError> {
    let r = Cols::new(row, "entries", "id");
    Ok(EntryMeta {
        id: r.parsed("id")?,
        database: r.parsed("database_id")?,
        folder: r.optional_parsed("folder_id")?,
        kind: EntryType::from_name(&r.text("kind")?).ok_or_else(|| r.bad("kind"))?,
        version: r.u32("version")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// A version row; `created_column` names its creation time (joins rename it).
pub(crate) fn entry_version(row: &AnyRow, created_column: &str) -> Result<EntryVersion, StoreError> {
    let r = Cols::new(row, "entry_versions", "entry_id");
    Ok(EntryVersion {
        entry: r.parsed("entry_id")?,
        version: r.u32("version")?,
        ciphertext: r.blob("ciphertext")?,
        author: r.parsed("author_id")?,
        created_at: r.time(created_column)?,
    })
}

pub(crate) fn attachment(row: &AnyRow) -> Result<AttachmentMeta, StoreError> {
    let r = Cols::new(row, "attachments", "id");
    Ok(AttachmentMeta {
        id: r.parsed("id")?,
        database: r.parsed("database_id")?,
        entry: r.parsed("entry_id")?,
        sealed_name: r.blob("sealed_name")?,
        size: r.count("size")?,
        chunks: r.u32("chunks")?,
        author: r.parsed("author_id")?,
        created_at: r.time("created_at")?,
    })
}

pub(crate) fn grant(row: &AnyRow, database: DatabaseId) -> Result<Grant, StoreError> {
    let r = Cols::new(row, "grants", "object_key");
    let object = match r.text("object_key")?.split_once(':') {
        None => Object::Database(database),
        Some(("folder", id)) => Object::Folder(id.parse().map_err(|_| r.bad("object_key"))?),
        Some(("entry", id)) => Object::Entry(id.parse().map_err(|_| r.bad("object_key"))?),
        Some(_) => return Err(r.bad("object_key")),
    };
    let subject = match r.text("subject_key")?.split_once(':') {
        Some(("user", id)) => Subject::User(id.parse().map_err(|_| r.bad("subject_key"))?),
        Some(("group", id)) => Subject::Group(id.parse().map_err(|_| r.bad("subject_key"))?),
        _ => return Err(r.bad("subject_key")),
    };
    let setting = match r.text("setting")?.as_str() {
        "allow" => Setting::Allow,
        "deny" => Setting::Deny,
        _ => return Err(r.bad("setting")),
    };
    Ok(Grant {
        object,
        subject,
        permission: Permission::from_name(&r.text("permission")?).ok_or_else(|| r.bad("permission"))?,
        setting,
        valid_from: r.optional_int("valid_from")?.map(Timestamp::from_millis),
        valid_to: r.optional_int("valid_to")?.map(Timestamp::from_millis),
    })
}

/// The storage key of a grant's object: `database`, `folder:<id>` or `entry:<id>`.
pub(crate) fn object_key(object: Object) -> String {
    match object {
        Object::Database(_) => "database".to_owned(),
        Object::Folder(id) => format!("folder:{id}"),
        Object::Entry(id) => format!("entry:{id}"),
    }
}

/// The storage key of a grant's subject: `user:<id>` or `group:<id>`.
pub(crate) fn subject_key(subject: Subject) -> String {
    match subject {
        Subject::User(id) => format!("user:{id}"),
        Subject::Group(id) => format!("group:{id}"),
    }
}

pub(crate) fn policy_state_name(state: PolicyState) -> &'static str {
    match state {
        PolicyState::Undefined => "undefined",
        PolicyState::Enabled => "enabled",
        PolicyState::Disabled => "disabled",
    }
}

pub(crate) fn policy_state(name: &str) -> Option<PolicyState> {
    [PolicyState::Undefined, PolicyState::Enabled, PolicyState::Disabled]
        .into_iter()
        .find(|s| policy_state_name(*s) == name)
}
