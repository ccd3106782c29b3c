//! Folders: created, renamed, moved (refused when the move would nest a folder in itself) and deleted (a
//! non-empty one only recursively), each structural change in a transaction that holds the database's turn.

use sqlx::Row;
use tresor_core::vault::{Folder, FolderContents, move_would_cycle};
use tresor_core::{DatabaseId, EntryId, FolderId, StoreError, Timestamp};

use crate::SqlStore;
use crate::error::{GENERIC, Names, corrupt};
use crate::vault_databases::lock_database;
use crate::vault_rows::{self, folder_columns};

const FOLDER: Names = Names { duplicate: "a folder with this id", missing: "parent folder" };

pub(crate) async fn insert_folder(store: &SqlStore, f: &Folder) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    lock_database(store, &mut tx, f.database).await?;
    sqlx::query(
        "INSERT INTO folders (id, database_id, parent_id, sealed_name, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(f.id.to_string())
    .bind(f.database.to_string())
    .bind(f.parent.map(|p| p.to_string()))
    .bind(f.sealed_name.clone())
    .bind(f.created_at.as_millis())
    .bind(f.updated_at.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(store.fail(FOLDER))?;
    tx.commit().await.map_err(store.fail(GENERIC))
}

pub(crate) async fn folder(store: &SqlStore, database: DatabaseId, id: FolderId) -> Result<Option<Folder>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", folder_columns!(), " FROM folders WHERE database_id = $1 AND id = $2"))
        .bind(database.to_string())
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(vault_rows::folder).transpose()
}

pub(crate) async fn list_folders(store: &SqlStore, database: DatabaseId) -> Result<Vec<Folder>, StoreError> {
    let rows = sqlx::query(concat!("SELECT ", folder_columns!(), " FROM folders WHERE database_id = $1 ORDER BY id"))
        .bind(database.to_string())
        .fetch_all(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    rows.iter().map(vault_rows::folder).collect()
}

pub(crate) async fn rename_folder(
    store: &SqlStore,
    database: DatabaseId,
    id: FolderId,
    sealed_name: &[u8],
    at: Timestamp,
) -> Result<(), StoreError> {
    let updated =
        sqlx::query("UPDATE folders SET sealed_name = $3, updated_at = $4 WHERE database_id = $1 AND id = $2")
            .bind(database.to_string())
            .bind(id.to_string())
            .bind(sealed_name.to_vec())
            .bind(at.as_millis())
            .execute(store.pool())
            .await
            .map_err(store.fail(GENERIC))?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("folder".to_owned()));
    }
    Ok(())
}

/// Reads the database's whole tree inside the transaction that moves, after taking the database's turn, so
/// that two concurrent moves cannot close a cycle together.
pub(crate) async fn move_folder(
    store: &SqlStore,
    database: DatabaseId,
    id: FolderId,
    parent: Option<FolderId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    lock_database(store, &mut tx, database).await?;
    let rows = sqlx::query("SELECT id, parent_id FROM folders WHERE database_id = $1")
        .bind(database.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    let mut parents = Vec::with_capacity(rows.len());
    for row in &rows {
        let text: String = row.try_get("id").map_err(|_| corrupt("folders", "id", "?"))?;
        let folder: FolderId = text.parse().map_err(|_| corrupt("folders", "id", &text))?;
        let up: Option<String> = row.try_get("parent_id").map_err(|_| corrupt("folders", "parent_id", &text))?;
        let up = up.map(|p| p.parse()).transpose().map_err(|_| corrupt("folders", "parent_id", &text))?;
        parents.push((folder, up));
    }
    if !parents.iter().any(|(f, _)| *f == id) {
        return Err(StoreError::NotFound("folder".to_owned()));
    }
    if let Some(p) = parent
        && !parents.iter().any(|(f, _)| *f == p)
    {
        return Err(StoreError::NotFound("parent folder".to_owned()));
    }
    if move_would_cycle(&parents, id, parent) {
        return Err(StoreError::FolderCycle);
    }
    sqlx::query("UPDATE folders SET parent_id = $3, updated_at = $4 WHERE database_id = $1 AND id = $2")
        .bind(database.to_string())
        .bind(id.to_string())
        .bind(parent.map(|p| p.to_string()))
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(FOLDER))?;
    tx.commit().await.map_err(store.fail(GENERIC))
}

