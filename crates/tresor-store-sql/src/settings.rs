//! Server settings: a small key-value table for server metadata (first start, instance identity).

use tresor_core::StoreError;

use crate::SqlStore;
use crate::error::GENERIC;

pub(crate) async fn setting(store: &SqlStore, key: &str) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))
}

pub(crate) async fn insert_setting_if_absent(store: &SqlStore, key: &str, value: &str) -> Result<bool, StoreError> {
    let inserted = sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(inserted.rows_affected() > 0)
}

pub(crate) async fn put_setting(store: &SqlStore, key: &str, value: &str) -> Result<(), StoreError> {
    put_settings(store, &[(key, value.to_owned())]).await
}

/// Writes several settings in one transaction: all or none.
pub(crate) async fn put_settings(store: &SqlStore, pairs: &[(&str, String)]) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    for (key, value) in pairs {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(*key)
        .bind(value.as_str())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))
}
