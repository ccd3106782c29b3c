//! Entry locks: one row per locked entry, bound to a session. A row binds only while it has not expired and its
//! session is live (`live_locks!`); nothing has to delete it for it to stop binding, so a logout, a disconnection or
//! the time limit release it on every node at once.
//!
//! Taking a lock and writing to an entry take turns on the entry's row ([`lock_entry_row`]): on SQLite every
//! write transaction does; on PostgreSQL the row lock does. So a write either sees a lock taken before it, or
//! commits before the lock is taken and the holder reads its version afterwards.

use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use tresor_core::vault::EntryLock;
use tresor_core::{DatabaseId, EntryId, SessionId, StoreError, Timestamp};

use crate::error::GENERIC;
use crate::vault_rows::Cols;
use crate::{Engine, SqlStore};

/// The columns of `entry_locks` (aliased `l`) that [`entry_lock`] reads.
macro_rules! lock_columns {
    () => {
        "l.entry_id, l.database_id, l.user_id, l.session_id, l.taken_at, l.expires_at"
    };
}

/// `entry_locks l` with its session, and the condition that makes a lock live at `$1`.
macro_rules! live_locks {
    () => {
        "entry_locks l JOIN sessions s ON s.id = l.session_id \
         WHERE l.expires_at > $1 AND s.ended_at IS NULL AND s.expires_at > $1"
    };
}

fn entry_lock(row: &AnyRow) -> Result<EntryLock, StoreError> {
    let r = Cols::new(row, "entry_locks", "entry_id");
    Ok(EntryLock {
        entry: r.parsed("entry_id")?,
        database: r.parsed("database_id")?,
        user: r.parsed("user_id")?,
        session: r.parsed("session_id")?,
        taken_at: timestamp(&r, "taken_at")?,
        expires_at: timestamp(&r, "expires_at")?,
    })
}

fn timestamp(r: &Cols<'_>, column: &str) -> Result<Timestamp, StoreError> {
    r.int(column).map(Timestamp::from_millis)
}

