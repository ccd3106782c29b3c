//! The one resolution function (DESIGN §3): what one user may do, at one instant, to each object of one database.
//!
//! [`Resolver::new`] does the work once per (user, database, instant): it computes the user's subjects (the user
//! and its enabled groups, transitively), keeps only the grants that count for them now, merges each level's
//! grants into two bit sets (allowed, denied), and walks the folder tree once, top-down, carrying the inherited
//! value. After that an entry costs one lookup among the entries that have grants of their own, and the listing
//! of a whole database is one pass over its entries.
//!
//! Per permission, the walk is DESIGN §3 rule 2 (manual, User permissions: "Settings defined at a higher level are
//! also valid at a lower level. Activated or undefined permissions can be changed at a lower level, whereas
//! deactivated permissions cannot"): a Deny is final, an explicit value below replaces the inherited one,
//! Undefined inherits. On bit sets that is `denied = denied_above | denied_here` and
//! `allowed = (allowed_above | allowed_here) - denied` (`Masks::below`); [`Setting::then_below`] is the same rule
//! on one value, and the explanation walks with it.

use std::collections::HashSet;

use super::grant::{Grant, Object, Subject};
use super::membership::Memberships;
use super::permission::{Permission, PermissionSet, ServerPolicy, Setting};
use super::tree::{DatabaseTree, ROOT};
use super::visibility;
use crate::clock::Timestamp;
use crate::ids::UserId;

/// One level's (or one resolved object's) value for every permission: a bit in `deny` is Deny, else a bit in
/// `allow` is Allow, else Undefined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Masks {
    pub(super) allow: PermissionSet,
    pub(super) deny: PermissionSet,
}

/// Access and read: together they make an object visible.
const SEE: PermissionSet = PermissionSet::EMPTY.with(Permission::Access).with(Permission::Read);

impl Masks {
    /// Adds one subject's value at this level (rule 1: any Deny → Deny, else any Allow → Allow).
    fn add(&mut self, permission: Permission, setting: Setting) {
        match setting {
            Setting::Undefined => {}
            Setting::Allow => self.allow.insert(permission),
            Setting::Deny => self.deny.insert(permission),
        }
    }

    /// The inherited value `self` after the level `here` (rule 2, on every permission at once).
    pub(super) fn below(self, here: Masks) -> Masks {
        let deny = self.deny.union(here.deny);
        Masks { allow: self.allow.union(here.allow).difference(deny), deny }
    }

    pub(super) fn setting(self, p: Permission) -> Setting {
        if self.deny.contains(p) {
            Setting::Deny
        } else if self.allow.contains(p) {
            Setting::Allow
        } else {
            Setting::Undefined
        }
    }

    /// Granted permissions (rule 3: only Allow grants).
    pub(super) fn granted(self) -> PermissionSet {
        self.allow.difference(self.deny)
    }

    /// Visible: access and read both resolve to Allow.
    pub(super) fn sees(self) -> bool {
        self.granted().intersection(SEE) == SEE
    }
}

/// Everything one user may do in one database at one instant. Cheap to query; build a new one when the user,
/// the database's grants or tree, the policy, the memberships or the time change.
#[derive(Debug)]
pub struct Resolver<'a> {
    pub(super) tree: &'a DatabaseTree,
    pub(super) grants: &'a [Grant],
    pub(super) memberships: &'a Memberships,
    pub(super) user: UserId,
    pub(super) now: Timestamp,
    pub(super) subjects: HashSet<Subject>,
    /// Indexes into `grants` of those that count: the user's subjects, active now, on an object of this tree,
    /// and a permission that can be set at that object's level. Kept for explanations.
    pub(super) counted: Vec<usize>,
    pub(super) policy: Masks,
    pub(super) database: Masks,
    /// Resolved value of each folder (tree index order).
    pub(super) folders: Vec<Masks>,
    /// The entries with grants of their own: (entry index, that level's merged value), sorted by index.
    pub(super) entry_levels: Vec<(u32, Masks)>,
    /// Whether each folder is listed: it or something below it is visible.
    pub(super) folder_listed: Vec<bool>,
    /// Whether the user can open the database: access to it is allowed, or something in it is visible.
    pub(super) database_open: bool,
}

