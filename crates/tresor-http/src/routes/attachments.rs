//! Files attached to entries: upload (raw body, streamed and sealed chunk by chunk, refused with 413 above the
//! limit), list, download (streamed) and delete.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderValue, StatusCode, header};
use tresor_api::{AttachmentList, AttachmentUploadQuery, AttachmentView, ErrorBody, ErrorCode};
use tresor_core::{AttachmentId, CoreError, EntryId};

use super::vault::id;
use crate::extract::{ApiPath, ApiQuery, Authenticated};
use crate::{ApiError, AppState, wire_vault as wv};

fn ids(entry: &str, attachment: &str) -> Result<(EntryId, AttachmentId), ApiError> {
    Ok((id(entry, "the entry")?, id(attachment, "the attachment")?))
}

/// Attach a file to an entry (needs modify). The body is the file itself.
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/attachments", tag = "attachments",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        AttachmentUploadQuery),
    responses(
        (status = 201, description = "Stored", body = AttachmentView),
        (status = 413, description = "payload_too_large: over the attachment limit", body = ErrorBody),
        (status = "4XX", description = "not_found, forbidden, validation_failed (name), invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<AttachmentUploadQuery>,
    headers: http::HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let entry: EntryId = id(&entry, "the entry")?;
    let mut upload = s.vault.begin_upload(&caller, &db, entry, &q.name).await?;
    // A declared length over the limit is refused before a byte is read.
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > upload.limit()) {
        return Err(CoreError::TooLarge { limit: upload.limit() }.into());
    }
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk: Bytes = chunk.map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidBody, "the upload was interrupted")
        })?;
        upload.push(&chunk)?;
    }
    let info = s.vault.finish_upload(upload).await?;
    Ok((StatusCode::CREATED, Json(wv::attachment(&info))))
}

/// The attachments of an entry.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/attachments", tag = "attachments",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The attachments", body = AttachmentList),
        (status = "4XX", description = "not_found, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<AttachmentList>, ApiError> {
    let entry: EntryId = id(&entry, "the entry")?;
    let list = s.vault.attachments(&caller, &db, entry).await?;
    Ok(Json(AttachmentList { attachments: list.iter().map(wv::attachment).collect() }))
}

/// Download an attachment, streamed.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/attachments/{attachment}", tag = "attachments",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("attachment" = String, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = "4XX", description = "entry_sealed (403: the entry is sealed for the caller), second_password_required / second_password_wrong (403), not_found, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, attachment)): ApiPath<(String, String, String)>,
    super::second_password::SecondPassword(second): super::second_password::SecondPassword,
) -> Result<Response, ApiError> {
    let (entry, attachment) = ids(&entry, &attachment)?;
    let mut download = s.vault.download_with(&caller, &db, entry, attachment, second).await?;
    // The first chunk is read before answering, so that a damaged attachment is an error, not a cut-off 200.
    let first = download.next_chunk().await?;
    let name = download.info.name.clone();
    let size = download.info.size;
    let rest = futures_util::stream::unfold(Some(download), |state| async move {
        let mut d = state?;
        match d.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk.to_vec())), Some(d))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "attachment download failed midway");
                Some((Err(std::io::Error::other("the attachment could not be read")), None))
            }
        }
    });
    let head = futures_util::stream::iter(first.map(|c| Ok::<Bytes, std::io::Error>(Bytes::from(c.to_vec()))));
    let mut response = Body::from_stream(head.chain(rest)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Remove an attachment (needs modify on the entry).
#[utoipa::path(delete, path = "/api/v1/vault/databases/{db}/entries/{entry}/attachments/{attachment}", tag = "attachments",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("attachment" = String, Path, description = "Attachment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "not_found, forbidden, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, attachment)): ApiPath<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (entry, attachment) = ids(&entry, &attachment)?;
    s.vault.delete_attachment(&caller, &db, entry, attachment).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `attachment; filename="…"` with anything outside printable ASCII replaced, and the UTF-8 name as
/// `filename*` (RFC 6266).
fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
