//! Second passwords of entries: `entry_second_passwords`, one Argon2id verifier per entry at most. Setting one
//! replaces the row in one transaction, after checking that the entry is in the database.

use tresor_core::{DatabaseId, EntryId, StoreError, Timestamp, UserId};

use crate::SqlStore;
use crate::error::GENERIC;

pub(crate) async fn second_password(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT verifier FROM entry_second_passwords WHERE entry_id = $1 AND database_id = $2")
        .bind(entry.to_string())
        .bind(database.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))
}

pub(crate) async fn set_second_password(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
    verifier: Option<&str>,
    by: UserId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM entries WHERE id = $1 AND database_id = $2")
        .bind(entry.to_string())
        .bind(database.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    if found.is_none() {
        return Ok(false);
    }
    sqlx::query("DELETE FROM entry_second_passwords WHERE entry_id = $1")
        .bind(entry.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    if let Some(verifier) = verifier {
        sqlx::query(
            "INSERT INTO entry_second_passwords (entry_id, database_id, verifier, set_by, set_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.to_string())
        .bind(database.to_string())
        .bind(verifier.to_owned())
        .bind(by.to_string())
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(true)
}