impl<'a> Resolver<'a> {
    /// Resolves every folder of `tree` for `user` at `now`. `grants` may hold other databases' grants too; only
    /// those on this tree's objects count.
    pub fn new(
        tree: &'a DatabaseTree,
        grants: &'a [Grant],
        policy: &ServerPolicy,
        memberships: &'a Memberships,
        user: UserId,
        now: Timestamp,
    ) -> Self {
        let subjects = memberships.effective_subjects(user);
        let (allow, deny) = policy.as_level();
        let policy = Masks { allow, deny };
        let mut database_level = Masks::default();
        let mut folder_levels = vec![Masks::default(); tree.folders().len()];
        let mut entry_levels: Vec<(u32, Masks)> = Vec::new();
        let mut counted = Vec::new();
        for (i, g) in grants.iter().enumerate() {
            // A grant that cannot be set at its object's level is ignored (Grant::validate refuses it).
            if !g.fits_its_level() || !g.is_active_at(now) || !subjects.contains(&g.subject) {
                continue;
            }
            let level = match g.object {
                Object::Database(d) if d == tree.database() => &mut database_level,
                Object::Database(_) => continue,
                Object::Folder(f) => match tree.folder_idx(f) {
                    Some(fi) => &mut folder_levels[fi as usize],
                    None => continue,
                },
                Object::Entry(e) => match tree.entry_idx(e) {
                    Some(ei) => {
                        entry_levels.push((ei, Masks::default()));
                        let last = entry_levels.len() - 1;
                        &mut entry_levels[last].1
                    }
                    None => continue,
                },
            };
            level.add(g.permission, g.setting);
            counted.push(i);
        }
        entry_levels.sort_unstable_by_key(|(i, _)| *i);
        entry_levels.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = Masks { allow: kept.1.allow.union(later.1.allow), deny: kept.1.deny.union(later.1.deny) };
            }
            same
        });

        // One top-down pass: parents come before children in the tree's folder order.
        let database = policy.below(database_level);
        let mut folders = Vec::with_capacity(folder_levels.len());
        for (i, parent) in tree.folder_parents().iter().enumerate() {
            let inherited = if *parent == ROOT { database } else { folders[*parent as usize] };
            folders.push(inherited.below(folder_levels[i]));
        }
        let mut resolver = Self {
            tree,
            grants,
            memberships,
            user,
            now,
            subjects,
            counted,
            policy,
            database,
            folders,
            entry_levels,
            folder_listed: Vec::new(),
            database_open: false,
        };
        let (listed, anything_visible) = visibility::listed_folders(&resolver);
        resolver.folder_listed = listed;
        // Manual, Permissions: with Access to database but not Read, the user "will be able to access the database,
        // but not to view or edit its contents".
        resolver.database_open = anything_visible || resolver.database.granted().contains(Permission::Access);
        resolver
    }

    pub fn user(&self) -> UserId {
        self.user
    }
    pub fn now(&self) -> Timestamp {
        self.now
    }
    pub fn tree(&self) -> &'a DatabaseTree {
        self.tree
    }
    /// The user and every group whose grants count for it.
    pub fn subjects(&self) -> &HashSet<Subject> {
        &self.subjects
    }

    /// The resolved value of the folder or database an index points at ([`ROOT`]: the database).
    pub(super) fn container(&self, folder: u32) -> Masks {
        if folder == ROOT { self.database } else { self.folders[folder as usize] }
    }

    /// The entry level's own merged value (Undefined everywhere if it has no grants that count).
    pub(super) fn entry_level(&self, entry: u32) -> Masks {
        match self.entry_levels.binary_search_by_key(&entry, |(i, _)| *i) {
            Ok(at) => self.entry_levels[at].1,
            Err(_) => Masks::default(),
        }
    }

    /// Every permission's resolved value on the object, before the visibility gate; `None` if the object is not in
    /// this database.
    pub(super) fn masks(&self, object: Object) -> Option<Masks> {
        match object {
            Object::Database(d) => (d == self.tree.database()).then_some(self.database),
            Object::Folder(f) => self.tree.folder_idx(f).map(|i| self.folders[i as usize]),
            Object::Entry(e) => self
                .tree
                .entry_idx(e)
                .map(|i| self.container(self.tree.entry_folders()[i as usize]).below(self.entry_level(i))),
        }
    }

    /// The walk's result for one permission, before the visibility gate; `None` if the object is not in this
    /// database.
    pub fn setting(&self, object: Object, permission: Permission) -> Option<Setting> {
        self.masks(object).map(|m| m.setting(permission))
    }

    /// Whether the object is visible: for an entry or a folder, access and read both resolve to Allow on it; for
    /// the database, the user can open it (see [`Resolver::new`]).
    pub fn is_visible(&self, object: Object) -> bool {
        match object {
            Object::Database(d) => d == self.tree.database() && self.database_open,
            _ => self.masks(object).is_some_and(Masks::sees),
        }
    }

    /// Whether the object appears in the user's listing: a visible entry, a folder that is visible or holds
    /// something visible, the database if the user can open it.
    pub fn is_listed(&self, object: Object) -> bool {
        match object {
            Object::Folder(f) => self.tree.folder_idx(f).is_some_and(|i| self.folder_listed[i as usize]),
            _ => self.is_visible(object),
        }
    }

    /// Whether the user has `permission` on `object`: it resolves to Allow and, unless it is access or read
    /// themselves, the object is visible (DESIGN §3: the other permissions resolve "never on an object that is not
    /// visible"). Objects outside this database get nothing.
    pub fn resolve(&self, object: Object, permission: Permission) -> bool {
        self.rights(object).contains(permission)
    }

    /// Every permission the user has on the object ("View effective rights").
    pub fn rights(&self, object: Object) -> PermissionSet {
        let Some(masks) = self.masks(object) else { return PermissionSet::EMPTY };
        let granted = masks.granted();
        let visible = match object {
            Object::Database(_) => self.database_open,
            _ => masks.sees(),
        };
        if visible { granted } else { granted.intersection(SEE) }
    }
}
