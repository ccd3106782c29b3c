//! What account administration writes to the server log (seed manual, Event IDs): users created or changed (608)
//! and deleted (610), groups created or changed, members included (606), and deleted (611), passwords set (104),
//! sessions ended by an administrator (613), and the lists sent (625 users, 626 groups). A change is described
//! by what changed, never by a password.

use super::model::{Group, RoleSet, User};
use super::service::AccountService;
use crate::audit::AuditEvent;
use crate::caller::Caller;

impl AccountService {
    /// Notes an event about something done already (see [`crate::audit::AuditLog::note`]).
    pub(super) async fn note(&self, event: AuditEvent) {
        self.auth.audit().note(event).await;
    }

    /// 608: a user was created or changed; `what` says how.
    pub(super) async fn note_user(&self, by: &Caller, user: &User, what: String) {
        self.note(AuditEvent::new(608).by(by).object(user.id, user.account.clone()).new_object(what)).await;
    }

    /// 606: a group was created or changed; `what` says how.
    pub(super) async fn note_group(&self, by: &Caller, group: &Group, what: String) {
        self.note(AuditEvent::new(606).by(by).object(group.id, group.name.clone()).new_object(what)).await;
    }
}

/// What a new user was given, for its creation record.
pub(super) fn user_created(user: &User) -> String {
    let mut parts = vec!["created".to_owned()];
    if !user.roles.is_empty() {
        parts.push(format!("roles: {}", roles(user.roles)));
    }
    if user.options.deactivated {
        parts.push("deactivated".to_owned());
    }
    parts.join("; ")
}

/// What an update changed, by name: `name: old → new; roles: …; deactivated; profile`. Values other than the
/// account name and the roles are left out; "no change" when the update changed nothing.
pub(super) fn user_changes(before: &User, after: &User, groups_given: bool) -> String {
    let mut parts = Vec::new();
    if before.account != after.account {
        parts.push(format!("name: {} → {}", before.account, after.account));
    }
    if before.profile != after.profile {
        parts.push("profile".to_owned());
    }
    match (before.options.deactivated, after.options.deactivated) {
        (false, true) => parts.push("deactivated".to_owned()),
        (true, false) => parts.push("reactivated".to_owned()),
        _ => {}
    }
    let (mut b, mut a) = (before.options, after.options);
    (b.deactivated, a.deactivated) = (false, false);
    if a != b {
        parts.push("account options".to_owned());
    }
    if before.roles != after.roles {
        parts.push(format!("roles: {}", roles(after.roles)));
    }
    if before.allowed_addresses != after.allowed_addresses {
        parts.push("allowed addresses".to_owned());
    }
    if groups_given {
        parts.push("groups".to_owned());
    }
    if parts.is_empty() { "no change".to_owned() } else { parts.join("; ") }
}

/// What a group update changed, by name.
pub(super) fn group_changes(before: &Group, after: &Group) -> String {
    let mut parts = Vec::new();
    if before.name != after.name {
        parts.push(format!("name: {} → {}", before.name, after.name));
    }
    if before.email != after.email {
        parts.push("e-mail".to_owned());
    }
    if before.description != after.description {
        parts.push("description".to_owned());
    }
    match (before.disabled, after.disabled) {
        (false, true) => parts.push("disabled".to_owned()),
        (true, false) => parts.push("enabled".to_owned()),
        _ => {}
    }
    if parts.is_empty() { "no change".to_owned() } else { parts.join("; ") }
}

/// The roles' titles, or "none".
fn roles(set: RoleSet) -> String {
    if set.is_empty() {
        return "none".to_owned();
    }
    set.iter().map(super::Role::title).collect::<Vec<_>>().join(", ")
}
