//! [`SqlStore`] as the core's [`Store`] port: each method hands over to the module that owns its table.

use async_trait::async_trait;
use tresor_core::accounts::{Members, NamedRef};
use tresor_core::session::{EndReason, SessionRecord};
use tresor_core::store::{CycleCheck, ListFilter, Page};
use tresor_core::{Group, GroupGraph, GroupId, SessionId, Store, StoreError, Timestamp, User, UserId};

use crate::error::GENERIC;
use crate::{SqlStore, groups, sessions, settings, users};

#[async_trait]
impl Store for SqlStore {
    fn engine(&self) -> &'static str {
        self.engine.as_str()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(self.fail(GENERIC))?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        settings::setting(self, key).await
    }
    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        settings::insert_setting_if_absent(self, key, value).await
    }
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        settings::put_setting(self, key, value).await
    }
    async fn put_settings(&self, pairs: &[(&str, String)]) -> Result<(), StoreError> {
        settings::put_settings(self, pairs).await
    }

    async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        member_of: &[GroupId],
        seat_limit: u64,
    ) -> Result<(), StoreError> {
        users::insert_user(self, user, password_hash, member_of, seat_limit).await
    }
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        users::user(self, id).await
    }
    async fn user_by_account(&self, account: &str) -> Result<Option<User>, StoreError> {
        users::user_by_account(self, account).await
    }
    async fn list_users(&self, filter: &ListFilter) -> Result<Page<User>, StoreError> {
        users::list_users(self, filter).await
    }
    async fn update_user(&self, user: &User, member_of: Option<&[GroupId]>) -> Result<(), StoreError> {
        users::update_user(self, user, member_of).await
    }
    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError> {
        users::delete_user(self, id).await
    }
    async fn password_hash(&self, id: UserId) -> Result<Option<String>, StoreError> {
        users::password_hash(self, id).await
    }
    async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
        must_change: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        users::set_password_hash(self, id, password_hash, must_change, at).await
    }
    async fn count_seat_users(&self) -> Result<u64, StoreError> {
        users::count_seat_users(self).await
    }
    async fn user_groups(&self, id: UserId) -> Result<Vec<NamedRef<GroupId>>, StoreError> {
        users::user_groups(self, id).await
    }

    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        groups::insert_group(self, group).await
    }
    async fn group(&self, id: GroupId) -> Result<Option<Group>, StoreError> {
        groups::group(self, id).await
    }
    async fn group_by_name(&self, name: &str) -> Result<Option<Group>, StoreError> {
        groups::group_by_name(self, name).await
    }
    async fn list_groups(&self, filter: &ListFilter) -> Result<Page<Group>, StoreError> {
        groups::list_groups(self, filter).await
    }
    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        groups::update_group(self, group).await
    }
    async fn delete_group(&self, id: GroupId) -> Result<bool, StoreError> {
        groups::delete_group(self, id).await
    }
    async fn group_members(&self, id: GroupId) -> Result<Members, StoreError> {
        groups::group_members(self, id).await
    }
    async fn group_graph(&self) -> Result<GroupGraph, StoreError> {
        groups::group_graph(self).await
    }
    async fn user_memberships(&self) -> Result<Vec<(UserId, String, Option<GroupId>)>, StoreError> {
        groups::user_memberships(self).await
    }
    async fn group_parents(&self, id: GroupId) -> Result<Vec<NamedRef<GroupId>>, StoreError> {
        groups::group_parents(self, id).await
    }
    async fn add_user_to_group(&self, group: GroupId, user: UserId) -> Result<bool, StoreError> {
        groups::add_user_to_group(self, group, user).await
    }
    async fn remove_user_from_group(&self, group: GroupId, user: UserId) -> Result<bool, StoreError> {
        groups::remove_user_from_group(self, group, user).await
    }
    async fn add_group_to_group(
        &self,
        parent: GroupId,
        child: GroupId,
        refuse: CycleCheck<'_>,
    ) -> Result<bool, StoreError> {
        groups::add_group_to_group(self, parent, child, refuse).await
    }
    async fn remove_group_from_group(&self, parent: GroupId, child: GroupId) -> Result<bool, StoreError> {
        groups::remove_group_from_group(self, parent, child).await
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        sessions::insert_session(self, session).await
    }
    async fn session_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        sessions::session_by_token_hash(self, token_hash).await
    }
    async fn session(&self, id: SessionId) -> Result<Option<SessionRecord>, StoreError> {
        sessions::session(self, id).await
    }
    async fn touch_session(&self, id: SessionId, last_seen: Timestamp) -> Result<(), StoreError> {
        sessions::touch_session(self, id, last_seen).await
    }
    async fn end_session(&self, id: SessionId, reason: EndReason, at: Timestamp) -> Result<bool, StoreError> {
        sessions::end_session(self, id, reason, at).await
    }
    async fn end_user_sessions(&self, user: UserId, reason: EndReason, at: Timestamp) -> Result<u64, StoreError> {
        sessions::end_user_sessions(self, user, reason, at).await
    }
    async fn live_sessions(&self, now: Timestamp) -> Result<Vec<SessionRecord>, StoreError> {
        sessions::live_sessions(self, now).await
    }
}
