//! Typed identifiers of the objects permissions are set on: databases, folders and entries.
//!
//! Same shape as [`crate::ids`] (a uuid newtype per kind, so a folder id cannot be passed where an entry id is
//! expected); they live here until the vault model that owns databases, folders and entries exists.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! object_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random identifier.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

object_id!(
    /// Identifies a database (a shared vault on the server).
    DatabaseId
);
object_id!(
    /// Identifies a folder inside a database.
    FolderId
);
object_id!(
    /// Identifies an entry (a password, a card, a licence, …) inside a database.
    EntryId
);
