//! The server dashboard, connected sessions, health and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use http::{StatusCode, header};
use tresor_api::{ErrorBody, Health, JobInfo, JobList, JobState, Seats, ServerInfo, ServerStatus, SessionList};
use tresor_core::{ManageSessions, ViewServer};

use crate::extract::{ApiPath, Require};
use crate::{ApiError, AppState, wire};

/// The server dashboard (seed manual, Server Manager).
#[utoipa::path(get, path = "/api/v1/admin/info", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "The dashboard", body = ServerInfo),
        (status = "4XX", description = "unauthenticated, forbidden (needs a server role), password_change_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn info(State(s): State<AppState>, Require(cap): Require<ViewServer>) -> Result<Json<ServerInfo>, ApiError> {
    let snap = s.server.snapshot(&cap).await?;
    let paused = s.auth.signin_settings().await?.paused;
    let id = &s.identity;
    Ok(Json(ServerInfo {
        status: if paused { ServerStatus::Paused } else { ServerStatus::Running },
        addresses: id.addresses.clone(),
        port: id.port,
        running_since: snap.running_since.to_rfc3339(),
        started_at: id.started_at.to_rfc3339(),
        version: id.version.clone(),
        store_engine: snap.store_engine.to_owned(),
        seats: Seats { licensed: snap.seats_licensed, used: snap.seats_used },
        registered_users: snap.registered_users,
        connected_users: snap.connected_users,
        installed_databases: snap.installed_databases,
        password_hashes: s.auth.password_work().computed(),
    }))
}

/// The background workers: how far each has followed the server log, what it has done, how often it failed.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "The workers", body = JobList),
        (status = "4XX", description = "unauthenticated, forbidden (needs a server role), password_change_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn jobs(State(s): State<AppState>, Require(cap): Require<ViewServer>) -> Result<Json<JobList>, ApiError> {
    let log_head = s.auth.audit().head(&cap).await?;
    let jobs = s
        .workers
        .status()
        .into_iter()
        .map(|w| JobInfo {
            name: w.name.to_owned(),
            description: w.description.to_owned(),
            state: if w.started { JobState::Following } else { JobState::Starting },
            position: w.position,
            done: w.done,
            failures: w.failures,
            detail: w.detail,
        })
        .collect();
    Ok(Json(JobList { log_head, jobs }))
}

/// Live sessions: who is connected, from where, with which client, since when.
#[utoipa::path(get, path = "/api/v1/admin/sessions", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "Live sessions", body = SessionList),
        (status = "4XX", description = "unauthenticated, forbidden (needs Account or Server Administrator)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn sessions(
    State(s): State<AppState>,
    Require(cap): Require<ManageSessions>,
) -> Result<Json<SessionList>, ApiError> {
    let live = s.accounts.live_sessions(&cap).await?;
    Ok(Json(SessionList { sessions: live.iter().map(wire::live_session).collect() }))
}

/// Disconnect a session (seed manual, Users → Disconnect).
#[utoipa::path(delete, path = "/api/v1/admin/sessions/{id}", tag = "server", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Disconnected"),
        (status = "4XX", description = "not_found (no such live session), forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn disconnect(
    State(s): State<AppState>,
    Require(cap): Require<ManageSessions>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.accounts.disconnect(&cap, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the server can serve requests.
#[utoipa::path(get, path = "/healthz", tag = "server",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The store does not answer", body = Health)))]
pub async fn health(State(s): State<AppState>) -> impl IntoResponse {
    let ok = s.server.healthy().await;
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Health { status: if ok { "ok" } else { "unavailable" }.to_owned(), version: s.identity.version.clone() };
    (status, Json(body))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json")))]
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::openapi_json())
}
