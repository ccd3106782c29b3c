//! Typed identifiers: a user id cannot be passed where a group id is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
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

id_type!(
    /// Identifies a user, including the built-in super administrator.
    UserId
);
id_type!(
    /// Identifies a group.
    GroupId
);
id_type!(
    /// Identifies a session (not its token: the token is a secret, the id is what administrators see).
    SessionId
);
id_type!(
    /// Identifies a shared password database.
    DatabaseId
);
id_type!(
    /// Identifies a folder inside a database.
    FolderId
);
id_type!(
    /// Identifies an entry (a password, a card, a licence, …) inside a database.
    EntryId
);
id_type!(
    /// Identifies a file attached to an entry.
    AttachmentId
);
