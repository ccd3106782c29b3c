//! The persistence port. Each engine (SQLite, PostgreSQL) implements [`Store`]; the services hold it as
//! `Arc<dyn Store>`. Every write method is atomic: it happens completely or not at all.

use async_trait::async_trait;

use crate::accounts::{Group, Members, NamedRef, User};
use crate::clock::Timestamp;
use crate::ids::{GroupId, SessionId, UserId};
use crate::session::{EndReason, SessionRecord};

/// What can go wrong in a store, in terms the domain understands. Driver errors are mapped to these at the
/// boundary; their details go to the log, not to callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("all {licensed} licensed seats are taken")]
    SeatLimit { licensed: u64 },
    #[error("the membership would make a group contain itself")]
    WouldCycle,
    /// A folder move that would put the folder inside itself.
    #[error("the move would put a folder inside itself")]
    FolderCycle,
    /// A delete that is refused because something is still inside (a folder deleted without `recursive`).
    #[error("{0} is not empty")]
    NotEmpty(String),
    /// What a write was checked against changed before it ran (a folder's contents, for a recursive delete).
    #[error("{0}")]
    Changed(String),
    /// An update that started from an older version than the current one (optimistic concurrency).
    #[error("the entry has changed since it was read: its current version is {current}")]
    StaleVersion { current: u32 },
    /// Another session holds a live lock on the entry.
    #[error("the entry is locked by another session")]
    Locked(crate::vault::EntryLock),
    #[error("the database schema is at version {found}, newer than this server knows ({known}); upgrade Tresor")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("store error: {0}")]
    Other(String),
}

/// Every group and every group-in-group membership: what the permission model needs to work out a user's
/// effective groups ([`Memberships`](crate::permissions::Memberships)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupGraph {
    /// `(group, name, disabled)`.
    pub groups: Vec<(GroupId, String, bool)>,
    /// `(child, parent)`: `child` is a member of `parent`.
    pub edges: Vec<(GroupId, GroupId)>,
}

/// Filter and paging of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Case-insensitive substring.
    pub q: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

/// A page of results and the number of matches over all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// The check a store runs, inside the transaction that adds a group to a group, over all current
/// `(parent, child)` group memberships. It returns true when the new membership must be refused.
pub type CycleCheck<'a> = &'a (dyn Fn(&[(GroupId, GroupId)]) -> bool + Send + Sync);

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// `sqlite` or `postgres`.
    fn engine(&self) -> &'static str;
    /// Answers when the store can serve requests.
    async fn ping(&self) -> Result<(), StoreError>;

    // --- server metadata ---------------------------------------------------------------------------------
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes `value` unless the key exists; returns whether it wrote.
    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError>;
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Writes several settings in one transaction: all of them or none.
    async fn put_settings(&self, pairs: &[(&str, String)]) -> Result<(), StoreError>;

    // --- users ------------------------------------------------------------------------------------------------
    /// Inserts a user with its password verifier and direct group memberships. A user of kind `User` is refused
    /// with [`StoreError::SeatLimit`] when `seat_limit` such users exist already; the count and the insert are one
    /// atomic step, so concurrent creations cannot overshoot.
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        member_of: &[GroupId],
        seat_limit: u64,
    ) -> Result<(), StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Looks a user up by account name, case-insensitively.
    async fn user_by_account(&self, account: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(&self, filter: &ListFilter) -> Result<Page<User>, StoreError>;
    /// Replaces a user's fields; when `member_of` is given, also replaces its direct group memberships.
    async fn update_user(&self, user: &User, member_of: Option<&[GroupId]>) -> Result<(), StoreError>;
    /// Deletes a user with its memberships and sessions; returns whether it existed.
    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError>;
    async fn password_hash(&self, id: UserId) -> Result<Option<String>, StoreError>;
    /// Sets the verifier and the "must change password at next logon" option together.
    async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        must_change: bool,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Users of kind `User`: the seats in use.
    async fn count_seat_users(&self) -> Result<u64, StoreError>;
    /// The groups a user is a direct member of.
    async fn user_groups(&self, id: UserId) -> Result<Vec<NamedRef<GroupId>>, StoreError>;

    // --- groups -----------------------------------------------------------------------------------------------
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError>;
    async fn group(&self, id: GroupId) -> Result<Option<Group>, StoreError>;
    async fn group_by_name(&self, name: &str) -> Result<Option<Group>, StoreError>;
    async fn list_groups(&self, filter: &ListFilter) -> Result<Page<Group>, StoreError>;
    async fn update_group(&self, group: &Group) -> Result<(), StoreError>;
    async fn delete_group(&self, id: GroupId) -> Result<bool, StoreError>;
    async fn group_members(&self, id: GroupId) -> Result<Members, StoreError>;
    /// Every group and group-in-group membership, in two reads.
    async fn group_graph(&self) -> Result<GroupGraph, StoreError>;
    /// Every `(user, group)` direct membership, with each user's account name: for administrators' questions
    /// about many users at once (the dry run of a grant).
    async fn user_memberships(&self) -> Result<Vec<(UserId, String, Option<GroupId>)>, StoreError>;
    /// The groups a group is a direct member of.
    async fn group_parents(&self, id: GroupId) -> Result<Vec<NamedRef<GroupId>>, StoreError>;
    /// Adds a user to a group; returns false if it was a member already.
    async fn add_user_to_group(&self, group: GroupId, user: UserId) -> Result<bool, StoreError>;
    async fn remove_user_from_group(&self, group: GroupId, user: UserId) -> Result<bool, StoreError>;
    /// Adds `child` to `parent` unless `refuse` says no over the memberships as they are inside the same
    /// transaction ([`StoreError::WouldCycle`]); returns false if it was a member already.
    async fn add_group_to_group(
        &self,
        parent: GroupId,
        child: GroupId,
        refuse: CycleCheck<'_>,
    ) -> Result<bool, StoreError>;
    async fn remove_group_from_group(&self, parent: GroupId, child: GroupId) -> Result<bool, StoreError>;

    // --- sessions ---------------------------------------------------------------------------------------------
    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    async fn session_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError>;
    async fn session(&self, id: SessionId) -> Result<Option<SessionRecord>, StoreError>;
    async fn touch_session(&self, id: SessionId, last_seen: Timestamp) -> Result<(), StoreError>;
    /// Ends a live session; returns false if it had ended already or does not exist.
    async fn end_session(&self, id: SessionId, reason: EndReason, at: Timestamp) -> Result<bool, StoreError>;
    /// Ends every live session of a user; returns how many.
    async fn end_user_sessions(&self, user: UserId, reason: EndReason, at: Timestamp) -> Result<u64, StoreError>;
    /// Sessions not ended and not past their absolute expiry at `now`, oldest first.
    async fn live_sessions(&self, now: Timestamp) -> Result<Vec<SessionRecord>, StoreError>;
}
