//! The group use cases (seed manual: Groups, Group Properties): creating, changing and deleting groups, and their
//! members, users and nested groups alike, under the rule that no group may contain itself.

use super::model::*;
use super::service::{AccountService, GroupDetails, duplicate_group, guard_target, shorten};
use super::would_create_cycle;
use crate::audit::AuditEvent;
use crate::caller::ManageAccounts;
use crate::error::CoreError;
use crate::ids::GroupId;
use crate::store::{ListFilter, Page};
use crate::validate;

impl AccountService {
    pub async fn create_group(&self, cap: &ManageAccounts, new: NewGroup) -> Result<GroupDetails, CoreError> {
        let now = self.clock.now();
        let group = Group {
            id: GroupId::random(),
            name: validate::name("group name", &new.name)?,
            email: validate::email(&new.email)?,
            description: validate::text("description", &new.description, 1024)?,
            disabled: new.disabled,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_group(&group).await.map_err(|e| duplicate_group(e, &group.name))?;
        tracing::info!(actor = %cap.actor(), group = %group.name, "group created");
        let what = if group.disabled { "created; disabled" } else { "created" };
        self.note_group(cap.caller(), &group, what.to_owned()).await;
        self.group_details(group).await
    }

    pub async fn group(&self, _cap: &ManageAccounts, key: &str) -> Result<GroupDetails, CoreError> {
        let group = self.resolve_group(key).await?;
        self.group_details(group).await
    }

    /// A page of groups (626, "A list of groups was sent to the admin").
    pub async fn list_groups(
        &self,
        cap: &ManageAccounts,
        filter: &ListFilter,
    ) -> Result<Page<GroupDetails>, CoreError> {
        let page = self.store.list_groups(filter).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for group in page.items {
            items.push(self.group_details(group).await?);
        }
        self.note(AuditEvent::new(626).by(cap.caller())).await;
        Ok(Page { items, total: page.total })
    }

    pub async fn update_group(
        &self,
        cap: &ManageAccounts,
        key: &str,
        patch: GroupPatch,
    ) -> Result<GroupDetails, CoreError> {
        let mut group = self.resolve_group(key).await?;
        let before = group.clone();
        if let Some(n) = &patch.name {
            group.name = validate::name("group name", n)?;
        }
        if let Some(e) = &patch.email {
            group.email = validate::email(e)?;
        }
        if let Some(d) = &patch.description {
            group.description = validate::text("description", d, 1024)?;
        }
        if let Some(d) = patch.disabled {
            group.disabled = d;
        }
        group.updated_at = self.clock.now();
        self.store.update_group(&group).await.map_err(|e| duplicate_group(e, &group.name))?;
        self.auth.forget_all();
        self.groups_changed();
        tracing::info!(actor = %cap.actor(), group = %group.name, "group changed");
        self.note_group(cap.caller(), &group, super::audit::group_changes(&before, &group)).await;
        self.group_details(group).await
    }

    pub async fn delete_group(&self, cap: &ManageAccounts, key: &str) -> Result<(), CoreError> {
        let group = self.resolve_group(key).await?;
        if !self.store.delete_group(group.id).await? {
            return Err(CoreError::not_found(format!("group '{}'", shorten(key))));
        }
        self.auth.forget_all();
        self.groups_changed();
        tracing::info!(actor = %cap.actor(), group = %group.name, "group deleted");
        self.note(AuditEvent::new(611).by(cap.caller()).object(group.id, group.name.clone())).await;
        Ok(())
    }

    /// Adds a user to a group; adding a member twice is not an error.
    pub async fn add_user_to_group(
        &self,
        cap: &ManageAccounts,
        group: &str,
        user: &str,
    ) -> Result<GroupDetails, CoreError> {
        let group = self.resolve_group(group).await?;
        let user = self.resolve_user(user).await?;
        if user.is_super_admin() {
            return Err(CoreError::Validation("the super administrator cannot be a member of groups".into()));
        }
        guard_target(cap, &user)?;
        self.store.add_user_to_group(group.id, user.id).await?;
        self.auth.forget_user(user.id);
        tracing::info!(actor = %cap.actor(), group = %group.name, user = %user.account, "member added");
        self.note_group(cap.caller(), &group, format!("member added: user {}", user.account)).await;
        self.group_details(group).await
    }

    pub async fn remove_user_from_group(
        &self,
        cap: &ManageAccounts,
        group: &str,
        user: &str,
    ) -> Result<GroupDetails, CoreError> {
        let group = self.resolve_group(group).await?;
        let user = self.resolve_user(user).await?;
        guard_target(cap, &user)?;
        if !self.store.remove_user_from_group(group.id, user.id).await? {
            return Err(CoreError::Conflict(format!("'{}' is not a member of '{}'", user.account, group.name)));
        }
        self.auth.forget_user(user.id);
        tracing::info!(actor = %cap.actor(), group = %group.name, user = %user.account, "member removed");
        self.note_group(cap.caller(), &group, format!("member removed: user {}", user.account)).await;
        self.group_details(group).await
    }

    /// Makes `child` a member of `parent`, refusing any membership that would make a group contain itself.
    pub async fn add_group_to_group(
        &self,
        cap: &ManageAccounts,
        parent: &str,
        child: &str,
    ) -> Result<GroupDetails, CoreError> {
        let parent = self.resolve_group(parent).await?;
        let child = self.resolve_group(child).await?;
        let (p, c) = (parent.id, child.id);
        let refuse = move |edges: &[(GroupId, GroupId)]| would_create_cycle(edges, p, c);
        self.store.add_group_to_group(p, c, &refuse).await.map_err(|e| match e {
            crate::store::StoreError::WouldCycle => CoreError::GroupCycle(format!(
                "'{}' cannot be a member of '{}': '{}' would then contain itself",
                child.name, parent.name, parent.name
            )),
            e => e.into(),
        })?;
        self.groups_changed();
        tracing::info!(actor = %cap.actor(), group = %parent.name, member = %child.name, "member group added");
        self.note_group(cap.caller(), &parent, format!("member added: group {}", child.name)).await;
        self.group_details(parent).await
    }

    pub async fn remove_group_from_group(
        &self,
        cap: &ManageAccounts,
        parent: &str,
        child: &str,
    ) -> Result<GroupDetails, CoreError> {
        let parent = self.resolve_group(parent).await?;
        let child = self.resolve_group(child).await?;
        if !self.store.remove_group_from_group(parent.id, child.id).await? {
            return Err(CoreError::Conflict(format!("'{}' is not a member of '{}'", child.name, parent.name)));
        }
        self.groups_changed();
        tracing::info!(actor = %cap.actor(), group = %parent.name, member = %child.name, "member group removed");
        self.note_group(cap.caller(), &parent, format!("member removed: group {}", child.name)).await;
        self.group_details(parent).await
    }

    async fn resolve_group(&self, key: &str) -> Result<Group, CoreError> {
        super::service::find_group(self.store.as_ref(), key).await
    }

    /// Groups named in a request body; an unknown one is a validation error, not a missing resource.
    pub(super) async fn resolve_groups(&self, keys: &[String]) -> Result<Vec<GroupId>, CoreError> {
        let mut ids = Vec::with_capacity(keys.len());
        for key in keys {
            match self.resolve_group(key).await {
                Ok(g) if !ids.contains(&g.id) => ids.push(g.id),
                Ok(_) => {}
                Err(CoreError::NotFound { .. }) => {
                    return Err(CoreError::Validation(format!("there is no group '{}'", shorten(key))));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(ids)
    }

    async fn group_details(&self, group: Group) -> Result<GroupDetails, CoreError> {
        let members = self.store.group_members(group.id).await?;
        let member_of = self.store.group_parents(group.id).await?;
        Ok(GroupDetails { group, members, member_of })
    }
}
