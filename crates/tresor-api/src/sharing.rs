//! Sharing an entry on the wire (`/vault/databases/{db}/entries/{entry}/shares`): what a user with "grant access to
//! other users" gives another user or group on one entry, optionally for a period, and the entry's grants.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{GrantView, PermissionName, SubjectRef};

/// Give a user or group permissions on the entry, never more than the caller holds on it, optionally for a period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// `{"kind": "user" | "group", "name": "<name or id>"}`.
    pub subject: SubjectRef,
    /// An entry's permissions: access, read, modify, delete, share, seal. The subject needs access and read to see
    /// the entry.
    pub permissions: Vec<PermissionName>,
    /// RFC 3339, inclusive; absent: at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// RFC 3339, exclusive, in the future; absent: until the share is taken back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// Seal the entry for the user it is shared with: its secrets wait for an authorised person's approval.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::object_only")]
    pub seal: Option<crate::SealRequest>,
}

/// The grants set on one entry (by its sharers and by administrators), with names and windows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShareList {
    pub database: String,
    pub entry: String,
    pub shares: Vec<GrantView>,
}
