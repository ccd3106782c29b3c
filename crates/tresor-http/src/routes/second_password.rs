//! Second passwords of entries (`/vault/databases/{db}/entries/{entry}/second-password`): set, change or remove
//! one, and [`SecondPassword`], the extractor of the `tresor-second-password` header that the routes releasing
//! secrets pass to the core's gate. The rules are in core (`vault/service/second_password.rs`).

use axum::extract::{FromRequestParts, State};
use http::StatusCode;
use http::request::Parts;
use tresor_api::{ErrorBody, ErrorCode, SECOND_PASSWORD_HEADER, SecondPasswordRequest};
use tresor_crypto::SecretString;

use super::vault::id;
use crate::extract::{ApiJson, ApiPath, Authenticated};
use crate::wire::secret;
use crate::{ApiError, AppState};

/// An entry's second password, from the `tresor-second-password` header; `None` when the header is absent.
#[derive(Debug)]
pub struct SecondPassword(pub Option<SecretString>);

impl<S: Send + Sync> FromRequestParts<S> for SecondPassword {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(SECOND_PASSWORD_HEADER) else { return Ok(Self(None)) };
        // Header values are bytes; a password may be any UTF-8 text, not only visible ASCII.
        let text = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidParameter,
                "the second password header is not UTF-8",
            )
        })?;
        Ok(Self(Some(SecretString::new(text.to_owned()))))
    }
}

/// Set or change the entry's second password (needs `set_second_password`; to change one, the current one in
/// `tresor-second-password`). From then on its secrets are released only to requests that give it. Recorded as 303.
#[utoipa::path(put, path = "/api/v1/vault/databases/{db}/entries/{entry}/second-password", tag = "entries",
    request_body = SecondPasswordRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("tresor-second-password" = Option<String>, Header, description = "The current second password, to change it")),
    responses(
        (status = 204, description = "Set"),
        (status = "4XX", description = "forbidden (no set_second_password on the entry), second_password_required / second_password_wrong (403: changing one without the current one), validation_failed (422: empty or too long), not_found, invalid_body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn set(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    SecondPassword(current): SecondPassword,
    ApiJson(req): ApiJson<SecondPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let entry = id(&entry, "the entry")?;
    s.vault.set_second_password(&caller, &db, entry, Some(secret(req.password)), current).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the entry's second password (needs `set_second_password` and the current one in
/// `tresor-second-password`). Recorded as 303.
#[utoipa::path(delete, path = "/api/v1/vault/databases/{db}/entries/{entry}/second-password", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("tresor-second-password" = Option<String>, Header, description = "The current second password")),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "forbidden, second_password_required / second_password_wrong (403), not_found (also: the entry has none)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn remove(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    SecondPassword(current): SecondPassword,
) -> Result<StatusCode, ApiError> {
    let entry = id(&entry, "the entry")?;
    s.vault.set_second_password(&caller, &db, entry, None, current).await?;
    Ok(StatusCode::NO_CONTENT)
}
