//! Entries of a database: list, create, open (secrets only with `reveal=true`), change, move, delete, history,
//! restore and the current TOTP code.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderValue, StatusCode, header};
use tresor_api::{
    CreateEntryRequest, DeleteEntryQuery, EntryListQuery, EntryPage, EntryView, ErrorBody, ErrorCode, HistoryList,
    MoveEntryRequest, RevealQuery, TotpCode, UpdateEntryRequest, VersionView, WirePassword,
};
use tresor_core::EntryId;
use tresor_core::vault::service::EntryInput;

use super::page;
use super::second_password::SecondPassword;
use super::vault::id;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, IfMatch};
use crate::{ApiError, AppState, wire_vault as wv};

fn entry_id(s: &str) -> Result<EntryId, ApiError> {
    id(s, "the entry")
}

/// Most entries one listing returns; the answer is streamed a batch at a time, so this bounds time, not memory.
pub const MAX_LISTING: u32 = 100_000;

/// The entries the caller can see, in a folder (or the root), optionally with its sub-folders: from `offset`, at
/// most `limit` (default 1000, at most 100,000). The answer is streamed as the entries are opened.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries", tag = "entries", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), EntryListQuery),
    responses(
        (status = 200, description = "A page of entries", body = EntryPage),
        (status = "4XX", description = "not_found, invalid_parameter, unauthenticated, super_admin_not_a_client", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(db): ApiPath<String>,
    ApiQuery(q): ApiQuery<EntryListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=MAX_LISTING).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            format!("limit must be 1 to {MAX_LISTING}"),
        ));
    }
    let (offset, _) = page(q.offset, None)?;
    let folder = q.folder.as_deref().filter(|f| !f.is_empty()).map(|f| id(f, "the folder")).transpose()?;
    let mut cursor = s.vault.list_entries(&caller, &db, folder, q.recursive.unwrap_or(false), offset, limit).await?;
    // The first batch is opened before answering, so that damaged data is an error status, not a cut-off body.
    let first = cursor.next_batch().await?;
    let head = format!("{{\"total\":{},\"entries\":[", cursor.total);
    let first = first.map(|batch| summaries_json(&batch, true));
    let rest = futures_util::stream::unfold(Some(cursor), |state| async move {
        let mut cursor = state?;
        match cursor.next_batch().await {
            Ok(Some(batch)) => Some((Ok(Bytes::from(summaries_json(&batch, false))), Some(cursor))),
            Ok(None) => Some((Ok(Bytes::from_static(b"]}")), None)),
            Err(e) => {
                tracing::error!(error = %e, "entry listing failed midway");
                Some((Err(std::io::Error::other("the listing could not be completed")), None))
            }
        }
    });
    let start = futures_util::stream::iter(
        [Some(head), first].into_iter().flatten().map(|s| Ok::<Bytes, std::io::Error>(Bytes::from(s))),
    );
    let mut response = Body::from_stream(start.chain(rest)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// A batch of summaries as the inside of a JSON array: comma-separated, with a leading comma unless `first`.
fn summaries_json(batch: &[tresor_core::vault::service::EntrySummary], first: bool) -> String {
    let mut out = String::with_capacity(batch.len() * 256);
    for (i, summary) in batch.iter().enumerate() {
        if i > 0 || !first {
            out.push(',');
        }
        // Serializing plain strings and numbers cannot fail; an empty object would still keep the array valid.
        out.push_str(&serde_json::to_string(&wv::summary(summary)).unwrap_or_else(|_| "{}".to_owned()));
    }
    out
}

/// Create an entry (needs add on its folder, or on the database at the root; its type must be allowed).
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries", tag = "entries", request_body = CreateEntryRequest,
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 201, description = "Created (secrets not included)", body = EntryView),
        (status = "4XX", description = "invalid_value (unknown type or field, malformed TOTP secret), validation_failed, not_found, forbidden", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(db): ApiPath<String>,
    ApiJson(req): ApiJson<CreateEntryRequest>,
) -> Result<(StatusCode, Versioned), ApiError> {
    let (folder, body) = wv::new_entry(req)?;
    let folder = folder.as_deref().filter(|f| !f.is_empty()).map(|f| id(f, "the folder")).transpose()?;
    let opened = s.vault.create_entry(&caller, &db, EntryInput { folder, body }).await?;
    Ok((StatusCode::CREATED, versioned(&opened)))
}

/// An entry as the answer carries it: the view, and its current version as the `ETag` that `If-Match` takes back.
type Versioned = ([(header::HeaderName, HeaderValue); 1], Json<EntryView>);

fn versioned(opened: &tresor_core::vault::service::OpenedEntry) -> Versioned {
    ([(header::ETAG, wv::etag(opened.meta.version))], Json(wv::entry(opened)))
}

