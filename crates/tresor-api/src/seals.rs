//! Sealed entries on the wire (`/vault/databases/{db}/entries/{entry}/seal…`): a seal asked for with a share, the
//! seals a caller may read, the recipient's request for approval and the authorised persons' decisions.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The manual's states of a seal (Permissions → Sealed access).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SealStateName {
    /// No attempt to open the entry yet (or a request was denied, or an approval's time ran out).
    Sealed,
    /// The seal has been removed.
    Unsealed,
    /// The recipient asked to open the entry.
    WaitingForApproval,
    /// An authorised person agreed; the recipient's first opening breaks the seal.
    Approved,
    /// The recipient opened the entry.
    Broken,
}

impl SealStateName {
    pub const ALL: [SealStateName; 5] =
        [Self::Sealed, Self::Unsealed, Self::WaitingForApproval, Self::Approved, Self::Broken];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sealed => "sealed",
            Self::Unsealed => "unsealed",
            Self::WaitingForApproval => "waiting_for_approval",
            Self::Approved => "approved",
            Self::Broken => "broken",
        }
    }
}

/// Seal the shared entry for the user it is shared with (needs `seal` on the entry).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealRequest {
    /// The authorised persons, by account name or id: each must hold admin rights on the database (Database or
    /// Server Administrator, or `grant_admin` on it).
    pub authorized: Vec<String>,
}

/// One seal: whom the entry is sealed for, its state now and who decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SealView {
    pub database: String,
    pub entry: String,
    /// The user the entry is sealed for.
    pub recipient: String,
    /// The state now: an approval whose time has run out reads `sealed`.
    pub state: SealStateName,
    /// The last reason given (the request's, or an authorised person's).
    pub reason: Option<String>,
    /// With `approved` (and the `broken` that follows it): the end of the check-out, RFC 3339.
    pub approved_until: Option<String>,
    pub authorized: Vec<String>,
    pub sealed_by: String,
    pub created_at: String,
    pub changed_by: String,
    pub changed_at: String,
}

/// The seals of an entry that the caller may read: its own, and those it is an authorised person of.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SealList {
    pub database: String,
    pub entry: String,
    pub seals: Vec<SealView>,
}

/// The recipient asks to open a sealed entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsealRequest {
    /// Why (one line, at most 1000 characters); kept in the server log (308).
    pub reason: String,
}

/// An authorised person sets the state of a seal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSealRequest {
    pub state: SealStateName,
    /// Required when denying a request (waiting_for_approval → sealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Only with `approved`: RFC 3339, in the future; the seal closes again then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_until: Option<String>,
}

/// An authorised person adds other authorised persons.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAuthorizedRequest {
    /// Account names or ids; each must hold admin rights on the database.
    pub users: Vec<String>,
}
