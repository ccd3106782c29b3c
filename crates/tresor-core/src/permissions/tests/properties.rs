//! Properties over random databases, groups, grants and instants: the resolver agrees with the reference model on
//! every (user, object, permission), and the rules of DESIGN §3 hold on their own.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use uuid::Uuid;

use super::reference::Model;
use super::*;
use Setting::{Allow, Deny, Undefined};

const USERS: usize = 3;
const MAX_DEPTH: usize = 4;

#[derive(Debug, Clone)]
enum At {
    Database,
    OtherDatabase,
    Folder(usize),
    Entry(usize),
}

#[derive(Debug, Clone)]
enum Who {
    User(usize),
    Group(usize),
}

#[derive(Debug, Clone)]
struct GenGrant {
    at: At,
    who: Who,
    permission: Permission,
    setting: Setting,
    from: Option<i64>,
    to: Option<i64>,
}

/// A random world as indexes; [`Scenario::build`] turns it into ids, once for the resolver and once for the model.
#[derive(Debug, Clone)]
struct Scenario {
    folder_parents: Vec<Option<usize>>,
    entry_folders: Vec<Option<usize>>,
    group_disabled: Vec<bool>,
    group_edges: Vec<(usize, usize)>,
    user_groups: Vec<Vec<usize>>,
    grants: Vec<GenGrant>,
    policy: Vec<PolicyState>,
    now: i64,
}

fn permission() -> impl Strategy<Value = Permission> {
    // Access and read decide visibility; weigh them up so that visible objects are common.
    prop_oneof![3 => Just(Permission::Access), 3 => Just(Permission::Read), 4 => prop::sample::select(&Permission::ALL[..])]
}

fn setting() -> impl Strategy<Value = Setting> {
    prop_oneof![1 => Just(Undefined), 4 => Just(Allow), 2 => Just(Deny)]
}

fn grant() -> impl Strategy<Value = GenGrant> {
    let at = prop_oneof![
        3 => Just(At::Database),
        1 => Just(At::OtherDatabase),
        4 => (0usize..8).prop_map(At::Folder),
        4 => (0usize..12).prop_map(At::Entry),
    ];
    let who = prop_oneof![(0..USERS).prop_map(Who::User), (0usize..6).prop_map(Who::Group)];
    let bound = || prop::option::weighted(0.3, 0i64..12);
    (at, who, permission(), setting(), bound(), bound()).prop_map(|(at, who, permission, setting, from, to)| GenGrant {
        at,
        who,
        permission,
        setting,
        from,
        to,
    })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let state = prop_oneof![6 => Just(PolicyState::Undefined), 3 => Just(PolicyState::Enabled), 1 => Just(PolicyState::Disabled)];
    (
        prop::collection::vec(prop::option::of(0usize..8), 0..8),
        prop::collection::vec(prop::option::of(0usize..8), 0..12),
        prop::collection::vec(prop::bool::weighted(0.25), 0..6),
        prop::collection::vec((0usize..6, 0usize..6), 0..8),
        prop::collection::vec(prop::collection::vec(0usize..6, 0..3), USERS),
        prop::collection::vec(grant(), 0..24),
        prop::collection::vec(state, 14),
        0i64..12,
    )
        .prop_map(
            |(folder_parents, entry_folders, group_disabled, group_edges, user_groups, grants, policy, now)| Scenario {
                folder_parents,
                entry_folders,
                group_disabled,
                group_edges,
                user_groups,
                grants,
                policy,
                now,
            },
        )
}

/// The scenario as the resolver's inputs and as the model.
struct Built {
    w: World,
    users: Vec<UserId>,
    objects: Vec<Object>,
    entries: Vec<EntryId>,
    folders: Vec<FolderId>,
    model: Model,
    now: Timestamp,
}

fn id(kind: u128, i: usize) -> Uuid {
    Uuid::from_u128((kind << 64) | i as u128)
}