/// Sub-folders, entries, their versions and grants go with a recursive delete (ON DELETE CASCADE); without
/// `recursive`, the emptiness check and the delete hold the database's turn, so nothing lands in between.
pub(crate) async fn delete_folder(
    store: &SqlStore,
    database: DatabaseId,
    id: FolderId,
    contents: Option<&FolderContents>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    match lock_database(store, &mut tx, database).await {
        Err(StoreError::NotFound(_)) => return Ok(false),
        other => other?,
    }
    if let Some(expected) = contents {
        // Under the database's lock: what is inside now must be what the caller checked its rights on.
        let folders =
            placements(store, &mut tx, "SELECT id, parent_id FROM folders WHERE database_id = $1", database).await?;
        let entries =
            placements(store, &mut tx, "SELECT id, folder_id FROM entries WHERE database_id = $1", database).await?;
        let found = subtree_contents(id, &folders, &entries)?;
        if &found != expected {
            return Err(StoreError::Changed(
                "the folder's contents changed meanwhile; open it again and repeat the delete".to_owned(),
            ));
        }
    } else {
        let inside: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM folders WHERE database_id = $1 AND parent_id = $2) \
             + (SELECT COUNT(*) FROM entries WHERE database_id = $1 AND folder_id = $2)",
        )
        .bind(database.to_string())
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
        if inside > 0 {
            return Err(StoreError::NotEmpty("the folder".to_owned()));
        }
    }
    let deleted = sqlx::query("DELETE FROM folders WHERE database_id = $1 AND id = $2")
        .bind(database.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

/// `(id, parent folder id)` rows of one database, as stored, from `sql` with the database id as `$1`.
async fn placements(
    store: &SqlStore,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    sql: &'static str,
    database: DatabaseId,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let rows = sqlx::query(sql).bind(database.to_string()).fetch_all(&mut **tx).await.map_err(store.fail(GENERIC))?;
    rows.iter()
        .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<Option<String>, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(store.fail(GENERIC))
}

/// What lies below `top` (at any depth), from every folder's parent and every entry's folder, as stored ids.
fn subtree_contents(
    top: FolderId,
    folders: &[(String, Option<String>)],
    entries: &[(String, Option<String>)],
) -> Result<FolderContents, StoreError> {
    let parse_folder = |s: &str| s.parse::<FolderId>().map_err(|_| corrupt("folders", "id", s));
    let mut children: std::collections::HashMap<FolderId, Vec<FolderId>> = std::collections::HashMap::new();
    for (id, parent) in folders {
        if let Some(parent) = parent {
            children.entry(parse_folder(parent)?).or_default().push(parse_folder(id)?);
        }
    }
    let mut inside = std::collections::BTreeSet::new();
    let mut stack = vec![top];
    while let Some(f) = stack.pop() {
        for child in children.get(&f).into_iter().flatten() {
            // A cycle in stored data cannot make this loop forever: each folder is taken once.
            if inside.insert(*child) {
                stack.push(*child);
            }
        }
    }
    let mut contents = FolderContents { folders: inside, entries: std::collections::BTreeSet::new() };
    for (id, folder) in entries {
        let Some(folder) = folder else { continue };
        let folder = parse_folder(folder)?;
        if folder == top || contents.folders.contains(&folder) {
            contents.entries.insert(id.parse::<EntryId>().map_err(|_| corrupt("entries", "id", id))?);
        }
    }
    Ok(contents)
}
