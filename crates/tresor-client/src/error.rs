//! The client's error type: what went wrong talking to a Tresor server, in one line without secrets.

use std::error::Error as StdError;

use tresor_api::ErrorCode;

/// Everything a [`Client`](crate::Client) call can fail with.
///
/// Every message is one line and never contains a token or a password: request bodies are never quoted, and a
/// URL with credentials in it is refused before any request is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a non-2xx status and (normally) an `ErrorBody`.
    #[error("{message} ({code}, HTTP {status})")]
    Api { status: u16, code: ErrorCode, message: String },
    /// The TLS handshake failed: an untrusted or changed certificate, or no common protocol.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server could not be reached or the connection broke.
    #[error("cannot reach the server: {0}")]
    Transport(String),
    /// The server's answer is not what the API describes.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
    /// The account needs a second factor: log in with [`Client::login_step`](crate::Client::login_step).
    #[error("this account signs in with a second factor")]
    SecondFactorRequired,
    /// The server URL is not usable (bad syntax, not http(s), credentials in it, or a scheme the trust does not
    /// allow).
    #[error("invalid server URL: {0}")]
    InvalidUrl(String),
}

impl ClientError {
    /// The API error code, when the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The message shown when a pinned certificate does not match.
pub(crate) fn fingerprint_changed_message(expected: &[u8; 32], got: &[u8; 32]) -> String {
    format!(
        "the server's certificate fingerprint changed: expected {}, got {} — if this is expected, run \
         `tresor login` again with --trust-fingerprint",
        crate::fingerprint_hex(expected),
        crate::fingerprint_hex(got)
    )
}

/// Joins an error and its sources into one line, skipping a source whose text the previous one already shows.
pub(crate) fn one_line(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string().replace(['\n', '\r'], " ");
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// The rustls error somewhere in an error's source chain. hyper wraps it in `io::Error`s (nested: reqwest's
/// connector wraps tokio-rustls's), and `io::Error::source` skips the wrapped error, so each `io::Error` is
/// opened with `get_ref` as well.
pub(crate) fn find_rustls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    None
}

/// A stable code for an error answer that carried no (understood) error body, e.g. from a proxy in between.
pub(crate) fn code_for_status(status: u16) -> ErrorCode {
    match status {
        400 => ErrorCode::InvalidParameter,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        502..=504 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_displays_in_one_line() {
        let e = ClientError::Api { status: 404, code: ErrorCode::NotFound, message: "no such user".into() };
        assert_eq!(e.to_string(), "no such user (not_found, HTTP 404)");
    }

    #[test]
    fn mismatch_message_names_both_fingerprints() {
        let m = fingerprint_changed_message(&[0xAB; 32], &[0x01; 32]);
        assert!(m.contains("expected AB:AB:"));
        assert!(m.contains("got 01:01:"));
        assert!(m.contains("--trust-fingerprint"));
        assert!(!m.contains('\n'));
    }
}
