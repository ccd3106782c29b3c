//! Entry locks: take, renew, show and release one's own (users who may modify the entry), and list and break a
//! database's (its administrators).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{EntryLockView, ErrorBody, LockList, LockedEntryView};

use super::vault::id;
use crate::extract::{ApiPath, Authenticated, DatabasePassword};
use crate::{ApiError, AppState, wire_vault as wv};

/// Take the entry's lock before editing it, or renew one's own (needs modify). Others' changes are refused with
/// `entry_locked` (423) until it is released, its session ends or the "edit entries" time limit runs out.
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/lock", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The lock, held by this session", body = EntryLockView),
        (status = "4XX", description = "entry_locked (423, with the holder), not_found, forbidden, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn lock(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<EntryLockView>, ApiError> {
    let entry = id(&entry, "the entry")?;
    let held = s.vault.lock_entry(&caller, &db, entry).await?;
    Ok(Json(wv::lock_view(entry, Some(&held), Some(caller.session_id()))))
}

/// Who holds the entry's lock, since when and until when (anyone who can see the entry).
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/lock", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The lock, or `locked: false`", body = EntryLockView),
        (status = "4XX", description = "not_found, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<EntryLockView>, ApiError> {
    let entry = id(&entry, "the entry")?;
    let held = s.vault.entry_lock(&caller, &db, entry).await?;
    Ok(Json(wv::lock_view(entry, held.as_ref(), Some(caller.session_id()))))
}

/// Release this session's lock on the entry (save or cancel).
#[utoipa::path(delete, path = "/api/v1/vault/databases/{db}/entries/{entry}/lock", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 204, description = "Released"),
        (status = "4XX", description = "lock_not_held (409: not locked, or locked by someone else), not_found, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn unlock(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.vault.unlock_entry(&caller, &db, id(&entry, "the entry")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The database's entry locks (Database Administrators, Server Administrators, and users with "grant admin
/// rights" on it).
#[utoipa::path(get, path = "/api/v1/admin/databases/{db}/locks", tag = "databases", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "The live locks, oldest first", body = LockList),
        (status = "4XX", description = "not_found, forbidden, database_password_required, database_password_wrong", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
) -> Result<Json<LockList>, ApiError> {
    let (database, locks) = s.vault.database_locks(&caller, &db, password).await?;
    Ok(Json(LockList {
        database: database.id.to_string(),
        database_name: database.name,
        locks: locks
            .iter()
            .map(|l| LockedEntryView {
                folder_path: l.folder_path.clone(),
                lock: wv::lock_view(l.holder.lock.entry, Some(&l.holder), Some(caller.session_id())),
            })
            .collect(),
    }))
}

/// Break the lock on an entry (recorded as 644); the holder's changes are no longer protected by it.
#[utoipa::path(delete, path = "/api/v1/admin/databases/{db}/locks/{entry}", tag = "databases", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The lock that was broken", body = EntryLockView),
        (status = "4XX", description = "not_found (no such lock), forbidden, invalid_parameter, database_password_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn break_lock(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<EntryLockView>, ApiError> {
    let entry = id(&entry, "the entry")?;
    let broken = s.vault.break_lock(&caller, &db, password, entry).await?;
    Ok(Json(wv::lock_view(entry, Some(&broken), Some(caller.session_id()))))
}
