//! Reading the server log (seed manual, Log): pages with the advanced filter, Export log as CSV or XML (streamed),
//! and the check of the hash chain. Event Log Readers and Server Administrators only.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, header};
use tresor_api::{ErrorBody, LogExportQuery, LogFilterQuery, LogPage, LogPageQuery, LogVerification};
use tresor_core::{Caller, ReadLog};

use crate::extract::{Authenticated, Require};
use crate::wire_audit::{self, Params};
use crate::{ApiError, AppState, log_export};

/// A caller who may read the log, and the request's query parameters, read only after the role check so that a
/// caller without the role learns nothing from their check.
#[derive(Debug)]
pub struct LogReader {
    caller: Caller,
    cap: ReadLog,
    params: Params,
}

impl FromRequestParts<AppState> for LogReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(caller) = Authenticated::from_request_parts(parts, state).await?;
        let cap = caller.require::<ReadLog>()?;
        Ok(LogReader { caller, cap, params: Params::from_uri(&parts.uri)? })
    }
}

/// A page of the server log: the newest records, older ones with `before`, or those after a record with `after`
/// (for following the log). Reading from the newest end is itself recorded (event 628).
#[utoipa::path(get, path = "/api/v1/admin/log", tag = "log", security(("bearer" = [])),
    params(LogFilterQuery, LogPageQuery),
    responses(
        (status = 200, description = "A page of records", body = LogPage),
        (status = "4XX", description = "invalid_parameter (the message names the parameter), forbidden (needs Event Log Reader or Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(State(s): State<AppState>, reader: LogReader) -> Result<Json<LogPage>, ApiError> {
    let LogReader { caller, cap, params } = reader;
    let filter = params.filter(&["before", "after", "limit"])?;
    let (cursor, limit) = params.page()?;
    let records = s.auth.audit().page(&caller, cap, &filter, cursor, limit).await?;
    Ok(Json(wire_audit::page(&records, cursor, limit)))
}

/// Export log (seed manual): every record the filter matches, oldest first, as a CSV or XML file, streamed.
///
/// CSV (RFC 4180): a header row (`seq,time,severity,event,description,user,user_id,address,database,database_id,
/// object,object_id,new_object,reason,prev_hash,hash`), CRLF line ends, quoted fields where needed. A text value
/// that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so that a
/// spreadsheet shows it instead of running it as a formula. XML: `<log format="tresor-log" version="1">` with one
/// `<record seq="…">` per record and one element per field that has a value; characters XML cannot hold become
/// U+FFFD. The export itself is recorded (event 628).
#[utoipa::path(get, path = "/api/v1/admin/log/export", tag = "log", security(("bearer" = [])),
    params(LogExportQuery, LogFilterQuery),
    responses(
        (status = 200, description = "The file (Content-Disposition: attachment)",
            content((String = "text/csv"), (String = "application/xml"))),
        (status = "4XX", description = "invalid_parameter (the message names the parameter), forbidden (needs Event Log Reader or Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn export(State(s): State<AppState>, reader: LogReader) -> Result<Response, ApiError> {
    let LogReader { caller, cap, params } = reader;
    let filter = params.filter(&["format"])?;
    let format = params.format()?;
    let mut pages = s.auth.audit().export_pages(&caller, cap, filter).await;
    // The first page is read before answering, so that a failing store is an error answer, not a cut-off file.
    let first = pages.next_page().await?;
    let body = log_export::body(format, first, pages);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(log_export::content_type(format)));
    let disposition =
        format!("attachment; filename=\"tresor-log-v{}.{}\"", log_export::EXPORT_VERSION, format.as_str());
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Check the hash chain from the first record to the head stored apart: whether any record was altered,
/// removed, reordered or cut off the end, and where.
#[utoipa::path(get, path = "/api/v1/admin/log/verify", tag = "log", security(("bearer" = [])),
    responses(
        (status = 200, description = "The verdict; `intact` is false and `problem` says where when the chain is broken", body = LogVerification),
        (status = "4XX", description = "forbidden (needs Event Log Reader or Server Administrator), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn verify(
    State(s): State<AppState>,
    Require(cap): Require<ReadLog>,
) -> Result<Json<LogVerification>, ApiError> {
    Ok(Json(wire_audit::verdict(&s.auth.audit().verify(cap).await?)))
}
