//! Entries and their history: an entry row that names its current version, and one row per version holding
//! that version's ciphertext. Updates are optimistic: they name the version they started from.

use tresor_core::vault::{EntryMeta, EntryUpdate, EntryVersion, FIRST_VERSION, NewEntry, VersionInfo};
use tresor_core::{DatabaseId, EntryId, FolderId, StoreError, Timestamp};

use crate::SqlStore;
use crate::error::{GENERIC, Names};
use crate::vault_databases::lock_database;
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

/// The compare-and-set on `entries.version` decides between concurrent updates: the row lock makes the second
/// one wait, and it then finds the version moved on.
pub(crate) async fn update_entry(store: &SqlStore, u: &EntryUpdate) -> Result<EntryMeta, StoreError> {
    let new_version = u.new_version().ok_or_else(|| StoreError::Other("the entry has too many versions".to_owned()))?;
    let mut tx = store.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE entries SET version = $4, updated_at = $5 WHERE id = $1 AND database_id = $2 AND version = $3",
    )
    .bind(u.entry.to_string())
    .bind(u.database.to_string())
    .bind(i64::from(u.expected_version))
    .bind(i64::from(new_version))
    .bind(u.at.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(store.fail(GENERIC))?;
    if updated.rows_affected() == 0 {
        let current: Option<i64> = sqlx::query_scalar("SELECT version FROM entries WHERE id = $1 AND database_id = $2")
            .bind(u.entry.to_string())
            .bind(u.database.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store.fail(GENERIC))?;
        return Err(match current {
            None => StoreError::NotFound("entry".to_owned()),
            Some(v) => StoreError::StaleVersion {
                current: u32::try_from(v).map_err(|_| crate::error::corrupt("entries", "version", "?"))?,
            },
        });
    }
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

pub(crate) async fn move_entry(
    store: &SqlStore,
    database: DatabaseId,
    id: EntryId,
    folder: Option<FolderId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    lock_database(store, &mut tx, database).await?;
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

/// Its versions and grants go with it (ON DELETE CASCADE).
pub(crate) async fn delete_entry(store: &SqlStore, database: DatabaseId, id: EntryId) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM entries WHERE id = $1 AND database_id = $2")
        .bind(id.to_string())
        .bind(database.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
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
