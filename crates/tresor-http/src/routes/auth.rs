//! Login, logout, the caller's own account, and changing one's own password.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{ChangePasswordRequest, ErrorBody, LoginRequest, LoginResponse, MeResponse};

use crate::extract::{AnySession, ApiJson, ClientAddr};
use crate::{ApiError, AppState, wire};

/// Log in with an account name and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the token is shown only now", body = LoginResponse),
        (status = "4XX", description = "Refused; `error.code` says why: invalid_credentials (unknown account or wrong password, the same answer for both), account_disabled, address_not_allowed, malformed_json, invalid_body, unsupported_media_type, payload_too_large", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let client = wire::client_in(req.client);
    let out = s.auth.login(&req.account, wire::secret(req.password), client, addr).await?;
    Ok(Json(LoginResponse {
        token: out.token.expose_secret().to_owned(),
        session: wire::session_info(&out.session, s.auth.settings().idle_timeout),
        password_change_required: out.user.options.must_change_password,
        user: wire::user(&out.user, &out.groups),
    }))
}

/// End the caller's session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = "4XX", description = "No live session (unauthenticated)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn logout(State(s): State<AppState>, AnySession(caller): AnySession) -> Result<StatusCode, ApiError> {
    s.auth.logout(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account and session.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = "4XX", description = "No live session (unauthenticated) or address_not_allowed", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, AnySession(caller): AnySession) -> Json<MeResponse> {
    Json(MeResponse {
        user: wire::user(&caller.user, &caller.groups),
        session: wire::session_info(&caller.session, s.auth.settings().idle_timeout),
        password_change_required: caller.user.options.must_change_password,
    })
}

/// Change the caller's own password. Allowed while a password change is required.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = "4XX", description = "Refused: invalid_credentials (wrong current password), password_change_not_allowed, validation_failed (too short, same as before), unauthenticated, or a malformed body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    AnySession(caller): AnySession,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    s.auth.change_password(&caller, wire::secret(req.current_password), wire::secret(req.new_password)).await?;
    Ok(StatusCode::NO_CONTENT)
}
