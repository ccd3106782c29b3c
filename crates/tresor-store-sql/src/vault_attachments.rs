//! Attachments: a row per file (its sealed name, size and chunk count) and a row per sealed chunk of its
//! contents, read one at a time so that a download streams. Each is looked up within its database.

use tresor_core::vault::{AttachmentMeta, NewAttachment};
use tresor_core::{AttachmentId, DatabaseId, EntryId, StoreError};

use crate::SqlStore;
use crate::error::{GENERIC, Names};
use crate::vault_rows::{self, attachment_columns};

/// The foreign key on (database_id, entry_id) is what refuses an entry of another database, or none.
const ATTACHMENT: Names = Names { duplicate: "an attachment with this id", missing: "entry" };

/// The attachment row and every chunk in one transaction: a reader never sees a file with chunks missing.
pub(crate) async fn insert_attachment(store: &SqlStore, a: &NewAttachment) -> Result<AttachmentMeta, StoreError> {
    let too_large = || StoreError::Other("the attachment is too large to store".to_owned());
    let size = i64::try_from(a.size).map_err(|_| too_large())?;
    let chunks = u32::try_from(a.chunks.len()).map_err(|_| too_large())?;
    let id = a.id.to_string();
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO attachments (id, database_id, entry_id, sealed_name, size, chunks, author_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(a.database.to_string())
    .bind(a.entry.to_string())
    .bind(a.sealed_name.clone())
    .bind(size)
    .bind(i64::from(chunks))
    .bind(a.author.to_string())
    .bind(a.at.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(store.fail(ATTACHMENT))?;
    for (index, chunk) in (0_i64..).zip(&a.chunks) {
        sqlx::query("INSERT INTO attachment_chunks (attachment_id, idx, ciphertext) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(index)
            .bind(chunk.clone())
            .execute(&mut *tx)
            .await
            .map_err(store.fail(GENERIC))?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(AttachmentMeta {
        id: a.id,
        database: a.database,
        entry: a.entry,
        sealed_name: a.sealed_name.clone(),
        size: a.size,
        chunks,
        author: a.author,
        created_at: a.at,
    })
}

/// Oldest first; the id orders files attached in the same millisecond, so the order is stable.
pub(crate) async fn attachments(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
) -> Result<Vec<AttachmentMeta>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        attachment_columns!(),
        " FROM attachments a WHERE a.database_id = $1 AND a.entry_id = $2 ORDER BY a.created_at, a.id"
    ))
    .bind(database.to_string())
    .bind(entry.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter().map(vault_rows::attachment).collect()
}

pub(crate) async fn attachment(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
    id: AttachmentId,
) -> Result<Option<AttachmentMeta>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        attachment_columns!(),
        " FROM attachments a WHERE a.id = $1 AND a.database_id = $2 AND a.entry_id = $3"
    ))
    .bind(id.to_string())
    .bind(database.to_string())
    .bind(entry.to_string())
    .fetch_optional(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    row.as_ref().map(vault_rows::attachment).transpose()
}

pub(crate) async fn attachment_chunk(
    store: &SqlStore,
    database: DatabaseId,
    id: AttachmentId,
    index: u32,
) -> Result<Option<Vec<u8>>, StoreError> {
    sqlx::query_scalar(
        "SELECT c.ciphertext FROM attachment_chunks c JOIN attachments a ON a.id = c.attachment_id \
         WHERE c.attachment_id = $1 AND a.database_id = $2 AND c.idx = $3",
    )
    .bind(id.to_string())
    .bind(database.to_string())
    .bind(i64::from(index))
    .fetch_optional(store.pool())
    .await
    .map_err(store.fail(GENERIC))
}

/// Its chunks go with it (ON DELETE CASCADE).
pub(crate) async fn delete_attachment(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
    id: AttachmentId,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM attachments WHERE id = $1 AND database_id = $2 AND entry_id = $3")
        .bind(id.to_string())
        .bind(database.to_string())
        .bind(entry.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}
