//! Sealed entries (`/vault/databases/{db}/entries/{entry}/seal…`): the seals a caller may read, the recipient's
//! request for approval, and the authorised persons' decisions and additions. The rules are in core
//! (`vault/service/seals.rs`); a seal is set with a share (`routes/sharing.rs`).

use axum::Json;
use axum::extract::State;
use tresor_api::{AddAuthorizedRequest, ErrorBody, SealList, SealStateName, SealView, SetSealRequest, UnsealRequest};
use tresor_core::EntryId;
use tresor_core::vault::SealState;
use tresor_core::vault::service::{self as core, SealDecision};

use super::vault::id;
use crate::extract::{ApiJson, ApiPath, Authenticated};
use crate::{ApiError, AppState, wire_vault as wv};

/// The seals of the entry the caller may read: its own (the entry is sealed for it) and those it is an authorised
/// person of. Empty for someone who can see the entry and has neither.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/seal", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The seals", body = SealList),
        (status = "4XX", description = "not_found (the database or entry, or an entry the caller may neither see nor decide on), invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<SealList>, ApiError> {
    let entry = entry_id(&entry)?;
    let (database, seals) = s.vault.entry_seals(&caller, &db, entry).await?;
    Ok(Json(SealList {
        database: database.id.to_string(),
        entry: entry.to_string(),
        seals: seals.iter().map(seal_view).collect(),
    }))
}

/// The recipient asks to open the entry sealed for it, with a reason: sealed → waiting_for_approval (308).
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/seal/request", tag = "entries",
    request_body = UnsealRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The seal, waiting for approval", body = SealView),
        (status = "4XX", description = "conflict (409: the seal is not sealed: waiting already, approved, broken or unsealed), validation_failed (422: no reason, or one too long), not_found (the entry, or no seal of it for the caller), invalid_body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn request(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<UnsealRequest>,
) -> Result<Json<SealView>, ApiError> {
    let seal = s.vault.request_unseal(&caller, &db, entry_id(&entry)?, &req.reason).await?;
    Ok(Json(seal_view(&seal)))
}

/// An authorised person sets the state of `user`'s seal (310): any of the five, from any state. Approving may set
/// `approved_until`, after which the seal closes again; denying a request (waiting → sealed) needs a reason.
#[utoipa::path(put, path = "/api/v1/vault/databases/{db}/entries/{entry}/seals/{user}", tag = "entries",
    request_body = SetSealRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("user" = String, Path, description = "The recipient's account name or id")),
    responses(
        (status = 200, description = "The seal after the change", body = SealView),
        (status = "4XX", description = "forbidden (403: not one of the seal's authorised persons), invalid_body (400: an unknown state), validation_failed (422: approved_until without approved or in the past; a denial without a reason), conflict (409: changed meanwhile), not_found, invalid_value", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn set(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, user)): ApiPath<(String, String, String)>,
    ApiJson(req): ApiJson<SetSealRequest>,
) -> Result<Json<SealView>, ApiError> {
    let decision = SealDecision {
        state: state_in(req.state),
        reason: req.reason,
        approved_until: req.approved_until.as_deref().map(|t| wv::time_in(t, "approved_until")).transpose()?,
    };
    let seal = s.vault.set_seal(&caller, &db, entry_id(&entry)?, &user, decision).await?;
    Ok(Json(seal_view(&seal)))
}

/// An authorised person adds authorised persons to `user`'s seal (310); each must hold admin rights on the
/// database (422 naming those who do not).
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/seals/{user}/authorized", tag = "entries",
    request_body = AddAuthorizedRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("user" = String, Path, description = "The recipient's account name or id")),
    responses(
        (status = 200, description = "The seal after the change", body = SealView),
        (status = "4XX", description = "forbidden (403: not one of the seal's authorised persons), validation_failed (422: a user without admin rights on the database, the recipient, none), not_found, conflict", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn add_authorized(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, user)): ApiPath<(String, String, String)>,
    ApiJson(req): ApiJson<AddAuthorizedRequest>,
) -> Result<Json<SealView>, ApiError> {
    let seal = s.vault.add_seal_authorized(&caller, &db, entry_id(&entry)?, &user, &req.users).await?;
    Ok(Json(seal_view(&seal)))
}

fn entry_id(s: &str) -> Result<EntryId, ApiError> {
    id(s, "the entry")
}

pub(crate) fn state_in(state: SealStateName) -> SealState {
    match state {
        SealStateName::Sealed => SealState::Sealed,
        SealStateName::Unsealed => SealState::Unsealed,
        SealStateName::WaitingForApproval => SealState::WaitingForApproval,
        SealStateName::Approved => SealState::Approved,
        SealStateName::Broken => SealState::Broken,
    }
}

fn state_out(state: SealState) -> SealStateName {
    match state {
        SealState::Sealed => SealStateName::Sealed,
        SealState::Unsealed => SealStateName::Unsealed,
        SealState::WaitingForApproval => SealStateName::WaitingForApproval,
        SealState::Approved => SealStateName::Approved,
        SealState::Broken => SealStateName::Broken,
    }
}

fn seal_view(v: &core::SealView) -> SealView {
    SealView {
        database: v.seal.database.to_string(),
        entry: v.seal.entry.to_string(),
        recipient: v.recipient.clone(),
        state: state_out(v.state),
        reason: v.seal.reason.clone(),
        // Shown only while it still means something: a closed seal has no check-out.
        approved_until: v.seal.approved_until.filter(|_| v.state != SealState::Sealed).map(wv::time),
        authorized: v.authorized.clone(),
        sealed_by: v.sealed_by.clone(),
        created_at: wv::time(v.seal.created_at),
        changed_by: v.changed_by.clone(),
        changed_at: wv::time(v.seal.changed_at),
    }
}