/// One entry, its current version; secrets only with `reveal=true`, and only once the entry's seal (if it is sealed
/// for the caller) lets them go: a sealed entry answers `entry_sealed` (403) to `reveal=true` and shows itself
/// without secrets otherwise; the first reveal after an approval breaks the seal (309).
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}", tag = "entries", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"), RevealQuery),
    responses(
        (status = 200, description = "The entry", body = EntryView,
            headers(("ETag" = String, description = "The current version, for If-Match: \"3\""))),
        (status = "4XX", description = "entry_sealed (403: reveal=true on an entry sealed for the caller), second_password_required / second_password_wrong (403: reveal=true on an entry with a second password, without it or with a wrong one in tresor-second-password), not_found (also for an entry the caller may not see), invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<RevealQuery>,
    SecondPassword(second): SecondPassword,
) -> Result<Versioned, ApiError> {
    let opened = s.vault.open_entry(&caller, &db, entry_id(&entry)?, q.reveal.unwrap_or(false), second).await?;
    Ok(versioned(&opened))
}

/// Change an entry (needs modify). With `If-Match` (the `ETag` of the version the change is based on), refused
/// with `precondition_failed` (412) if the entry moved on; with `version` in the body, with `version_conflict`
/// (409). Refused with `entry_locked` (423) while another session holds the entry's lock.
#[utoipa::path(patch, path = "/api/v1/vault/databases/{db}/entries/{entry}", tag = "entries",
    request_body = UpdateEntryRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("If-Match" = Option<String>, Header, description = "The entry's ETag the change is based on")),
    responses(
        (status = 200, description = "The new version (secrets not included)", body = EntryView,
            headers(("ETag" = String, description = "The new version"))),
        (status = "4XX", description = "precondition_failed (412), entry_locked (423), version_conflict (409), invalid_value, validation_failed, not_found, forbidden", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<UpdateEntryRequest>,
) -> Result<Versioned, ApiError> {
    let entry = entry_id(&entry)?;
    let opened = s.vault.update_entry(&caller, &db, entry, wv::entry_change(req, if_match)?).await?;
    Ok(versioned(&opened))
}

/// Delete an entry with its history and attachments (needs delete; a reason when the database asks for one).
#[utoipa::path(delete, path = "/api/v1/vault/databases/{db}/entries/{entry}", tag = "entries", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"), DeleteEntryQuery,
        ("If-Match" = Option<String>, Header, description = "The entry's ETag the deletion is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "reason_required (422), precondition_failed (412), entry_locked (423), not_found, forbidden, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DeleteEntryQuery>,
    IfMatch(if_match): IfMatch,
) -> Result<StatusCode, ApiError> {
    s.vault.delete_entry(&caller, &db, entry_id(&entry)?, q.reason.as_deref(), if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move an entry to another folder of its database (needs modify on it and add on the target).
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/move", tag = "entries",
    request_body = MoveEntryRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("If-Match" = Option<String>, Header, description = "The entry's ETag the move is based on")),
    responses(
        (status = 200, description = "The moved entry", body = EntryView),
        (status = "4XX", description = "precondition_failed (412), entry_locked (423), not_found, forbidden, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn move_to(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    IfMatch(if_match): IfMatch,
    ApiJson(req): ApiJson<MoveEntryRequest>,
) -> Result<Versioned, ApiError> {
    let folder = req.folder.as_deref().filter(|f| !f.is_empty()).map(|f| id(f, "the folder")).transpose()?;
    let opened = s.vault.move_entry(&caller, &db, entry_id(&entry)?, folder, if_match).await?;
    Ok(versioned(&opened))
}

/// An entry's versions, newest first.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/history", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The history", body = HistoryList),
        (status = "4XX", description = "not_found, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
) -> Result<Json<HistoryList>, ApiError> {
    let (meta, versions) = s.vault.history(&caller, &db, entry_id(&entry)?).await?;
    Ok(Json(HistoryList {
        entry: meta.id.to_string(),
        versions: versions
            .into_iter()
            .map(|(v, author)| VersionView {
                version: v.version,
                author,
                created_at: wv::time(v.created_at),
                current: v.version == meta.version,
            })
            .collect(),
    }))
}

/// One version of an entry; secrets only with `reveal=true`.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/history/{version}", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("version" = u32, Path, description = "Version number"), RevealQuery),
    responses(
        (status = 200, description = "That version", body = EntryView),
        (status = "4XX", description = "entry_sealed (403: reveal=true on an entry sealed for the caller), second_password_required / second_password_wrong (403: reveal=true on an entry with a second password, without it or with a wrong one in tresor-second-password), not_found, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn version(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, version)): ApiPath<(String, String, u32)>,
    ApiQuery(q): ApiQuery<RevealQuery>,
    SecondPassword(second): SecondPassword,
) -> Result<Json<EntryView>, ApiError> {
    let entry = entry_id(&entry)?;
    let opened = s.vault.open_version(&caller, &db, entry, version, q.reveal.unwrap_or(false), second).await?;
    Ok(Json(wv::entry(&opened)))
}

/// Make an old version current again, as a new version (needs modify).
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/entries/{entry}/history/{version}/restore", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id"),
        ("version" = u32, Path, description = "Version number"),
        ("If-Match" = Option<String>, Header, description = "The entry's ETag the restore is based on")),
    responses(
        (status = 200, description = "The new current version", body = EntryView),
        (status = "4XX", description = "precondition_failed (412), entry_locked (423), not_found, forbidden, version_conflict, invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn restore(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry, version)): ApiPath<(String, String, u32)>,
    IfMatch(if_match): IfMatch,
) -> Result<Versioned, ApiError> {
    let opened = s.vault.restore_version(&caller, &db, entry_id(&entry)?, version, if_match).await?;
    Ok(versioned(&opened))
}

/// The entry's current TOTP code.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/entries/{entry}/totp", tag = "entries",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("entry" = String, Path, description = "Entry id")),
    responses(
        (status = 200, description = "The code", body = TotpCode),
        (status = "4XX", description = "entry_sealed (403: the entry is sealed for the caller), second_password_required / second_password_wrong (403), not_found (no such entry, or no TOTP secret on it), invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn totp(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, entry)): ApiPath<(String, String)>,
    SecondPassword(second): SecondPassword,
) -> Result<Json<TotpCode>, ApiError> {
    let (code, period_secs, remaining_secs) = s.vault.totp_code_with(&caller, &db, entry_id(&entry)?, second).await?;
    Ok(Json(TotpCode { code: WirePassword::new(code.expose_secret()), period_secs, remaining_secs }))
}
