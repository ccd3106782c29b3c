//! The log's settings (seed manual, Server Settings → Logging) and notifications (seed manual, Notifications):
//! Event Log Readers may see the settings; only Server Administrators change them or manage notifications.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{ErrorBody, LogSettings, NotificationList, NotificationRequest, NotificationView};
use tresor_core::{ManageServer, ReadLog};

use crate::extract::{ApiJson, ApiPath, Require};
use crate::wire_notify::{self, Lookup};
use crate::{ApiError, AppState};

/// Where the server log goes: local files and a remote syslog receiver.
#[utoipa::path(get, path = "/api/v1/admin/log-settings", tag = "log", security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings in force", body = LogSettings),
        (status = "4XX", description = "forbidden (needs Event Log Reader or Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn settings(
    State(s): State<AppState>,
    Require(cap): Require<ReadLog>,
) -> Result<Json<LogSettings>, ApiError> {
    Ok(Json(wire_notify::settings(&s.auth.audit().settings(cap).await?)))
}

/// Replace the log's settings (recorded as event 617). The log workers follow the change at once.
#[utoipa::path(put, path = "/api/v1/admin/log-settings", tag = "log", request_body = LogSettings,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings now in force", body = LogSettings),
        (status = "4XX", description = "validation_failed (the message names the field: folder not absolute, sizes or days out of range, a bad remote host, a CA file without tls), invalid_body, forbidden (needs Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update_settings(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiJson(req): ApiJson<LogSettings>,
) -> Result<Json<LogSettings>, ApiError> {
    let settings = wire_notify::settings_in(req);
    let caller = cap.caller().clone();
    s.auth.audit().set_settings(&caller, cap, &settings).await?;
    Ok(Json(wire_notify::settings(&settings)))
}

/// The notifications, in the order they were added (recorded as event 630).
#[utoipa::path(get, path = "/api/v1/admin/notifications", tag = "log", security(("bearer" = [])),
    responses(
        (status = 200, description = "The notifications", body = NotificationList),
        (status = "4XX", description = "forbidden (needs Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn notifications(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
) -> Result<Json<NotificationList>, ApiError> {
    let lookup = Lookup::new(&s, cap.caller())?;
    let caller = cap.caller().clone();
    let mut out = Vec::new();
    for n in s.auth.audit().notifications(&caller, cap).await? {
        out.push(lookup.view(&n).await?);
    }
    Ok(Json(NotificationList { notifications: out }))
}

/// New notification: an e-mail to the recipients when the event happens (recorded as event 607). Users, groups
/// and databases are named by name or id; entries by id.
#[utoipa::path(post, path = "/api/v1/admin/notifications", tag = "log", request_body = NotificationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added; its id is the next number", body = NotificationView),
        (status = "4XX", description = "validation_failed (an unknown event, user, group or database; a bad recipient; the message says which), invalid_body, forbidden (needs Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn add_notification(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiJson(req): ApiJson<NotificationRequest>,
) -> Result<(StatusCode, Json<NotificationView>), ApiError> {
    let lookup = Lookup::new(&s, cap.caller())?;
    let draft = lookup.draft(req).await?;
    let caller = cap.caller().clone();
    let n = s.auth.audit().add_notification(&caller, cap, &draft).await?;
    Ok((StatusCode::CREATED, Json(lookup.view(&n).await?)))
}

/// Notification properties (recorded as event 630).
#[utoipa::path(get, path = "/api/v1/admin/notifications/{id}", tag = "log", security(("bearer" = [])),
    params(("id" = u64, Path, description = "The notification's number")),
    responses(
        (status = 200, description = "The notification", body = NotificationView),
        (status = "4XX", description = "not_found, invalid_parameter, forbidden (needs Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn notification(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<NotificationView>, ApiError> {
    let lookup = Lookup::new(&s, cap.caller())?;
    let caller = cap.caller().clone();
    let n = s.auth.audit().notification(&caller, cap, id).await?;
    Ok(Json(lookup.view(&n).await?))
}

/// Replace a notification's settings (recorded as event 607).
#[utoipa::path(put, path = "/api/v1/admin/notifications/{id}", tag = "log", request_body = NotificationRequest,
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The notification's number")),
    responses(
        (status = 200, description = "The notification now", body = NotificationView),
        (status = "4XX", description = "not_found, validation_failed (the message says which value), invalid_body, invalid_parameter, forbidden (needs Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn change_notification(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(req): ApiJson<NotificationRequest>,
) -> Result<Json<NotificationView>, ApiError> {
    let lookup = Lookup::new(&s, cap.caller())?;
    let draft = lookup.draft(req).await?;
    let caller = cap.caller().clone();
    let n = s.auth.audit().change_notification(&caller, cap, id, &draft).await?;
    Ok(Json(lookup.view(&n).await?))
}

/// Delete a notification (recorded as event 612).
#[utoipa::path(delete, path = "/api/v1/admin/notifications/{id}", tag = "log", security(("bearer" = [])),
    params(("id" = u64, Path, description = "The notification's number")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "not_found, invalid_parameter, forbidden (needs Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete_notification(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiPath(id): ApiPath<u64>,
) -> Result<StatusCode, ApiError> {
    let caller = cap.caller().clone();
    s.auth.audit().delete_notification(&caller, cap, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
