//! Extractors: each one validates one part of a request at the edge and names what a route needs. A route that
//! takes `Require<ManageAccounts>` cannot run for a caller without that capability.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use http::request::Parts;
use http::{StatusCode, header};
use serde::de::DeserializeOwned;
use tresor_api::ErrorCode;
use tresor_core::{Caller, Capability};

use crate::{ApiError, AppState};

/// A JSON body, refused with a stable code when it is not JSON (`malformed_json`), does not fit the expected
/// shape (`invalid_body`), is too large (`payload_too_large`) or is not labelled JSON (`unsupported_media_type`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "the body must be JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "the body is too large")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedJson, "the body could not be read")
            }
        })?;
        // serde also reads a struct from an array of its fields (`[null, null]`); no client means that.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{') {
            let parses = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            let (code, message) = if parses {
                (ErrorCode::InvalidBody, "the body must be a JSON object")
            } else {
                (ErrorCode::MalformedJson, "the body is not valid JSON")
            };
            return Err(ApiError::new(StatusCode::BAD_REQUEST, code, message));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(json_error)
    }
}

fn json_error(e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON (line {}, column {})", e.line(), e.column()),
        ),
        Category::Data => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidBody,
            format!("the body does not match the expected shape: {}", redact_quoted(&e.to_string())),
        ),
    }
}

/// serde quotes offending string values in its messages ("invalid type: string \"hunter2\", expected …"). A value
/// may be a password sent in the wrong field, so quoted values are cut out; field names (in backticks) stay.
fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut in_quotes = false;
    for c in msg.chars() {
        match (c, in_quotes) {
            ('"', false) => {
                in_quotes = true;
                out.push_str("\"…");
            }
            ('"', true) => {
                in_quotes = false;
                out.push('"');
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

/// Query parameters, refused with `invalid_parameter`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(q)| ApiQuery(q)).map_err(|e: QueryRejection| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidParameter,
                format!("invalid query: {}", redact_quoted(&e.body_text())),
            )
        })
    }
}

/// Path parameters, refused with `invalid_parameter`.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state).await.map(|Path(p)| ApiPath(p)).map_err(|_: PathRejection| {
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter, "a path parameter is malformed")
        })
    }
}

/// The address of the peer that sent the request.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(ClientAddr(addr))
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "log in first: no bearer token was sent",
            )
        })
}

async fn caller(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
    let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state).await?;
    let token = bearer(parts)?;
    Ok(state.auth.authenticate(token, addr).await?)
}

/// Any live session, including one that must change its password first. Only for logout, `GET /me` and
/// changing the password.
#[derive(Debug)]
pub struct AnySession(pub Caller);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        caller(parts, state).await.map(AnySession)
    }
}

/// A live session ready for work: its password need not be changed first.
#[derive(Debug)]
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Authenticated(caller(parts, state).await?.ready()?))
    }
}

/// A ready caller with its bearer token and address: what a long-lived connection (the live event stream) needs
/// to check again and again that its session is still live.
pub struct Listening {
    pub caller: Caller,
    pub token: zeroize::Zeroizing<String>,
    pub address: IpAddr,
}

impl std::fmt::Debug for Listening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listening").field("session", &self.caller.session_id()).field("address", &self.address).finish()
    }
}

impl FromRequestParts<AppState> for Listening {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state).await?;
        let token = zeroize::Zeroizing::new(bearer(parts)?.to_owned());
        let caller = state.auth.authenticate(&token, address).await?.ready()?;
        Ok(Listening { caller, token, address })
    }
}

/// A ready caller holding capability `C`.
#[derive(Debug)]
pub struct Require<C>(pub C);

impl<C: Capability> FromRequestParts<AppState> for Require<C> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(caller) = Authenticated::from_request_parts(parts, state).await?;
        Ok(Require(caller.require::<C>()?))
    }
}

/// The custom password of a protected database (Database Properties → Advanced), from the
/// `tresor-database-password` header; `None` when the header is absent.
#[derive(Debug)]
pub struct DatabasePassword(pub Option<tresor_crypto::SecretString>);

impl<S: Send + Sync> FromRequestParts<S> for DatabasePassword {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(tresor_api::DATABASE_PASSWORD_HEADER) else { return Ok(Self(None)) };
        // Header values are bytes; a password may be any UTF-8 text, not only visible ASCII.
        let text = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidParameter,
                "the database password header is not UTF-8",
            )
        })?;
        Ok(Self(Some(tresor_crypto::SecretString::new(text.to_owned()))))
    }
}

/// The entry version an `If-Match` header names (RFC 9110 §13.1.1), as the `ETag` of an entry gives it: `"3"`.
/// `None` when the header is absent or `*` (any current version). Anything else — a weak tag, a list, a tag that
/// is not a version — is refused with `invalid_parameter`: a precondition the server cannot check must not pass.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<u32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else { return Ok(Self(None)) };
        parse_if_match(value.as_bytes()).map(Self).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidParameter,
                "If-Match must be * or one entity tag as the ETag header gives it, such as \"3\"",
            )
        })
    }
}

fn parse_if_match(value: &[u8]) -> Option<Option<u32>> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text == "*" {
        return Some(None);
    }
    let digits = text.strip_prefix('"')?.strip_suffix('"')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::{parse_if_match, redact_quoted};

    #[test]
    fn if_match_takes_one_strong_version_tag_or_star() {
        assert_eq!(parse_if_match(b"\"3\""), Some(Some(3)));
        assert_eq!(parse_if_match(b" \"12\" "), Some(Some(12)));
        assert_eq!(parse_if_match(b"*"), Some(None));
        for bad in [&b"3"[..], b"W/\"3\"", b"\"3\", \"4\"", b"\"\"", b"\"-1\"", b"\"99999999999\"", b"\"x\"", b"\xff"] {
            assert_eq!(parse_if_match(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn quoted_values_never_reach_the_message() {
        let m = redact_quoted("invalid type: string \"hunter2\", expected a boolean at line 1 column 30");
        assert!(!m.contains("hunter2"), "{m}");
        assert!(m.contains("expected a boolean"), "{m}");
        let m = redact_quoted("unknown field `pasword`, expected one of `account`, `password`");
        assert!(m.contains("`pasword`"), "{m}");
    }
}