/// Locks the entry's row until the transaction ends and returns its current version; `None` when the entry is
/// not in the database.
pub(crate) async fn lock_entry_row(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    database: DatabaseId,
    entry: EntryId,
) -> Result<Option<u32>, StoreError> {
    let statement = match store.engine {
        Engine::Sqlite => "SELECT version FROM entries WHERE id = $1 AND database_id = $2",
        Engine::Postgres => "SELECT version FROM entries WHERE id = $1 AND database_id = $2 FOR UPDATE",
    };
    let version: Option<i64> = sqlx::query_scalar(statement)
        .bind(entry.to_string())
        .bind(database.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(store.fail(GENERIC))?;
    version
        .map(|v| u32::try_from(v).map_err(|_| crate::error::corrupt("entries", "version", &entry.to_string())))
        .transpose()
}

/// The live lock on an entry, read inside a transaction.
async fn live_lock(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    entry: EntryId,
    now: Timestamp,
) -> Result<Option<EntryLock>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", lock_columns!(), " FROM ", live_locks!(), " AND l.entry_id = $2"))
        .bind(now.as_millis())
        .bind(entry.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(entry_lock).transpose()
}

/// Refuses a write to an entry whose row the transaction has locked, when a session other than `session` holds
/// a live lock on it.
pub(crate) async fn refuse_if_locked(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    entry: EntryId,
    session: SessionId,
    now: Timestamp,
) -> Result<(), StoreError> {
    match live_lock(store, tx, entry, now).await? {
        Some(lock) if lock.session != session => Err(StoreError::Locked(lock)),
        _ => Ok(()),
    }
}

pub(crate) async fn lock_entry(store: &SqlStore, wanted: &EntryLock, now: Timestamp) -> Result<EntryLock, StoreError> {
    let mut tx = store.begin_write().await?;
    if lock_entry_row(store, &mut tx, wanted.database, wanted.entry).await?.is_none() {
        return Err(StoreError::NotFound("entry".to_owned()));
    }
    let lock = match live_lock(store, &mut tx, wanted.entry, now).await? {
        Some(held) if held.session != wanted.session => return Err(StoreError::Locked(held)),
        Some(own) => {
            sqlx::query("UPDATE entry_locks SET expires_at = $2 WHERE entry_id = $1")
                .bind(wanted.entry.to_string())
                .bind(wanted.expires_at.as_millis())
                .execute(&mut *tx)
                .await
                .map_err(store.fail(GENERIC))?;
            EntryLock { expires_at: wanted.expires_at, ..own }
        }
        None => {
            // A dead lock may still have its row: it binds nobody and gives way.
            sqlx::query("DELETE FROM entry_locks WHERE entry_id = $1")
                .bind(wanted.entry.to_string())
                .execute(&mut *tx)
                .await
                .map_err(store.fail(GENERIC))?;
            sqlx::query(
                "INSERT INTO entry_locks (entry_id, database_id, user_id, session_id, taken_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(wanted.entry.to_string())
            .bind(wanted.database.to_string())
            .bind(wanted.user.to_string())
            .bind(wanted.session.to_string())
            .bind(wanted.taken_at.as_millis())
            .bind(wanted.expires_at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(store.fail(crate::error::Names { duplicate: "a lock on this entry", missing: "session" }))?;
            *wanted
        }
    };
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(lock)
}

pub(crate) async fn unlock_entry(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
    session: Option<SessionId>,
    now: Timestamp,
) -> Result<Option<EntryLock>, StoreError> {
    let mut tx = store.begin_write().await?;
    if lock_entry_row(store, &mut tx, database, entry).await?.is_none() {
        return Ok(None);
    }
    let Some(lock) = live_lock(store, &mut tx, entry, now).await? else { return Ok(None) };
    if session.is_some_and(|s| s != lock.session) {
        return Ok(None);
    }
    sqlx::query("DELETE FROM entry_locks WHERE entry_id = $1")
        .bind(entry.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(Some(lock))
}

pub(crate) async fn entry_lock_of(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
    now: Timestamp,
) -> Result<Option<EntryLock>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        lock_columns!(),
        " FROM ",
        live_locks!(),
        " AND l.entry_id = $2 AND l.database_id = $3"
    ))
    .bind(now.as_millis())
    .bind(entry.to_string())
    .bind(database.to_string())
    .fetch_optional(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    row.as_ref().map(entry_lock).transpose()
}

pub(crate) async fn entry_locks(
    store: &SqlStore,
    database: DatabaseId,
    now: Timestamp,
) -> Result<Vec<EntryLock>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        lock_columns!(),
        " FROM ",
        live_locks!(),
        " AND l.database_id = $2 ORDER BY l.taken_at, l.entry_id"
    ))
    .bind(now.as_millis())
    .bind(database.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter().map(entry_lock).collect()
}

pub(crate) async fn remove_dead_locks(store: &SqlStore, now: Timestamp) -> Result<Vec<EntryLock>, StoreError> {
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        lock_columns!(),
        " FROM entry_locks l LEFT JOIN sessions s ON s.id = l.session_id \
         WHERE l.expires_at <= $1 OR s.id IS NULL OR s.ended_at IS NOT NULL OR s.expires_at <= $1 \
         ORDER BY l.taken_at, l.entry_id"
    ))
    .bind(now.as_millis())
    .fetch_all(&mut *tx)
    .await
    .map_err(store.fail(GENERIC))?;
    let dead: Vec<EntryLock> = rows.iter().map(entry_lock).collect::<Result<_, _>>()?;
    for lock in &dead {
        // Only that lock: on PostgreSQL another session may have replaced it since it was read.
        sqlx::query("DELETE FROM entry_locks WHERE entry_id = $1 AND session_id = $2 AND taken_at = $3")
            .bind(lock.entry.to_string())
            .bind(lock.session.to_string())
            .bind(lock.taken_at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(store.fail(GENERIC))?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(dead)
}
