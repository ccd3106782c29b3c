//! The log's persistence port: the chained records, the chain's head, the positions of the workers that read the
//! log, and the notifications.

use async_trait::async_trait;

use super::notify::{Notification, NotificationDraft};
use super::record::{AuditEvent, AuditRecord};
use crate::clock::Timestamp;
use crate::events::Severity;
use crate::store::StoreError;

/// Which records a reader wants (seed manual, Log → Advanced filter). Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// The least severe level shown: `Warning` shows warnings and errors.
    pub severity: Option<Severity>,
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub to: Option<Timestamp>,
    /// A user's name or id, exactly (case-insensitive for names).
    pub user: Option<String>,
    pub address: Option<String>,
    pub events: Vec<u16>,
    /// A database's name or id.
    pub database: Option<String>,
    /// Case-insensitive substring of the object's name, or its id.
    pub object: Option<String>,
    /// Case-insensitive substring of any text of the record.
    pub text: Option<String>,
}

/// Where a page starts and which way it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogCursor {
    /// Newest first, from the record before `before` (from the newest when `None`).
    Newest { before: Option<u64> },
    /// Oldest first, from the record after `after` (what `tail -f` and the workers read).
    After { after: u64 },
}

/// The chain's head: the last record's number and hash, written with each append apart from the records.
pub type ChainHead = (u64, [u8; 32]);

#[async_trait]
pub trait AuditStore: Send + Sync + std::fmt::Debug + 'static {
    /// Appends the events in order, each at `at`, chained from the current head, and moves the head; one
    /// transaction, which nodes sharing a database take in turns. Returns the records as written.
    async fn append_audit(&self, events: Vec<(Timestamp, AuditEvent)>) -> Result<Vec<AuditRecord>, StoreError>;
    /// At most `limit` records matching `filter`, in the cursor's order.
    async fn audit_page(
        &self,
        filter: &LogFilter,
        cursor: LogCursor,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError>;
    /// The head written by the last append; `None` for an empty log.
    async fn audit_head(&self) -> Result<Option<ChainHead>, StoreError>;

    /// How far the worker `name` has read (0 before it starts).
    async fn audit_cursor(&self, name: &str) -> Result<u64, StoreError>;
    async fn set_audit_cursor(&self, name: &str, seq: u64) -> Result<(), StoreError>;

    async fn notifications(&self) -> Result<Vec<Notification>, StoreError>;
    /// Adds a notification; its id is the next number.
    async fn insert_notification(&self, draft: &NotificationDraft) -> Result<Notification, StoreError>;
    /// Replaces a notification's settings; [`StoreError::NotFound`] when there is none with the id.
    async fn update_notification(&self, id: u64, draft: &NotificationDraft) -> Result<Notification, StoreError>;
    async fn delete_notification(&self, id: u64) -> Result<(), StoreError>;
}
