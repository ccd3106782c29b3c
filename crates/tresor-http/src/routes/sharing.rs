//! Sharing an entry (`/vault/databases/{db}/entries/{entry}/shares`): a user holding "grant access to other users"
//! (`share`) on an entry gives another user or group rights on it — never more than the user holds — optionally for
//! a period, lists the entry's grants, and takes a share back. The rules are in core (`VaultService::share_entry`).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{ErrorBody, ErrorCode, ShareList, ShareRequest, SubjectRef};
use tresor_core::vault::Database;
use tresor_core::vault::service::{self as core, GrantRecord};

use super::databases::subject_in;
use super::vault::id;
use crate::extract::{ApiJson, ApiPath, Authenticated};
use crate::{ApiError, AppState, wire_vault as wv};

/// Share the entry with a user or group: each permission must be one of an entry's (access, read, modify, delete,
/// share, seal) that the caller holds on it now; a window's end must be in the future. A share with `valid_to`
/// ends by itself. Recorded as 623. With `seal`, the entry is sealed for the user it is shared with (needs `seal`
/// on the entry; 310): its secrets wait for one of the named authorised persons to approve.
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/shares", tag = "entries",
    request_body = ShareRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The entry's grants after the share", body = ShareList),
        (status = "4XX", description = "forbidden (403: no share on the entry, or a permission the caller does not hold, named; a denial the share would lift), not_found (the entry, user or group), validation_failed (422: no permission, one that is not an entry's, an empty or past window, oneself; a seal for a group, without authorised persons, or naming one without admin rights on the database), conflict (409: sealed for that user already), invalid_value (a time that is not RFC 3339), invalid_parameter, invalid_body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn share(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<ShareRequest>,
) -> Result<Json<ShareList>, ApiError> {
    let entry = id(&entry, "the entry")?;
    let request = core::ShareRequest {
        subject: subject_in(req.subject),
        permissions: req.permissions.into_iter().map(wv::permission_in).collect(),
        valid_from: req.valid_from.as_deref().map(|t| wv::time_in(t, "valid_from")).transpose()?,
        valid_to: req.valid_to.as_deref().map(|t| wv::time_in(t, "valid_to")).transpose()?,
    };
    let seal = req.seal.map(|seal| seal.authorized);
    let (database, shares) = s.vault.share_sealed(&caller, &db, entry, request, seal.as_deref()).await?;
    Ok(Json(share_list(&database, entry, &shares)))
}

/// The grants set on the entry, with the subjects' names and windows (needs share on the entry).
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/shares", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The entry's grants", body = ShareList),
        (status = "4XX", description = "forbidden (no share on the entry), not_found, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<ShareList>, ApiError> {
    let entry = id(&entry, "the entry")?;
    let (database, shares) = s.vault.entry_shares(&caller, &db, entry).await?;
    Ok(Json(share_list(&database, entry, &shares)))
}

/// Take back what the entry allows a user or group (`kind` is `user` or `group`; denials stay). Recorded as 622.
#[utoipa::path(delete, path = "/api/v1/vault/databases/{db}/entries/{entry}/shares/{kind}/{name}", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("kind" = String, Path, description = "`user` or `group`"), ("name" = String, Path, description = "The user's or group's name or id")),
    responses(
        (status = 204, description = "Taken back"),
        (status = "4XX", description = "forbidden (no share on the entry), not_found (the entry, user or group, or no share of it), invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn unshare(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, kind, name)): ApiPath<(String, String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let entry = id(&entry, "the entry")?;
    let subject = match kind.as_str() {
        "user" => SubjectRef::User(name),
        "group" => SubjectRef::Group(name),
        _ => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter, "kind is user or group"));
        }
    };
    s.vault.unshare(&caller, &db, entry, subject_in(subject)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn share_list(database: &Database, entry: tresor_core::EntryId, shares: &[GrantRecord]) -> ShareList {
    ShareList {
        database: database.id.to_string(),
        entry: entry.to_string(),
        shares: shares.iter().map(wv::grant).collect(),
    }
}
