//! A grant: one subject's [`Setting`] for one [`Permission`] on one [`Object`], optionally within a window.

use std::fmt;

use super::permission::{Permission, Setting};
use crate::clock::Timestamp;
use crate::ids::{DatabaseId, EntryId, FolderId};
use crate::ids::{GroupId, UserId};

/// Who a grant is for (manual, User permissions: "Permissions for users can also be applied to groups in the same
/// manner").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(UserId),
    Group(GroupId),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(u) => write!(f, "user {u}"),
            Subject::Group(g) => write!(f, "group {g}"),
        }
    }
}

impl From<UserId> for Subject {
    fn from(u: UserId) -> Self {
        Subject::User(u)
    }
}

impl From<GroupId> for Subject {
    fn from(g: GroupId) -> Self {
        Subject::Group(g)
    }
}

/// What a grant is set on: a database (the General tab), or a folder or entry (the Entries and folders tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    Database(DatabaseId),
    Folder(FolderId),
    Entry(EntryId),
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Database(d) => write!(f, "database {d}"),
            Object::Folder(x) => write!(f, "folder {x}"),
            Object::Entry(e) => write!(f, "entry {e}"),
        }
    }
}

/// One row of a database's permissions: `subject` has `setting` for `permission` on `object`.
///
/// The window is half-open: the grant counts from `valid_from` inclusive until `valid_to` exclusive, so a grant
/// that ends at an instant and one that starts at that instant never overlap, and "valid to" a day is stored as
/// the first instant of the next day. An absent bound is open. A window that is empty (`valid_from >= valid_to`)
/// never counts. The manual (Permissions → General: "add a time limit to a granted access by setting start and
/// end dates using Valid from and Valid to") does not say whether the end is included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub object: Object,
    pub subject: Subject,
    pub permission: Permission,
    pub setting: Setting,
    pub valid_from: Option<Timestamp>,
    pub valid_to: Option<Timestamp>,
}

/// Why a grant cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("{0} is a database-wide permission: it cannot be set on a folder or an entry")]
    DatabaseOnly(Permission),
    #[error("the validity window is empty: valid_from must be before valid_to")]
    EmptyWindow,
}

impl Grant {
    /// A grant with no time limit.
    pub fn new(object: Object, subject: Subject, permission: Permission, setting: Setting) -> Self {
        Self { object, subject, permission, setting, valid_from: None, valid_to: None }
    }

    /// The same grant, limited to `[from, to)`.
    pub fn within(mut self, from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        self.valid_from = from;
        self.valid_to = to;
        self
    }

    /// Whether the grant counts at `now` (inclusive start, exclusive end).
    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.valid_from.is_none_or(|from| from <= now) && self.valid_to.is_none_or(|to| now < to)
    }

    /// Whether the permission can be set on the grant's object at all (the Entries and folders tab offers seven).
    pub fn fits_its_level(&self) -> bool {
        matches!(self.object, Object::Database(_)) || self.permission.applies_below_database()
    }

    /// The checks a service makes before storing a grant. The resolver ignores grants that fail
    /// [`fits_its_level`](Self::fits_its_level) and an empty window never counts, so a bad row that slipped into a
    /// store changes nobody's rights.
    pub fn validate(&self) -> Result<(), GrantError> {
        if !self.fits_its_level() {
            return Err(GrantError::DatabaseOnly(self.permission));
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to)
            && from >= to
        {
            return Err(GrantError::EmptyWindow);
        }
        Ok(())
    }
}
