//! Tests of the permission model: one rule per unit test, the manual's example, and properties checked against a
//! deliberately naive reference model.

// Tests fail loudly on impossible states; unwrap is the clearest way to say "this cannot fail here".
#![allow(clippy::unwrap_used)]

mod manual;
mod properties;
mod reference;
mod rules;

use super::*;
use crate::clock::Timestamp;
use crate::ids::{GroupId, UserId};

pub(super) const NOW: Timestamp = Timestamp::from_millis(1_000_000);

/// A database under construction, with the users, groups, grants and policy around it.
pub(super) struct World {
    pub db: DatabaseId,
    pub name: String,
    pub folders: Vec<FolderNode>,
    pub entries: Vec<EntryNode>,
    pub grants: Vec<Grant>,
    pub policy: ServerPolicy,
    pub members: Memberships,
}

impl World {
    pub fn new(name: &str) -> Self {
        Self {
            db: DatabaseId::random(),
            name: name.into(),
            folders: vec![],
            entries: vec![],
            grants: vec![],
            policy: ServerPolicy::default(),
            members: Memberships::new(),
        }
    }
    pub fn folder(&mut self, name: &str, parent: Option<FolderId>) -> FolderId {
        let id = FolderId::random();
        self.folders.push(FolderNode { id, parent, name: name.into() });
        id
    }
    pub fn entry(&mut self, folder: Option<FolderId>) -> EntryId {
        let id = EntryId::random();
        self.entries.push(EntryNode { id, folder });
        id
    }
    pub fn user(&mut self, name: &str) -> UserId {
        let id = UserId::random();
        self.members.add_user(id, name);
        id
    }
    pub fn group(&mut self, name: &str, disabled: bool) -> GroupId {
        let id = GroupId::random();
        self.members.add_group(id, name, disabled);
        id
    }
    pub fn grant(&mut self, object: Object, subject: impl Into<Subject>, p: Permission, setting: Setting) {
        self.grants.push(Grant::new(object, subject.into(), p, setting));
    }
    /// Access and read: what makes an object visible.
    pub fn let_see(&mut self, object: Object, subject: impl Into<Subject> + Copy) {
        self.grant(object, subject, Permission::Access, Setting::Allow);
        self.grant(object, subject, Permission::Read, Setting::Allow);
    }
    pub fn database(&self) -> Object {
        Object::Database(self.db)
    }
    pub fn tree(&self) -> DatabaseTree {
        DatabaseTree::build(self.db, self.name.clone(), self.folders.clone(), self.entries.clone()).unwrap()
    }
    pub fn resolver<'a>(&'a self, tree: &'a DatabaseTree, user: UserId, now: Timestamp) -> Resolver<'a> {
        Resolver::new(tree, &self.grants, &self.policy, &self.members, user, now)
    }
}
