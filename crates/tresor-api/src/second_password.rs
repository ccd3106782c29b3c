//! Second passwords of entries on the wire: the header that gives one, and setting or removing one
//! (`/vault/databases/{db}/entries/{entry}/second-password`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::WirePassword;

/// The header that gives an entry's second password: with `reveal=true`, an old version revealed, the TOTP code
/// and document downloads of an entry that has one; and the current one when changing or removing it.
pub const SECOND_PASSWORD_HEADER: &str = "tresor-second-password";

/// Set or change an entry's second password (needs `set_second_password` on the entry; to change one, the current
/// one in the `tresor-second-password` header).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondPasswordRequest {
    #[schema(value_type = String)]
    pub password: WirePassword,
}
