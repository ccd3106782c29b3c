//! Sessions: what a login creates, how it ends, and the token that names it.

use std::net::IpAddr;

use tresor_crypto::{CryptoError, random_array, sha256};
use zeroize::Zeroizing;

use crate::clock::Timestamp;
use crate::ids::{SessionId, UserId};

/// The kind of client that opened a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    Cli,
    Web,
    Api,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Cli => "cli",
            ClientKind::Web => "web",
            ClientKind::Api => "api",
        }
    }
    pub fn parse(s: &str) -> Option<ClientKind> {
        match s {
            "cli" => Some(ClientKind::Cli),
            "web" => Some(ClientKind::Web),
            "api" => Some(ClientKind::Api),
            _ => None,
        }
    }
}

/// Why a session ended; kept with the session for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    Logout,
    /// An administrator disconnected it.
    Disconnected,
    /// The account was deactivated or deleted, or its password was reset.
    AccountChanged,
    /// Idle or absolute expiry.
    Expired,
    /// A new login of the same user closed it (Connections → "close existing connection").
    Replaced,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Disconnected => "disconnected",
            EndReason::AccountChanged => "account_changed",
            EndReason::Expired => "expired",
            EndReason::Replaced => "replaced",
        }
    }
    pub fn parse(s: &str) -> Option<EndReason> {
        match s {
            "logout" => Some(EndReason::Logout),
            "disconnected" => Some(EndReason::Disconnected),
            "account_changed" => Some(EndReason::AccountChanged),
            "expired" => Some(EndReason::Expired),
            "replaced" => Some(EndReason::Replaced),
            _ => None,
        }
    }
}

/// A session as stored. The token itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub token_hash: [u8; 32],
    pub user_id: UserId,
    pub client: ClientKind,
    pub address: IpAddr,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<EndReason>,
}

/// The prefix of every session token, so that a leaked token is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "tresor_st_";

/// A bearer token: 256 random bits, shown once to the client. Its `Debug` is redacted.
pub struct SessionToken(Zeroizing<String>);

impl SessionToken {
    pub fn generate() -> Result<Self, CryptoError> {
        let bytes = Zeroizing::new(random_array::<32>()?);
        let mut s = String::with_capacity(TOKEN_PREFIX.len() + 64);
        s.push_str(TOKEN_PREFIX);
        for b in bytes.iter() {
            s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
        }
        Ok(Self(Zeroizing::new(s)))
    }
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    pub fn hash(&self) -> [u8; 32] {
        token_hash(&self.0)
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// The stored form of a presented token.
pub fn token_hash(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}
