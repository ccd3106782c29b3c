//! Entry locks and write preconditions: what keeps two people from editing one entry at once (seed manual 001:
//! "Password Depot Enterprise Server locks the entry that is currently being edited so that no other changes can be
//! made by other users at the same time"), and what keeps a client that never locks from overwriting a change it
//! did not see.
//!
//! A lock belongs to a session. It counts only while it has not expired (Server Settings → Additional → "Edit
//! entries": the time limit) and its session is live, so that logging out, a session that ends or is disconnected,
//! and the time limit all release it on every node at once, without a message to any of them: the store answers
//! with live locks only. Every write to an entry names its session ([`WriteCheck`]) and is refused, inside its own
//! transaction, while another session holds a live lock.

use crate::clock::Timestamp;
use crate::ids::{DatabaseId, EntryId, SessionId, UserId};

/// A live lock on an entry: who holds it, from which session, since when and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryLock {
    pub database: DatabaseId,
    pub entry: EntryId,
    pub user: UserId,
    pub session: SessionId,
    pub taken_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Who writes to an entry, when, and on which version the change was based: checked by the store in the write's
/// own transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteCheck {
    /// The writing session: a live lock of any other session refuses the write.
    pub session: SessionId,
    /// Refuse the write unless the entry is still at this version.
    pub expected_version: Option<u32>,
    pub at: Timestamp,
}

/// Default time limit of a lock: 30 minutes.
pub const DEFAULT_LOCK_SECS: u32 = 30 * 60;
/// Shortest time limit an administrator may set: long enough to change a field.
pub const MIN_LOCK_SECS: u32 = 10;
/// Longest time limit: one day. A lock forgotten for longer than that blocks colleagues for no purpose.
pub const MAX_LOCK_SECS: u32 = 24 * 60 * 60;