impl Scenario {
    fn build(&self) -> Built {
        let mut w = World::new("db");
        w.db = DatabaseId::from(id(1, 0));
        let folders: Vec<FolderId> = (0..self.folder_parents.len()).map(|i| FolderId::from(id(2, i))).collect();
        let entries: Vec<EntryId> = (0..self.entry_folders.len()).map(|i| EntryId::from(id(3, i))).collect();
        let groups: Vec<GroupId> = (0..self.group_disabled.len()).map(|i| GroupId::from(id(4, i))).collect();
        let users: Vec<UserId> = (0..USERS).map(|i| UserId::from(id(5, i))).collect();

        // Parents come earlier, so the tree is acyclic; a folder that would be too deep goes to the root.
        let mut depth = vec![0usize; folders.len()];
        let mut folder_parent = HashMap::new();
        for (i, raw) in self.folder_parents.iter().enumerate() {
            let parent = raw.filter(|_| i > 0).map(|p| p % i).filter(|p| depth[*p] < MAX_DEPTH);
            depth[i] = parent.map_or(1, |p| depth[p] + 1);
            let parent = parent.map(|p| folders[p]);
            folder_parent.insert(folders[i], parent);
            w.folders.push(FolderNode { id: folders[i], parent, name: format!("f{i}") });
        }
        let mut entry_folder = HashMap::new();
        for (i, raw) in self.entry_folders.iter().enumerate() {
            let folder = raw.filter(|_| !folders.is_empty()).map(|f| folders[f % folders.len()]);
            entry_folder.insert(entries[i], folder);
            w.entries.push(EntryNode { id: entries[i], folder });
        }
        let mut group_disabled = HashMap::new();
        for (g, disabled) in groups.iter().zip(&self.group_disabled) {
            w.members.add_group(*g, "g", *disabled);
            group_disabled.insert(*g, *disabled);
        }
        let mut group_in_group = Vec::new();
        let mut user_in_group = Vec::new();
        if !groups.is_empty() {
            // The lower index is the member: the graph stays acyclic, as the accounts module keeps it.
            for (a, b) in &self.group_edges {
                let (child, parent) = (a.min(b) % groups.len(), a.max(b) % groups.len());
                if child < parent {
                    w.members.add_group_to_group(groups[child], groups[parent]);
                    group_in_group.push((groups[child], groups[parent]));
                }
            }
            for (u, gs) in users.iter().zip(&self.user_groups) {
                for g in gs {
                    w.members.add_user_to_group(*u, groups[g % groups.len()]);
                    user_in_group.push((*u, groups[g % groups.len()]));
                }
            }
        }
        for g in &self.grants {
            let object = match g.at {
                At::Database => w.database(),
                At::OtherDatabase => Object::Database(DatabaseId::from(id(1, 1))),
                At::Folder(i) if !folders.is_empty() => Object::Folder(folders[i % folders.len()]),
                At::Entry(i) if !entries.is_empty() => Object::Entry(entries[i % entries.len()]),
                At::Folder(_) | At::Entry(_) => w.database(),
            };
            let subject = match g.who {
                Who::Group(i) if !groups.is_empty() => Subject::Group(groups[i % groups.len()]),
                Who::User(i) | Who::Group(i) => Subject::User(users[i % USERS]),
            };
            let window = (g.from.map(Timestamp::from_millis), g.to.map(Timestamp::from_millis));
            w.grants.push(Grant::new(object, subject, g.permission, g.setting).within(window.0, window.1));
        }
        let mut policy = HashMap::new();
        let in_policy = Permission::ALL.into_iter().filter(|p| p.in_server_policy());
        for (p, state) in in_policy.zip(&self.policy) {
            w.policy.set(p, *state).unwrap();
            policy.insert(p, *state);
        }

        let mut objects = vec![w.database()];
        objects.extend(folders.iter().map(|f| Object::Folder(*f)));
        objects.extend(entries.iter().map(|e| Object::Entry(*e)));
        let model = Model {
            database: w.db,
            folder_parent,
            entry_folder,
            group_disabled,
            group_in_group,
            user_in_group,
            policy,
            grants: w.grants.clone(),
        };
        Built { w, users, objects, entries, folders, model, now: Timestamp::from_millis(self.now) }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_resolver_agrees_with_the_reference_model_everywhere(s in scenario()) {
        let b = s.build();
        let (m, now) = (&b.model, b.now);
        let tree = b.w.tree();
        for &u in &b.users {
            let r = b.w.resolver(&tree, u, now);
            for &o in &b.objects {
                prop_assert_eq!(r.is_visible(o), m.visible(u, now, o), "visible {}", o);
                prop_assert_eq!(r.is_listed(o), m.listed(u, now, o), "listed {}", o);
                for p in Permission::ALL {
                    let walk = m.walk(u, now, o, p);
                    prop_assert_eq!(r.setting(o, p), Some(walk), "{} on {}", p, o);
                    prop_assert_eq!(r.resolve(o, p), m.granted(u, now, o, p), "granted {} on {}", p, o);
                    let why = r.explain(o, p).unwrap();
                    prop_assert_eq!((why.setting, why.granted), (walk, r.resolve(o, p)));
                }
            }
            let listed: HashSet<EntryId> = r.visible_entries().into_iter().collect();
            let expected: HashSet<EntryId> =
                b.entries.iter().copied().filter(|e| m.visible(u, now, Object::Entry(*e))).collect();
            prop_assert_eq!(listed, expected);
            let view = r.visible_tree();
            prop_assert_eq!(view.database_open, m.visible(u, now, b.w.database()));
            let shown: HashSet<FolderId> = view.folders.iter().map(|f| f.folder.id).collect();
            let expected: HashSet<FolderId> = if view.database_open {
                b.folders.iter().copied().filter(|f| m.listed(u, now, Object::Folder(*f))).collect()
            } else {
                HashSet::new()
            };
            prop_assert_eq!(shown, expected);
        }
    }

    #[test]
    fn a_deny_or_a_disabled_policy_is_never_overridden_below(s in scenario()) {
        let b = s.build();
        let tree = b.w.tree();
        for &u in &b.users {
            let r = b.w.resolver(&tree, u, b.now);
            for &o in &b.objects {
                for p in Permission::ALL {
                    let denied_above = b.w.policy.get(p) == PolicyState::Disabled
                        || b.model.chain(o).iter().any(|l| b.model.level_value(u, b.now, *l, p) == Deny);
                    if denied_above {
                        prop_assert_eq!(r.setting(o, p), Some(Deny));
                        prop_assert!(!r.resolve(o, p));
                    }
                }
            }
        }
    }

    #[test]
    fn undefined_never_grants(s in scenario()) {
        let b = s.build();
        let tree = b.w.tree();
        for &u in &b.users {
            let r = b.w.resolver(&tree, u, b.now);
            for &o in &b.objects {
                for p in Permission::ALL {
                    let allowed_somewhere = b.w.policy.get(p) == PolicyState::Enabled
                        || b.model.chain(o).iter().any(|l| b.model.level_value(u, b.now, *l, p) == Allow);
                    if !allowed_somewhere {
                        prop_assert!(!r.resolve(o, p), "{} on {} granted with no Allow anywhere", p, o);
                    }
                }
            }
        }
    }

    #[test]
    fn the_listing_is_exactly_the_entries_with_access_and_read(s in scenario()) {
        let b = s.build();
        let tree = b.w.tree();
        let see = PermissionSet::EMPTY.with(Permission::Access).with(Permission::Read);
        for &u in &b.users {
            let r = b.w.resolver(&tree, u, b.now);
            let listed: HashSet<EntryId> = r.visible_entries().into_iter().collect();
            for &e in &b.entries {
                let rights = r.rights(Object::Entry(e));
                prop_assert_eq!(listed.contains(&e), rights.intersection(see) == see);
                if !listed.contains(&e) {
                    prop_assert_eq!(rights.difference(see), PermissionSet::EMPTY, "rights on an invisible entry");
                }
            }
        }
    }

    #[test]
    fn windows_hold_at_their_edges(
        from in -1_000i64..1_000,
        len in 1i64..1_000,
        deny in any::<bool>(),
        level in 0usize..3,
        through_groups in any::<bool>(),
    ) {
        let mut w = World::new("db");
        let f = w.folder("f", None);
        let e = w.entry(Some(f));
        let u = w.user("u");
        let (inner, outer) = (w.group("inner", false), w.group("outer", false));
        w.members.add_user_to_group(u, inner);
        w.members.add_group_to_group(inner, outer);
        w.grant(w.database(), u, Permission::Access, Allow);
        if deny {
            w.grant(w.database(), u, Permission::Read, Allow);
        }
        let object = [w.database(), Object::Folder(f), Object::Entry(e)][level];
        let subject = if through_groups { Subject::Group(outer) } else { Subject::User(u) };
        let (start, end) = (Timestamp::from_millis(from), Timestamp::from_millis(from + len));
        let setting = if deny { Deny } else { Allow };
        w.grants.push(Grant::new(object, subject, Permission::Read, setting).within(Some(start), Some(end)));
        let tree = w.tree();
        for (at, inside) in [(from - 1, false), (from, true), (from + len - 1, true), (from + len, false)] {
            let visible = w.resolver(&tree, u, Timestamp::from_millis(at)).is_visible(Object::Entry(e));
            prop_assert_eq!(visible, inside != deny, "at {} (window {}..{})", at, from, from + len);
        }
    }
}
