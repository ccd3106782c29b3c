//! Login, logout, the caller's own account, and changing one's own password.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tresor_api::{
    ChangePasswordRequest, DeviceToken, ErrorBody, LoginRequest, LoginResponse, MeResponse, SecondFactorRequest,
    SecondFactorRequired,
};
use tresor_core::signin::LoginRequest as CoreLogin;
use tresor_core::{LoginOutcome, LoginStep};

use crate::extract::{AnySession, ApiJson, ClientAddr};
use crate::{ApiError, AppState, wire, wire_signin};

/// Log in with an account name and password. With two-factor authentication on, the answer is 202 and a
/// challenge: complete it at `POST /auth/login/second-factor`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the token is shown only now", body = LoginResponse),
        (status = 202, description = "The password is right; the second factor is awaited", body = SecondFactorRequired),
        (status = "4XX", description = "Refused; `error.code` says why: invalid_credentials (unknown account or wrong password, the same answer for both), rate_limited (too many attempts from this address; see Retry-After), account_disabled, address_not_allowed, client_not_allowed, already_logged_on, server_paused, second_factor_unavailable, malformed_json, invalid_body, unsupported_media_type, payload_too_large", body = ErrorBody),
        (status = 503, description = "The store is unavailable, the server is paused (server_paused), or an e-mailed code could not be sent (second_factor_not_sent)", body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let device = req.device_token.as_ref().map(|t| t.expose_secret().to_owned());
    let step = s
        .auth
        .login(CoreLogin {
            account: &req.account,
            password: wire::secret(req.password),
            client: wire::client_in(req.client),
            address: addr,
            device_token: device.as_deref(),
        })
        .await?;
    Ok(match step {
        LoginStep::Session(out) => Json(login_response(&s, &out).await?).into_response(),
        LoginStep::SecondFactor(c) => (StatusCode::ACCEPTED, Json(wire_signin::challenge(c))).into_response(),
    })
}

/// Complete a login with its second factor: an authenticator code, a recovery code or an e-mailed code.
#[utoipa::path(post, path = "/api/v1/auth/login/second-factor", tag = "auth", request_body = SecondFactorRequest,
    responses(
        (status = 200, description = "Logged in; the token (and, after an enrolment, the recovery codes) are shown only now", body = LoginResponse),
        (status = "4XX", description = "Refused: second_factor_invalid (wrong code), second_factor_reused (an authenticator code used already), second_factor_expired (unknown, expired or completed challenge), second_factor_malformed (not six digits nor a recovery code), rate_limited, account_disabled, malformed_json, invalid_body", body = ErrorBody),
        (status = 503, description = "The store is unavailable or the server is paused", body = ErrorBody)))]
pub async fn second_factor(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<SecondFactorRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let out = s
        .auth
        .complete_login(req.challenge.expose_secret(), req.code.expose_secret(), req.remember_device, addr)
        .await?;
    Ok(Json(login_response(&s, &out).await?))
}

async fn login_response(s: &AppState, out: &LoginOutcome) -> Result<LoginResponse, ApiError> {
    let idle = s.auth.idle_timeout().await?;
    Ok(LoginResponse {
        token: out.token.expose_secret().to_owned(),
        session: wire::session_info(&out.session, idle),
        password_change_required: out.user.options.must_change_password,
        user: wire::user(&out.user, &out.groups),
        recovery_codes: out.recovery_codes.iter().map(|c| c.expose_secret().to_owned()).collect(),
        device_token: out
            .device_token
            .as_ref()
            .map(|(t, at)| DeviceToken { token: t.expose_secret().to_owned(), expires_at: at.to_rfc3339() }),
    })
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
pub async fn me(State(s): State<AppState>, AnySession(caller): AnySession) -> Result<Json<MeResponse>, ApiError> {
    Ok(Json(MeResponse {
        user: wire::user(&caller.user, &caller.groups),
        session: wire::session_info(&caller.session, s.auth.idle_timeout().await?),
        password_change_required: caller.user.options.must_change_password,
    }))
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
