//! A deliberately naive reference model, written from the prose of DESIGN §3 and nothing else: no bit sets, no
//! precomputation, no shared code with the resolver beyond the plain data types. Every question is answered by
//! walking from scratch.

use std::collections::HashMap;

use super::*;

/// The whole world as plain data.
pub(super) struct Model {
    pub database: DatabaseId,
    pub folder_parent: HashMap<FolderId, Option<FolderId>>,
    pub entry_folder: HashMap<EntryId, Option<FolderId>>,
    pub group_disabled: HashMap<GroupId, bool>,
    /// (child, parent): the child group is a member of the parent group.
    pub group_in_group: Vec<(GroupId, GroupId)>,
    pub user_in_group: Vec<(UserId, GroupId)>,
    pub policy: HashMap<Permission, PolicyState>,
    pub grants: Vec<Grant>,
}

/// "Folder and entry level: access to entries, read, modify, add, delete, grant access to other users, seal
/// entries" (issue 3, Permissions).
const FOLDER_AND_ENTRY_PERMISSIONS: [Permission; 7] = [
    Permission::Access,
    Permission::Read,
    Permission::Modify,
    Permission::Add,
    Permission::Delete,
    Permission::Share,
    Permission::Seal,
];

impl Model {
    fn enabled(&self, g: GroupId) -> bool {
        self.group_disabled.get(&g) == Some(&false)
    }

    /// A user belongs to a group if the group is enabled and the user is a direct member, or belongs to a group
    /// that is a member of it. (Generated group graphs are acyclic.)
    pub fn belongs(&self, user: UserId, group: GroupId) -> bool {
        self.enabled(group)
            && (self.user_in_group.contains(&(user, group))
                || self.group_in_group.iter().any(|(child, parent)| *parent == group && self.belongs(user, *child)))
    }

    fn is_for(&self, subject: Subject, user: UserId) -> bool {
        match subject {
            Subject::User(u) => u == user,
            Subject::Group(g) => self.belongs(user, g),
        }
    }

    /// A grant counts only inside its window: not before valid_from, and no longer once valid_to is reached.
    fn in_window(g: &Grant, now: Timestamp) -> bool {
        let started = match g.valid_from {
            None => true,
            Some(from) => now.as_millis() >= from.as_millis(),
        };
        let ended = match g.valid_to {
            None => false,
            Some(to) => now.as_millis() >= to.as_millis(),
        };
        started && !ended
    }

    /// Rule 1: one level's value is the merge of the user's and its groups' values there.
    pub fn level_value(&self, user: UserId, now: Timestamp, object: Object, p: Permission) -> Setting {
        let settable_here = matches!(object, Object::Database(_)) || FOLDER_AND_ENTRY_PERMISSIONS.contains(&p);
        let values: Vec<Setting> = self
            .grants
            .iter()
            .filter(|g| g.object == object && g.permission == p && settable_here)
            .filter(|g| self.is_for(g.subject, user) && Self::in_window(g, now))
            .map(|g| g.setting)
            .collect();
        if values.contains(&Setting::Deny) {
            Setting::Deny
        } else if values.contains(&Setting::Allow) {
            Setting::Allow
        } else {
            Setting::Undefined
        }
    }

    fn in_database(&self, object: Object) -> bool {
        match object {
            Object::Database(d) => d == self.database,
            Object::Folder(f) => self.folder_parent.contains_key(&f),
            Object::Entry(e) => self.entry_folder.contains_key(&e),
        }
    }

    /// The levels below the server policy, top-down, ending with the object itself.
    pub fn chain(&self, object: Object) -> Vec<Object> {
        let above = match object {
            Object::Database(_) => return vec![object],
            Object::Folder(f) => self.folder_parent[&f],
            Object::Entry(e) => self.entry_folder[&e],
        };
        let mut chain = match above {
            Some(folder) => self.chain(Object::Folder(folder)),
            None => vec![Object::Database(self.database)],
        };
        chain.push(object);
        chain
    }

    /// Rule 2: walk top-down; a Deny is final; an explicit value replaces the inherited one; Undefined inherits.
    pub fn walk(&self, user: UserId, now: Timestamp, object: Object, p: Permission) -> Setting {
        let policy = match self.policy.get(&p) {
            Some(PolicyState::Enabled) => Setting::Allow,
            Some(PolicyState::Disabled) => Setting::Deny,
            _ => Setting::Undefined,
        };
        let mut result = policy;
        for level in self.chain(object) {
            if result == Setting::Deny {
                break;
            }
            let here = self.level_value(user, now, level, p);
            if here != Setting::Undefined {
                result = here;
            }
        }
        result
    }

    fn allowed(&self, user: UserId, now: Timestamp, object: Object, p: Permission) -> bool {
        self.walk(user, now, object, p) == Setting::Allow
    }

    /// Visibility: access and read both Allow (entries, folders); a database is open when access to it is allowed
    /// or anything in it is visible.
    pub fn visible(&self, user: UserId, now: Timestamp, object: Object) -> bool {
        match object {
            Object::Database(_) => {
                self.allowed(user, now, object, Permission::Access)
                    || self.folder_parent.keys().any(|f| self.visible(user, now, Object::Folder(*f)))
                    || self.entry_folder.keys().any(|e| self.visible(user, now, Object::Entry(*e)))
            }
            _ => {
                self.allowed(user, now, object, Permission::Access) && self.allowed(user, now, object, Permission::Read)
            }
        }
    }

    /// A folder is listed if it or something below it is visible.
    pub fn listed(&self, user: UserId, now: Timestamp, object: Object) -> bool {
        let Object::Folder(folder) = object else { return self.visible(user, now, object) };
        self.visible(user, now, object)
            || self.entry_folder.iter().any(|(e, f)| *f == Some(folder) && self.visible(user, now, Object::Entry(*e)))
            || self.folder_parent.iter().any(|(c, p)| *p == Some(folder) && self.listed(user, now, Object::Folder(*c)))
    }

    /// Rule 3 and the visibility gate.
    pub fn granted(&self, user: UserId, now: Timestamp, object: Object, p: Permission) -> bool {
        if !self.in_database(object) {
            return false;
        }
        let gate = matches!(p, Permission::Access | Permission::Read) || self.visible(user, now, object);
        gate && self.allowed(user, now, object, p)
    }
}
