//! Working together on the wire: an entry's lock, and the messages of the live event stream.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An entry's lock: who holds it, since when and until when (Server Settings → Additional → Edit entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EntryLockView {
    pub entry: String,
    /// Whether someone holds the lock; the other fields are set only then.
    pub locked: bool,
    /// The holder's account name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// When the lock runs out unless released or renewed earlier (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether the asking session holds it.
    pub mine: bool,
}

/// One message of the live event stream (`GET /api/v1/events`, WebSocket, one JSON text message each). Only what
/// the listener may see reaches it; no message holds an entry's title, a field or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LiveEventView {
    /// `entry_created`, `entry_changed`, `entry_moved`, `entry_deleted`, `entry_locked`, `entry_unlocked`,
    /// `entry_shown` / `entry_hidden` (an entry came into or left the listener's view: moved, or permissions
    /// changed), `folder_created`, `folder_changed`, `folder_deleted`, `permissions_changed`, `session_ended` (an
    /// administrator disconnected this session; the stream then closes), `lagged` (the listener fell behind and
    /// missed `missed` events: read the state again).
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The entry's version after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Who made the change (account name); absent for what the server did itself (a lock that ran out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// With `lagged`: how many events were missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<u64>,
    /// RFC 3339.
    pub at: String,
}
