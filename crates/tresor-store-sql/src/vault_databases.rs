//! Databases: their records, the listing with counts and last access, and the per-database turn-taking of
//! structural writes.

use sqlx::{Any, Transaction};
use tresor_core::accounts::name_key;
use tresor_core::vault::{Database, DatabaseListing};
use tresor_core::{DatabaseId, StoreError, Timestamp};

use crate::error::{GENERIC, Names};
use crate::rows::flag;
use crate::vault_rows::{self, database_columns};
use crate::{Engine, SqlStore};

const DATABASE: Names = Names { duplicate: "a database with this name", missing: "database" };

/// Makes structural writes in one database (folders created, moved or deleted; entries created or moved) take
/// turns, so that a check (a folder is empty, a move makes no cycle) and the write after it see the same tree.
/// SQLite's write transactions ([`SqlStore::begin_write`]) take turns already; PostgreSQL locks the database's
/// row. Fails with [`StoreError::NotFound`] when the database does not exist.
pub(crate) async fn lock_database(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    database: DatabaseId,
) -> Result<(), StoreError> {
    let statement = match store.engine {
        Engine::Sqlite => "SELECT id FROM databases WHERE id = $1",
        Engine::Postgres => "SELECT id FROM databases WHERE id = $1 FOR UPDATE",
    };
    let found = sqlx::query(statement)
        .bind(database.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(store.fail(GENERIC))?;
    found.map(|_| ()).ok_or_else(|| StoreError::NotFound("database".to_owned()))
}

pub(crate) async fn insert_database(store: &SqlStore, d: &Database) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO databases (id, name, name_key, comments, wrapped_key, monitor_accesses, \
         reason_required_on_delete, custom_password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(d.id.to_string())
    .bind(d.name.as_str())
    .bind(name_key(&d.name))
    .bind(d.comments.as_str())
    .bind(d.wrapped_key.clone())
    .bind(flag(d.settings.monitor_accesses))
    .bind(flag(d.settings.reason_required_on_delete))
    .bind(d.settings.custom_password_hash.clone())
    .bind(d.created_at.as_millis())
    .bind(d.updated_at.as_millis())
    .execute(store.pool())
    .await
    .map_err(store.fail(DATABASE))?;
    Ok(())
}

pub(crate) async fn database(store: &SqlStore, id: DatabaseId) -> Result<Option<Database>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", database_columns!(), " FROM databases d WHERE d.id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(vault_rows::database).transpose()
}

pub(crate) async fn database_by_name(store: &SqlStore, name: &str) -> Result<Option<Database>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", database_columns!(), " FROM databases d WHERE d.name_key = $1"))
        .bind(name_key(name))
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(vault_rows::database).transpose()
}

/// A database with its figures: entries, bytes stored (every version and attachment chunk), last change and access.
macro_rules! listing_select {
    () => {
        concat!(
            "SELECT ",
            database_columns!(),
            ", (SELECT COUNT(*) FROM entries e WHERE e.database_id = d.id) AS entry_count, \
             (SELECT CAST(COALESCE(SUM(LENGTH(v.ciphertext)), 0) AS BIGINT) FROM entry_versions v \
              JOIN entries e ON e.id = v.entry_id WHERE e.database_id = d.id) \
             + (SELECT CAST(COALESCE(SUM(LENGTH(c.ciphertext)), 0) AS BIGINT) FROM attachment_chunks c \
              JOIN attachments a ON a.id = c.attachment_id WHERE a.database_id = d.id) AS size_bytes, \
             (SELECT MAX(e.updated_at) FROM entries e WHERE e.database_id = d.id) AS last_entry_change, \
             d.last_accessed_at FROM databases d"
        )
    };
}

pub(crate) async fn list_databases(store: &SqlStore) -> Result<Vec<DatabaseListing>, StoreError> {
    let rows = sqlx::query(concat!(listing_select!(), " ORDER BY d.name_key"))
        .fetch_all(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    rows.iter().map(database_listing_row).collect()
}

pub(crate) async fn database_listing(store: &SqlStore, id: DatabaseId) -> Result<Option<DatabaseListing>, StoreError> {
    let row = sqlx::query(concat!(listing_select!(), " WHERE d.id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(database_listing_row).transpose()
}

fn database_listing_row(row: &sqlx::any::AnyRow) -> Result<DatabaseListing, StoreError> {
    let database = vault_rows::database(row)?;
    let activity = vault_rows::database_activity(row)?;
    let last_modified = activity.last_entry_change.map_or(database.updated_at, |t| t.max(database.updated_at));
    Ok(DatabaseListing {
        database,
        entries: activity.entries,
        size_bytes: activity.size_bytes,
        last_modified,
        last_accessed: activity.last_accessed,
    })
}

pub(crate) async fn update_database(store: &SqlStore, d: &Database) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE databases SET name = $2, name_key = $3, comments = $4, monitor_accesses = $5, \
         reason_required_on_delete = $6, custom_password_hash = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(d.id.to_string())
    .bind(d.name.as_str())
    .bind(name_key(&d.name))
    .bind(d.comments.as_str())
    .bind(flag(d.settings.monitor_accesses))
    .bind(flag(d.settings.reason_required_on_delete))
    .bind(d.settings.custom_password_hash.clone())
    .bind(d.updated_at.as_millis())
    .execute(store.pool())
    .await
    .map_err(store.fail(DATABASE))?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("database".to_owned()));
    }
    Ok(())
}

/// Folders, entries, versions and grants go with it (ON DELETE CASCADE).
pub(crate) async fn delete_database(store: &SqlStore, id: DatabaseId) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM databases WHERE id = $1")
        .bind(id.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

pub(crate) async fn count_databases(store: &SqlStore) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM databases")
        .fetch_one(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Only ever moves the time forward: two nodes recording accesses out of order keep the later one.
pub(crate) async fn touch_database(store: &SqlStore, id: DatabaseId, at: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE databases SET last_accessed_at = $2 \
         WHERE id = $1 AND (last_accessed_at IS NULL OR last_accessed_at < $2)",
    )
    .bind(id.to_string())
    .bind(at.as_millis())
    .execute(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    Ok(())
}
