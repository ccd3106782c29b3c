//! The domain's error: what went wrong, in terms a caller can act on. The HTTP layer maps each variant to one
//! status and one stable code; nothing here mentions HTTP.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    Validation(String),
    /// A value the request names does not exist as such (an unknown entry type or field) or is malformed (a
    /// TOTP secret that is not base32): the request itself is wrong.
    #[error("{0}")]
    InvalidInput(String),
    #[error("no session, or the session has ended; log in again")]
    Unauthenticated,
    #[error("wrong account name or password")]
    InvalidCredentials,
    #[error("this account is deactivated; an administrator can reactivate it")]
    AccountDisabled,
    #[error("connections to this account are not allowed from {0}")]
    AddressNotAllowed(std::net::IpAddr),
    #[error("the password must be changed before anything else")]
    PasswordChangeRequired,
    #[error("this account may not change its password")]
    PasswordChangeNotAllowed,
    #[error("{0}")]
    Forbidden(String),
    #[error("the built-in super administrator manages the server but cannot act as a client")]
    SuperAdminNotAClient,
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    GroupCycle(String),
    #[error("all {licensed} licensed seats are taken; without a licence the server allows at most 3 users")]
    SeatLimitReached { licensed: u64 },
    #[error("{0}")]
    Conflict(String),
    /// An update based on an older version than the current one.
    #[error("the entry was changed meanwhile; its current version is {current}")]
    Stale { current: u32 },
    /// A write whose precondition (`If-Match`) names a version the entry has moved on from.
    #[error("the entry is at version {current}, not the version this change was based on; read it again")]
    PreconditionFailed { current: u32 },
    /// Another session holds the entry's lock: the entry is being edited.
    #[error("the entry is being edited by {} since {}; the lock runs out at {} unless released earlier", .0.holder, .0.lock.taken_at.to_rfc3339(), .0.lock.expires_at.to_rfc3339())]
    Locked(Box<crate::vault::service::LockHolder>),
    /// A release of a lock this session does not hold.
    #[error("{0}")]
    LockNotHeld(String),
    /// The entry is sealed for the caller: its secrets wait for an authorised person's approval. The text says
    /// what state the seal is in.
    #[error("{0}")]
    Sealed(String),
    #[error("this entry is protected by a second password; give it to release its secrets")]
    SecondPasswordRequired,
    #[error("the entry's second password is wrong")]
    SecondPasswordWrong,
    #[error("this database asks for a reason when an entry is deleted")]
    ReasonRequired,
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("this database's properties and permissions are protected by its custom password; give it")]
    DatabasePasswordRequired,
    #[error("the database's custom password is wrong")]
    DatabasePasswordWrong,
    /// Stored data that does not open: altered, moved or sealed with another key. Nothing of it is returned.
    #[error("{0}")]
    Undecryptable(String),
    /// Too many login attempts from this address; try again after `retry_after`.
    #[error("too many login attempts from this address; try again in {} seconds", retry_after.as_millis().div_ceil(1000).max(1))]
    RateLimited { retry_after: std::time::Duration },
    #[error("the server is paused: only administrators can work until it is continued")]
    ServerPaused,
    /// Stored sign-in settings do not read; the text names them.
    #[error("the server's sign-in settings ({0}) are damaged: only administrators can log in until they are set again")]
    SettingsDamaged(String),
    #[error("this server does not accept {0} clients")]
    ClientNotAllowed(&'static str),
    #[error("this account is logged on from another address, and the server allows one connection per user")]
    AlreadyLoggedOn,
    /// No such pending login, or it expired, or it was completed already.
    #[error("this sign-in has expired or was completed already; log in again")]
    SecondFactorExpired,
    #[error("the code is wrong")]
    SecondFactorInvalid,
    #[error("this code was used already; wait for the next one")]
    SecondFactorReused,
    #[error("a code is six digits, or a recovery code such as abcde-23456")]
    SecondFactorMalformed,
    #[error("{0}")]
    SecondFactorUnavailable(String),
    #[error("the sign-in code could not be sent; try again later or ask an administrator")]
    CodeNotSent,
    /// Sending a message failed; the text says why (never with the mail server's password).
    #[error("{0}")]
    MailFailed(String),
    /// The server log cannot be written, so what would have to be recorded (releasing a secret) is refused.
    #[error("the server log cannot be written at the moment; nothing was released")]
    AuditUnavailable,
    #[error("the store is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("the master key does not belong to this store: start the server with the key file it was created with")]
    MasterKeyMismatch,
    #[error("internal error")]
    Internal(String),
}

impl CoreError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => CoreError::Duplicate(format!("{what} already exists")),
            StoreError::NotFound(what) => CoreError::NotFound { what },
            StoreError::SeatLimit { licensed } => CoreError::SeatLimitReached { licensed },
            StoreError::WouldCycle => {
                CoreError::GroupCycle("that membership would make a group contain itself".to_owned())
            }
            StoreError::StaleVersion { current } => CoreError::Stale { current },
            // Named by id here; the vault service names the holder by account before it answers.
            StoreError::Locked(lock) => {
                CoreError::Locked(Box::new(crate::vault::service::LockHolder { holder: lock.user.to_string(), lock }))
            }
            StoreError::NotEmpty(what) => CoreError::Conflict(format!("{what} is not empty")),
            StoreError::Changed(what) => CoreError::Conflict(what),
            StoreError::FolderCycle => {
                CoreError::Validation("a folder cannot be moved into itself or one of its sub-folders".to_owned())
            }
            e @ StoreError::Unavailable(_) => CoreError::Unavailable(e),
            other => CoreError::Internal(other.to_string()),
        }
    }
}

impl From<tresor_crypto::CryptoError> for CoreError {
    fn from(e: tresor_crypto::CryptoError) -> Self {
        CoreError::Internal(e.to_string())
    }
}
