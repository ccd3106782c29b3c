//! Sign-in settings, the mail server, pausing the server and users' second factor (administrators).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{
    ErrorBody, MailSettings, MailSettingsRequest, PauseState, SigninSettings, SigninSettingsPatch, TestMailRequest,
    TwoFactorStatus,
};
use tresor_core::{ManageAccounts, ManageServer};

use crate::extract::{ApiJson, ApiPath, Require};
use crate::{ApiError, AppState, wire_signin};

/// The sign-in settings: connections, failed logins, two-factor authentication, the password policy, pause.
#[utoipa::path(get, path = "/api/v1/admin/signin-settings", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings in force", body = SigninSettings),
        (status = "4XX", description = "unauthenticated, forbidden (needs Server Administrator)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn settings(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
) -> Result<Json<SigninSettings>, ApiError> {
    Ok(Json(wire_signin::settings(&s.auth.settings_for_admin(&cap).await?)))
}

/// Change the sign-in settings: each section sent replaces the current one; the rest are kept.
#[utoipa::path(patch, path = "/api/v1/admin/signin-settings", tag = "server", request_body = SigninSettingsPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings now in force", body = SigninSettings),
        (status = "4XX", description = "validation_failed (a value out of range; the message names it), invalid_body, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update_settings(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiJson(req): ApiJson<SigninSettingsPatch>,
) -> Result<Json<SigninSettings>, ApiError> {
    let changed = s.auth.change_signin_settings(&cap, wire_signin::settings_change(req)).await?;
    Ok(Json(wire_signin::settings(&changed)))
}

/// The outgoing mail server (seed manual, Server Settings → Email). The password is never shown.
#[utoipa::path(get, path = "/api/v1/admin/mail-settings", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "The mail settings", body = MailSettings),
        (status = "4XX", description = "unauthenticated, forbidden (needs Server Administrator)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn mail(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
) -> Result<Json<MailSettings>, ApiError> {
    Ok(Json(wire_signin::mail(&s.auth.mail_settings(&cap).await?)))
}

/// Replace the mail settings; leave `password` out to keep the stored one.
#[utoipa::path(put, path = "/api/v1/admin/mail-settings", tag = "server", request_body = MailSettingsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mail settings now", body = MailSettings),
        (status = "4XX", description = "validation_failed (the message names the field), invalid_body, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update_mail(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiJson(req): ApiJson<MailSettingsRequest>,
) -> Result<Json<MailSettings>, ApiError> {
    let changed = s.auth.change_mail_settings(&cap, wire_signin::mail_in(req)).await?;
    Ok(Json(wire_signin::mail(&changed)))
}

/// Send a test message through the mail settings (seed manual, Email → Test Connection).
#[utoipa::path(post, path = "/api/v1/admin/mail-settings/test", tag = "server", request_body = TestMailRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The mail server accepted the message"),
        (status = "4XX", description = "validation_failed (mail not set up), invalid_body, forbidden, unauthenticated", body = ErrorBody),
        (status = 502, description = "mail_failed: the mail server could not be reached or refused; the message says why", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn test_mail(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
    ApiJson(req): ApiJson<TestMailRequest>,
) -> Result<StatusCode, ApiError> {
    s.auth.send_test_mail(&cap, &req.to).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pause the server: clients can neither log in nor work; administrators can (seed manual, Manage → Pause).
#[utoipa::path(post, path = "/api/v1/admin/pause", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "Paused", body = PauseState),
        (status = "4XX", description = "unauthenticated, forbidden (needs Server Administrator)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn pause(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
) -> Result<Json<PauseState>, ApiError> {
    let changed = s.auth.set_paused(&cap, true).await?;
    Ok(Json(PauseState { paused: true, changed }))
}

/// Continue a paused server (seed manual, Manage → Continue).
#[utoipa::path(post, path = "/api/v1/admin/continue", tag = "server", security(("bearer" = [])),
    responses(
        (status = 200, description = "Running", body = PauseState),
        (status = "4XX", description = "unauthenticated, forbidden (needs Server Administrator)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn resume(
    State(s): State<AppState>,
    Require(cap): Require<ManageServer>,
) -> Result<Json<PauseState>, ApiError> {
    let changed = s.auth.set_paused(&cap, false).await?;
    Ok(Json(PauseState { paused: false, changed }))
}

/// A user's second factor and failed logins.
#[utoipa::path(get, path = "/api/v1/admin/users/{user}/two-factor", tag = "users", security(("bearer" = [])),
    params(("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 200, description = "The user's second factor", body = TwoFactorStatus),
        (status = "4XX", description = "not_found, forbidden (needs Account Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn two_factor(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(user): ApiPath<String>,
) -> Result<Json<TwoFactorStatus>, ApiError> {
    Ok(Json(wire_signin::two_factor_status(s.auth.two_factor_status(&cap, &user).await?)))
}

/// Reset a user's second factor: the authenticator, recovery codes and trusted devices are forgotten, and the
/// user enrols again at the next login (seed manual, Users → Reset 2FA).
#[utoipa::path(delete, path = "/api/v1/admin/users/{user}/two-factor", tag = "users", security(("bearer" = [])),
    params(("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 204, description = "Reset"),
        (status = "4XX", description = "not_found, forbidden (needs Account Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn reset_two_factor(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(user): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.auth.reset_two_factor(&cap, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
