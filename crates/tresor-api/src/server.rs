//! The server dashboard, health and connected sessions.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ClientKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    Running,
    Paused,
}

/// What the Server Manager shows when the server itself is selected.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerInfo {
    pub status: ServerStatus,
    /// Addresses the server listens on.
    pub addresses: Vec<String>,
    pub port: u16,
    /// RFC 3339: when this server was first put into operation.
    pub running_since: String,
    /// RFC 3339: when this process started.
    pub started_at: String,
    pub version: String,
    pub store_engine: String,
    pub seats: Seats,
    pub registered_users: u64,
    pub connected_users: u64,
    pub installed_databases: u64,
    /// Argon2id computations (logins, password changes, dummy checks of unknown accounts) since this process
    /// started: what sign-in has cost the CPU.
    pub password_hashes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Seats {
    pub licensed: u64,
    pub used: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` when the store answers.
    pub status: String,
    pub version: String,
}

/// A live session, as an administrator sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub account: String,
    pub address: String,
    pub client: ClientKind,
    /// RFC 3339.
    pub since: String,
    /// RFC 3339.
    pub last_seen: String,
    /// RFC 3339.
    pub expires_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

/// The background workers (`GET /admin/jobs`), each following the server log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobList {
    /// The number of the server log's last record: a worker whose position is lower is that far behind.
    pub log_head: u64,
    pub jobs: Vec<JobInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobInfo {
    /// `log-files`, `remote-syslog` or `notifications`.
    pub name: String,
    pub description: String,
    /// `starting` until the worker knows where in the log it starts, then `following`.
    pub state: JobState,
    /// The last record of the server log the worker has handled.
    pub position: u64,
    /// Records written or sent, or messages mailed, since the server started.
    pub done: u64,
    /// Failures since the server started (each is tried again).
    pub failures: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Starting,
    Following,
}
