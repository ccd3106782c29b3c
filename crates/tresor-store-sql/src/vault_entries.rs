//! Entries and their history: an entry row that names its current version, and one row per version holding
//! that version's ciphertext. Updates are optimistic: they name the version they started from.

use tresor_core::vault::{EntryMeta, EntryUpdate, EntryVersion, FIRST_VERSION, NewEntry, VersionInfo, WriteCheck};
use tresor_core::{DatabaseId, EntryId, FolderId, StoreError, Timestamp};

use crate::SqlStore;
use crate::error::{GENERIC, Names};
use crate::vault_databases::lock_database;
use crate::vault_locks::{lock_entry_row, refuse_if_locked};
use crate::vault_rows::{self, Cols, entry_columns};

const ENTRY: Names = Names { duplicate: "an entry with this id", missing: "folder" };
const VERSION: Names = Names { duplicate: "this version of the entry", missing: "entry" };

pub(crate) async fn insert_entry(store: &SqlStore, e: &NewEntry) -> Result<EntryMeta, StoreError> {
    let mut tx = store.begin_write().await?;
    lock_database(store, &mut tx, e.database).await?;
    sqlx::query(
        "INSERT INTO entries (id, database_id, folder_id, kind, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(e.id.to_string())
    .bind(e.database.to_string())
    .bind(e.folder.map(|f| f.to_string()))
    .bind(e.kind.name())
    .bind(i64::from(FIRST_VERSION))
    .bind(e.at.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(store.fail(ENTRY))?;
    insert_version(store, &mut tx, e.id, FIRST_VERSION, &e.ciphertext, e.author.to_string(), e.at).await?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(EntryMeta {
        id: e.id,
        database: e.database,
        folder: e.folder,
        kind: e.kind,
        version: FIRST_VERSION,
        created_at: e.at,
        updated_at: e.at,
    })
}

async fn insert_version(
    store: &SqlStore,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    entry: EntryId,
    version: u32,
    ciphertext: &[u8],
    author: String,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO entry_versions (entry_id, version, ciphertext, author_id, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.to_string())
    .bind(i64::from(version))
    .bind(ciphertext.to_vec())
    .bind(author)
    .bind(at.as_millis())
    .execute(&mut **tx)
    .await
    .map_err(store.fail(VERSION))?;
    Ok(())
}

/// The entry's row is locked first: concurrent updates, lock takers and deletes of one entry take turns on it, and
/// each then checks the version (compare-and-set) and the lock against what the one before it committed.
pub(crate) async fn update_entry(store: &SqlStore, u: &EntryUpdate) -> Result<EntryMeta, StoreError> {
    let new_version = u.new_version().ok_or_else(|| StoreError::Other("the entry has too many versions".to_owned()))?;
    let mut tx = store.begin_write().await?;
    let check = WriteCheck { session: u.session, expected_version: Some(u.expected_version), at: u.at };
    checked_write(store, &mut tx, u.database, u.entry, &check).await?;
    sqlx::query("UPDATE entries SET version = $3, updated_at = $4 WHERE id = $1 AND database_id = $2")
        .bind(u.entry.to_string())
        .bind(u.database.to_string())
        .bind(i64::from(new_version))
        .bind(u.at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    insert_version(store, &mut tx, u.entry, new_version, &u.ciphertext, u.author.to_string(), u.at).await?;
    let row = sqlx::query(concat!("SELECT ", entry_columns!(), " FROM entries e WHERE e.id = $1"))
        .bind(u.entry.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    let meta = vault_rows::entry_meta(&row)?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(meta)
}

/// Locks the entry's row and checks a write against it: the entry exists, is at the expected version, and no
/// other session holds a live lock on it.
async fn checked_write(
    store: &SqlStore,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    database: DatabaseId,
    entry: EntryId,
    check: &WriteCheck,
) -> Result<(), StoreError> {
    let current = lock_entry_row(store, tx, database, entry).await?;
    let current = current.ok_or_else(|| StoreError::NotFound("entry".to_owned()))?;
    if check.expected_version.is_some_and(|v| v != current) {
        return Err(StoreError::StaleVersion { current });
    }
    refuse_if_locked(store, tx, entry, check.session, check.at).await
}

pub(crate) async fn move_entry(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
    folder: Option<FolderId>,
    check: &WriteCheck,
) -> Result<(), StoreError> {
    let at = check.at;
    let mut tx = store.begin_write().await?;
    lock_database(store, &mut tx, database).await?;
    checked_write(store, &mut tx, database, id, check).await?;
    let moved = sqlx::query("UPDATE entries SET folder_id = $3, updated_at = $4 WHERE id = $1 AND database_id = $2")
        .bind(id.to_string())
        .bind(database.to_string())
        .bind(folder.map(|f| f.to_string()))
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(ENTRY))?;
    if moved.rows_affected() == 0 {
        return Err(StoreError::NotFound("entry".to_owned()));
    }
    tx.commit().await.map_err(store.fail(GENERIC))
}

/// Its versions, grants and lock go with it (ON DELETE CASCADE).
pub(crate) async fn delete_entry(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
    check: &WriteCheck,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    match checked_write(store, &mut tx, database, id, check).await {
        Err(StoreError::NotFound(_)) => return Ok(false),
        other => other?,
    }
    let deleted = sqlx::query("DELETE FROM entries WHERE id = $1 AND database_id = $2")
        .bind(id.to_string())
        .bind(database.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

pub(crate) async fn entry(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
) -> Result<Option<EntryMeta>, StoreError> {
    let row =
        sqlx::query(concat!("SELECT ", entry_columns!(), " FROM entries e WHERE e.id = $1 AND e.database_id = $2"))
            .bind(id.to_string())
            .bind(database.to_string())
            .fetch_optional(store.pool())
            .await
            .map_err(store.fail(GENERIC))?;
    row.as_ref().map(vault_rows::entry_meta).transpose()
}

pub(crate) async fn current_entry(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
) -> Result<Option<(EntryMeta, EntryVersion)>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        ", v.entry_id, v.ciphertext, v.author_id, v.created_at AS version_created_at \
         FROM entries e JOIN entry_versions v ON v.entry_id = e.id AND v.version = e.version \
         WHERE e.id = $1 AND e.database_id = $2"
    ))
    .bind(id.to_string())
    .bind(database.to_string())
    .fetch_optional(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((vault_rows::entry_meta(&row)?, vault_rows::entry_version(&row, "version_created_at")?)))
}

/// Ids per query of [`current_entries`]: well under both engines' limits on bound parameters.
const BATCH: usize = 500;

pub(crate) async fn current_entries(
    store: &SqlStore,
    database: DatabaseId,
    ids: &[EntryId],
) -> Result<Vec<(EntryMeta, EntryVersion)>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for batch in ids.chunks(BATCH) {
        let placeholders: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            concat!(
                "SELECT ",
                entry_columns!(),
                ", v.entry_id, v.ciphertext, v.author_id, v.created_at AS version_created_at \
                 FROM entries e JOIN entry_versions v ON v.entry_id = e.id AND v.version = e.version \
                 WHERE e.database_id = $1 AND e.id IN ({})"
            ),
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(database.to_string());
        for id in batch {
            query = query.bind(id.to_string());
        }
        let rows = query.fetch_all(store.pool()).await.map_err(store.fail(GENERIC))?;
        for row in &rows {
            out.push((vault_rows::entry_meta(row)?, vault_rows::entry_version(row, "version_created_at")?));
        }
    }
    // In the order asked for, whatever order the engine returned them in.
    let position: std::collections::HashMap<EntryId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    out.sort_by_key(|(meta, _)| position.get(&meta.id).copied().unwrap_or(usize::MAX));
    Ok(out)
}

pub(crate) async fn list_entries(store: &SqlStore, database: DatabaseId) -> Result<Vec<EntryMeta>, StoreError> {
    let rows =
        sqlx::query(concat!("SELECT ", entry_columns!(), " FROM entries e WHERE e.database_id = $1 ORDER BY e.id"))
            .bind(database.to_string())
            .fetch_all(store.pool())
            .await
            .map_err(store.fail(GENERIC))?;
    rows.iter().map(vault_rows::entry_meta).collect()
}

pub(crate) async fn entry_version(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
    version: u32,
) -> Result<Option<EntryVersion>, StoreError> {
    let row = sqlx::query(
        "SELECT v.entry_id, v.version, v.ciphertext, v.author_id, v.created_at FROM entry_versions v \
         JOIN entries e ON e.id = v.entry_id WHERE v.entry_id = $1 AND e.database_id = $2 AND v.version = $3",
    )
    .bind(id.to_string())
    .bind(database.to_string())
    .bind(i64::from(version))
    .fetch_optional(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    row.as_ref().map(|r| vault_rows::entry_version(r, "created_at")).transpose()
}

pub(crate) async fn entry_versions(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
) -> Result<Vec<VersionInfo>, StoreError> {
    let rows = sqlx::query(
        "SELECT v.entry_id, v.version, v.author_id, v.created_at FROM entry_versions v \
         JOIN entries e ON e.id = v.entry_id WHERE v.entry_id = $1 AND e.database_id = $2 ORDER BY v.version DESC",
    )
    .bind(id.to_string())
    .bind(database.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter()
        .map(|row| {
            let r = Cols::new(row, "entry_versions", "entry_id");
            Ok(VersionInfo {
                version: r.u32("version")?,
                author: r.parsed("author_id")?,
                created_at: Timestamp::from_millis(r.int("created_at")?),
            })
        })
        .collect()
}
