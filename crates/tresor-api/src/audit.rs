//! The server log as administrators read it (seed manual, Log; Export log): the filter, pages of records, the
//! chain check. Settings and notifications are in `audit_admin`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A record's severity (RFC 5424), from the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogSeverity {
    Error,
    Warning,
    Notice,
    Info,
}

impl LogSeverity {
    pub const ALL: [LogSeverity; 4] =
        [LogSeverity::Error, LogSeverity::Warning, LogSeverity::Notice, LogSeverity::Info];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogSeverity::Error => "error",
            LogSeverity::Warning => "warning",
            LogSeverity::Notice => "notice",
            LogSeverity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<LogSeverity> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Which records (seed manual, Log → Advanced filter). Every condition given must hold; an empty value is no
/// condition.
///
/// On the wire: query parameters. `event` may repeat (`event=101&event=601`) or hold a comma list
/// (`event=101,601`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogFilterQuery {
    /// The least severe level shown: `warning` shows warnings and errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(inline)]
    pub severity: Option<LogSeverity>,
    /// RFC 3339: records at this time or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339: records before this time (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// A user's account name (case-insensitive) or id, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 256)]
    pub user: Option<String>,
    /// An IP address, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 64)]
    pub address: Option<String>,
    /// Event numbers (seed manual, Event IDs): any of them. Repeat the parameter or separate them by commas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[param(style = Form, explode, max_items = 64, value_type = Option<Vec<u16>>)]
    pub event: Vec<u16>,
    /// A database's name (case-insensitive) or id, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 256)]
    pub database: Option<String>,
    /// Part of the object's name (case-insensitive), or its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 256)]
    pub object: Option<String>,
    /// Full text: part of any text of the record (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(max_length = 256)]
    pub q: Option<String>,
}

/// Where a page of the log starts and how long it is. Without `before` or `after` the page holds the newest
/// records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogPageQuery {
    /// Newest first, from the record before this number (the `next_before` of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 9223372036854775807_i64)]
    pub before: Option<u64>,
    /// Oldest first, from the record after this number: what `tail` reads. Excludes `before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub after: Option<u64>,
    /// At most 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// `GET /admin/log`: a filter and a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    #[serde(flatten)]
    pub filter: LogFilterQuery,
    #[serde(flatten)]
    pub page: LogPageQuery,
}

/// One record of the server log (seed manual, Log). Names are as they were when the event happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LogRecord {
    /// 1, 2, 3 … without gaps.
    pub seq: u64,
    /// RFC 3339, UTC.
    pub time: String,
    pub severity: LogSeverity,
    /// The event number (seed manual, Event IDs).
    pub event: u16,
    pub description: String,
    /// The account name of who did it.
    pub user: Option<String>,
    pub user_id: Option<String>,
    /// The IP address it came from.
    pub address: Option<String>,
    pub database: Option<String>,
    pub database_id: Option<String>,
    /// The entry, folder, document, account or setting acted on.
    pub object: Option<String>,
    pub object_id: Option<String>,
    /// What the object became.
    pub new_object: Option<String>,
    /// Why: a deletion reason or the cause of a failure.
    pub reason: Option<String>,
    /// SHA-256 of the record before (hex); zeros for the first.
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and every field (hex).
    pub hash: String,
}

/// A page of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LogPage {
    /// Newest first, or oldest first with `after`.
    pub records: Vec<LogRecord>,
    /// Newest first: pass as `before` for the next (older) page; absent when this page is the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
    /// Oldest first: pass as `after` for the next (newer) page; absent when no more records match yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<u64>,
}

/// Export log: the file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogExportFormat {
    Csv,
    Xml,
}

impl LogExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogExportFormat::Csv => "csv",
            LogExportFormat::Xml => "xml",
        }
    }

    pub fn parse(s: &str) -> Option<LogExportFormat> {
        [LogExportFormat::Csv, LogExportFormat::Xml].into_iter().find(|f| f.as_str() == s)
    }
}

/// `GET /admin/log/export`: the file's format (the filter is [`LogFilterQuery`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogExportQuery {
    #[param(inline)]
    pub format: LogExportFormat,
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChainProblemView {
    /// `altered`, `removed`, `reordered` or `truncated`.
    pub kind: String,
    /// The first record that is not as it was written.
    pub seq: u64,
    /// In words.
    pub message: String,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LogVerification {
    /// Records checked and found intact, from the first.
    pub checked: u64,
    /// Whether the whole log is as it was written.
    pub intact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<ChainProblemView>,
}
