//! Sessions: recorded at login, found by the hash of their token, touched while used, ended once.

use tresor_core::session::{EndReason, SessionRecord};
use tresor_core::{SessionId, StoreError, Timestamp, UserId};

use crate::SqlStore;
use crate::error::{GENERIC, Names};
use crate::rows::{self, session_columns};

const SESSION: Names = Names { duplicate: "a session with this id or token", missing: "user" };

pub(crate) async fn insert_session(store: &SqlStore, s: &SessionRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, client, address, created_at, last_seen_at, expires_at, \
         ended_at, end_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(s.id.to_string())
    .bind(hex::encode(s.token_hash))
    .bind(s.user_id.to_string())
    .bind(s.client.as_str())
    .bind(s.address.to_string())
    .bind(s.created_at.as_millis())
    .bind(s.last_seen_at.as_millis())
    .bind(s.expires_at.as_millis())
    .bind(s.ended_at.map(|t| t.as_millis()))
    .bind(s.end_reason.map(|r| r.as_str().to_owned()))
    .execute(store.pool())
    .await
    .map_err(store.fail(SESSION))?;
    Ok(())
}

pub(crate) async fn session_by_token_hash(
    store: &SqlStore,
    token_hash: &[u8; 32],
) -> Result<Option<SessionRecord>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", session_columns!(), " FROM sessions WHERE token_hash = $1"))
        .bind(hex::encode(token_hash))
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(rows::session).transpose()
}

pub(crate) async fn session(store: &SqlStore, id: SessionId) -> Result<Option<SessionRecord>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", session_columns!(), " FROM sessions WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(rows::session).transpose()
}

/// Records activity on a session not yet ended. Only ever moves `last_seen_at` forward: touches are sent in the
/// background and may arrive out of order.
pub(crate) async fn touch_session(store: &SqlStore, id: SessionId, last_seen: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2")
        .bind(id.to_string())
        .bind(last_seen.as_millis())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(())
}

/// Ends a session that has not ended yet; the first end and its reason are kept.
pub(crate) async fn end_session(
    store: &SqlStore,
    id: SessionId,
    reason: EndReason,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let ended = sqlx::query("UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL")
        .bind(id.to_string())
        .bind(at.as_millis())
        .bind(reason.as_str())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(ended.rows_affected() > 0)
}

pub(crate) async fn end_user_sessions(
    store: &SqlStore,
    user: UserId,
    reason: EndReason,
    at: Timestamp,
) -> Result<u64, StoreError> {
    let ended =
        sqlx::query("UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE user_id = $1 AND ended_at IS NULL")
            .bind(user.to_string())
            .bind(at.as_millis())
            .bind(reason.as_str())
            .execute(store.pool())
            .await
            .map_err(store.fail(GENERIC))?;
    Ok(ended.rows_affected())
}

pub(crate) async fn live_sessions(store: &SqlStore, now: Timestamp) -> Result<Vec<SessionRecord>, StoreError> {
    live(store, now, None).await
}

/// The live sessions of one user, oldest first.
pub(crate) async fn user_live_sessions(
    store: &SqlStore,
    user: UserId,
    now: Timestamp,
) -> Result<Vec<SessionRecord>, StoreError> {
    live(store, now, Some(user)).await
}

async fn live(store: &SqlStore, now: Timestamp, user: Option<UserId>) -> Result<Vec<SessionRecord>, StoreError> {
    const ALL: &str = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE ended_at IS NULL AND expires_at > $1 ORDER BY created_at, id"
    );
    const ONE_USER: &str = concat!(
        "SELECT ",
        session_columns!(),
        " FROM sessions WHERE ended_at IS NULL AND expires_at > $1 AND user_id = $2 ORDER BY created_at, id"
    );
    let query = match user {
        Some(user) => sqlx::query(ONE_USER).bind(now.as_millis()).bind(user.to_string()),
        None => sqlx::query(ALL).bind(now.as_millis()),
    };
    let rows = query.fetch_all(store.pool()).await.map_err(store.fail(GENERIC))?;
    rows.iter().map(rows::session).collect()
}
