//! The one mapping from failures to HTTP: each domain error becomes one status and one stable code. Internal
//! details go to the log, never to the client.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tresor_api::{ErrorBody, ErrorCode, ErrorDetail};
use tresor_core::CoreError;

/// A failed request: status, code and a message safe to show.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// Seconds for a `Retry-After` header (rate limiting).
    retry_after: Option<u64>,
    /// An entry's current version, for refusals that depend on it (also sent as its `ETag`).
    current_version: Option<u32>,
    /// The lock that refused a write.
    lock: Option<Box<tresor_api::EntryLockView>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None, current_version: None, lock: None }
    }
    pub fn status(&self) -> StatusCode {
        self.status
    }
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        use StatusCode as S;
        let (status, code) = match &e {
            CoreError::Validation(_) => (S::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed),
            CoreError::InvalidInput(_) => (S::BAD_REQUEST, ErrorCode::InvalidValue),
            CoreError::Stale { .. } => (S::CONFLICT, ErrorCode::VersionConflict),
            CoreError::PreconditionFailed { .. } => (S::PRECONDITION_FAILED, ErrorCode::PreconditionFailed),
            CoreError::Locked(_) => (S::LOCKED, ErrorCode::EntryLocked),
            CoreError::LockNotHeld(_) => (S::CONFLICT, ErrorCode::LockNotHeld),
            CoreError::Sealed(_) => (S::FORBIDDEN, ErrorCode::EntrySealed),
            CoreError::SecondPasswordRequired => (S::FORBIDDEN, ErrorCode::SecondPasswordRequired),
            CoreError::SecondPasswordWrong => (S::FORBIDDEN, ErrorCode::SecondPasswordWrong),
            CoreError::ReasonRequired => (S::UNPROCESSABLE_ENTITY, ErrorCode::ReasonRequired),
            CoreError::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            CoreError::DatabasePasswordRequired => (S::FORBIDDEN, ErrorCode::DatabasePasswordRequired),
            CoreError::DatabasePasswordWrong => (S::FORBIDDEN, ErrorCode::DatabasePasswordWrong),
            CoreError::Undecryptable(_) => (S::INTERNAL_SERVER_ERROR, ErrorCode::Undecryptable),
            CoreError::Unauthenticated => (S::UNAUTHORIZED, ErrorCode::Unauthenticated),
            CoreError::InvalidCredentials => (S::UNAUTHORIZED, ErrorCode::InvalidCredentials),
            CoreError::AccountDisabled => (S::FORBIDDEN, ErrorCode::AccountDisabled),
            CoreError::AddressNotAllowed(_) => (S::FORBIDDEN, ErrorCode::AddressNotAllowed),
            CoreError::PasswordChangeRequired => (S::FORBIDDEN, ErrorCode::PasswordChangeRequired),
            CoreError::PasswordChangeNotAllowed => (S::FORBIDDEN, ErrorCode::PasswordChangeNotAllowed),
            CoreError::Forbidden(_) => (S::FORBIDDEN, ErrorCode::Forbidden),
            CoreError::SuperAdminNotAClient => (S::FORBIDDEN, ErrorCode::SuperAdminNotAClient),
            CoreError::NotFound { .. } => (S::NOT_FOUND, ErrorCode::NotFound),
            CoreError::Duplicate(_) => (S::CONFLICT, ErrorCode::DuplicateName),
            CoreError::GroupCycle(_) => (S::UNPROCESSABLE_ENTITY, ErrorCode::GroupCycle),
            CoreError::SeatLimitReached { .. } => (S::CONFLICT, ErrorCode::SeatLimitReached),
            CoreError::Conflict(_) => (S::CONFLICT, ErrorCode::Conflict),
            CoreError::Unavailable(_) => (S::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            CoreError::AuditUnavailable => (S::SERVICE_UNAVAILABLE, ErrorCode::AuditUnavailable),
            CoreError::RateLimited { .. } => (S::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            CoreError::ServerPaused => (S::SERVICE_UNAVAILABLE, ErrorCode::ServerPaused),
            CoreError::SettingsDamaged(_) => (S::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            CoreError::ClientNotAllowed(_) => (S::FORBIDDEN, ErrorCode::ClientNotAllowed),
            CoreError::AlreadyLoggedOn => (S::CONFLICT, ErrorCode::AlreadyLoggedOn),
            CoreError::SecondFactorExpired => (S::UNAUTHORIZED, ErrorCode::SecondFactorExpired),
            CoreError::SecondFactorInvalid => (S::UNAUTHORIZED, ErrorCode::SecondFactorInvalid),
            CoreError::SecondFactorReused => (S::UNAUTHORIZED, ErrorCode::SecondFactorReused),
            CoreError::SecondFactorMalformed => (S::UNAUTHORIZED, ErrorCode::SecondFactorMalformed),
            CoreError::SecondFactorUnavailable(_) => (S::FORBIDDEN, ErrorCode::SecondFactorUnavailable),
            CoreError::CodeNotSent => (S::SERVICE_UNAVAILABLE, ErrorCode::SecondFactorNotSent),
            CoreError::MailFailed(_) => (S::BAD_GATEWAY, ErrorCode::MailFailed),
            CoreError::MasterKeyMismatch | CoreError::Internal(_) => (S::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        };
        let message = match (status, &e) {
            (_, CoreError::Undecryptable(_)) => {
                tracing::error!(error = %e, "stored data did not decrypt");
                e.to_string()
            }
            (S::INTERNAL_SERVER_ERROR, _) => {
                tracing::error!(error = %e, "request failed");
                "the server could not complete the request; the details are in its log".to_owned()
            }
            _ => e.to_string(),
        };
        let retry_after = match &e {
            CoreError::RateLimited { retry_after } => Some(whole_seconds(*retry_after)),
            _ => None,
        };
        let current_version = match &e {
            CoreError::Stale { current } | CoreError::PreconditionFailed { current } => Some(*current),
            _ => None,
        };
        let lock = match &e {
            CoreError::Locked(held) => Some(Box::new(crate::wire_vault::lock_view(held.lock.entry, Some(held), None))),
            _ => None,
        };
        Self { status, code, message, retry_after, current_version, lock }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = ErrorDetail {
            code: self.code,
            message: self.message,
            current_version: self.current_version,
            lock: self.lock.map(|l| *l),
        };
        let mut response = (self.status, Json(ErrorBody { error: detail })).into_response();
        if let Some(version) = self.current_version {
            response.headers_mut().insert(header::ETAG, crate::wire_vault::etag(version));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A wait in whole seconds, rounded up so that a client that waits exactly this long is not refused again.
pub(crate) fn whole_seconds(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis().div_ceil(1000)).unwrap_or(u64::MAX).max(1)
}
