//! Who a user is for the permission model: the user and every group it belongs to, through nested groups.
//!
//! A disabled group contributes nothing (DESIGN §3, rule 1), and that includes what it would pass on: a user who
//! belongs to a group `Parent` only through a disabled group `Child` (Child ⊂ Parent) does not get Parent's
//! grants either. Disabling a group is how an administrator takes it out of the permission model, and a group
//! that still handed its members on to its parents would be half-disabled. A user who also reaches `Parent` by
//! another, enabled path keeps it. A group named in a membership but not known here is treated as disabled.

use std::collections::{HashMap, HashSet};

use super::grant::Subject;
use crate::ids::{GroupId, UserId};

#[derive(Debug, Clone)]
struct GroupInfo {
    name: String,
    disabled: bool,
    /// The groups this group is a member of.
    parents: Vec<GroupId>,
}

/// The groups, their nesting and their users, as the permission model needs them (loaded from the accounts).
#[derive(Debug, Clone, Default)]
pub struct Memberships {
    groups: HashMap<GroupId, GroupInfo>,
    user_groups: HashMap<UserId, Vec<GroupId>>,
    user_names: HashMap<UserId, String>,
}

impl Memberships {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a group (again: the latest name and flag win; memberships are kept).
    pub fn add_group(&mut self, id: GroupId, name: impl Into<String>, disabled: bool) {
        let info =
            self.groups.entry(id).or_insert_with(|| GroupInfo { name: String::new(), disabled, parents: vec![] });
        info.name = name.into();
        info.disabled = disabled;
    }

    /// The groups and their nesting as stored, with `user`'s direct groups.
    pub fn from_graph(graph: &crate::store::GroupGraph, user: UserId, direct: &[GroupId]) -> Self {
        let mut m = Self::new();
        for (id, name, disabled) in &graph.groups {
            m.add_group(*id, name.as_str(), *disabled);
        }
        for (child, parent) in &graph.edges {
            m.add_group_to_group(*child, *parent);
        }
        for g in direct {
            m.add_user_to_group(user, *g);
        }
        m
    }

    /// Registers a user's name, for explanations. Users need not be registered to be resolved.
    pub fn add_user(&mut self, id: UserId, name: impl Into<String>) {
        self.user_names.insert(id, name.into());
    }

    /// `user` is a direct member of `group`.
    pub fn add_user_to_group(&mut self, user: UserId, group: GroupId) {
        self.user_groups.entry(user).or_default().push(group);
    }

    /// `child` is a member of `parent`: the members of `child` belong to `parent` as well. The accounts module keeps
    /// this graph acyclic (`would_create_cycle`); a cycle here would still be walked only once.
    pub fn add_group_to_group(&mut self, child: GroupId, parent: GroupId) {
        let info = self.groups.entry(child).or_insert_with(|| GroupInfo {
            name: String::new(),
            disabled: true,
            parents: vec![],
        });
        info.parents.push(parent);
    }

    /// Whether the group is known and enabled.
    pub fn is_enabled(&self, group: GroupId) -> bool {
        self.groups.get(&group).is_some_and(|g| !g.disabled)
    }

    /// The groups whose grants count for `user`: every enabled group reachable from the user's direct groups
    /// through enabled groups only.
    pub fn effective_groups(&self, user: UserId) -> HashSet<GroupId> {
        let mut found = HashSet::new();
        let mut stack: Vec<GroupId> = self.user_groups.get(&user).into_iter().flatten().copied().collect();
        while let Some(g) = stack.pop() {
            let Some(info) = self.groups.get(&g) else { continue };
            if info.disabled || !found.insert(g) {
                continue;
            }
            stack.extend(info.parents.iter().copied());
        }
        found
    }

    /// The user and its effective groups: every subject whose grants count for `user`.
    pub fn effective_subjects(&self, user: UserId) -> HashSet<Subject> {
        let mut subjects: HashSet<Subject> = self.effective_groups(user).into_iter().map(Subject::Group).collect();
        subjects.insert(Subject::User(user));
        subjects
    }

    /// A subject's name, if known.
    pub fn name_of(&self, subject: Subject) -> Option<&str> {
        match subject {
            Subject::User(u) => self.user_names.get(&u).map(String::as_str),
            Subject::Group(g) => self.groups.get(&g).map(|i| i.name.as_str()).filter(|n| !n.is_empty()),
        }
    }
}
