//! One test per rule of DESIGN §3 and per decision documented in the module.

use super::*;
use Permission::{Access, Add, Delete, Export, GrantAdmin, Modify, Print, Read};
use Setting::{Allow, Deny, Undefined};

#[test]
fn undefined_everywhere_grants_nothing() {
    let mut w = World::new("db");
    let f = w.folder("f", None);
    let e = w.entry(Some(f));
    let u = w.user("u");
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    for object in [w.database(), Object::Folder(f), Object::Entry(e)] {
        assert_eq!(r.rights(object), PermissionSet::EMPTY);
        assert_eq!(r.setting(object, Read), Some(Undefined));
    }
    assert!(r.visible_entries().is_empty());
    assert!(!r.is_visible(w.database()));
}

#[test]
fn server_policy_enabled_grants_unless_changed_below() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    w.policy.set(Read, PolicyState::Enabled).unwrap();
    w.policy.set(Modify, PolicyState::Enabled).unwrap();
    w.grant(w.database(), u, Access, Allow);
    w.grant(Object::Entry(e), u, Modify, Deny);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(r.resolve(Object::Entry(e), Read), "Enabled at the server is inherited");
    assert!(!r.resolve(Object::Entry(e), Modify), "Enabled can still be changed below (seed 003)");
}

#[test]
fn server_policy_disabled_cannot_be_enabled_below() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    w.policy.set(Export, PolicyState::Disabled).unwrap();
    w.let_see(w.database(), u);
    w.grant(w.database(), u, Export, Allow);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(r.is_visible(Object::Entry(e)));
    assert_eq!(r.setting(Object::Entry(e), Export), Some(Deny));
    assert!(!r.resolve(w.database(), Export));
    let why = r.explain(w.database(), Export).unwrap();
    assert_eq!(why.decider().unwrap().level, Level::ServerPolicy);
}

#[test]
fn server_policy_sets_only_its_fourteen_and_restores_defaults() {
    let mut policy = ServerPolicy::default();
    assert_eq!(policy.set(Access, PolicyState::Enabled), Err(NotInServerPolicy(Access)));
    assert_eq!(policy.set(GrantAdmin, PolicyState::Disabled), Err(NotInServerPolicy(GrantAdmin)));
    assert_eq!(Permission::ALL.iter().filter(|p| p.in_server_policy()).count(), 14);
    policy.set(Print, PolicyState::Disabled).unwrap();
    policy.set(Print, PolicyState::Enabled).unwrap();
    assert_eq!(policy.get(Print), PolicyState::Enabled, "the latest state replaces the earlier one");
    policy.restore_defaults();
    assert!(Permission::ALL.iter().all(|p| policy.get(*p) == PolicyState::Undefined));
}

#[test]
fn deny_at_database_is_final_despite_allows_below() {
    let mut w = World::new("db");
    let f = w.folder("f", None);
    let e = w.entry(Some(f));
    let u = w.user("u");
    w.grant(w.database(), u, Read, Deny);
    w.let_see(Object::Folder(f), u);
    w.let_see(Object::Entry(e), u);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert_eq!(r.setting(Object::Entry(e), Read), Some(Deny));
    assert!(!r.is_visible(Object::Entry(e)));
    assert!(r.visible_entries().is_empty());
}

#[test]
fn explicit_values_below_replace_inherited_ones() {
    let mut w = World::new("db");
    let f = w.folder("f", None);
    let sub = w.folder("sub", Some(f));
    let e = w.entry(Some(sub));
    let u = w.user("u");
    w.let_see(w.database(), u);
    w.grant(Object::Folder(f), u, Modify, Allow);
    w.grant(Object::Folder(sub), u, Modify, Deny);
    w.grant(Object::Entry(e), u, Delete, Allow);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(r.resolve(Object::Folder(f), Modify), "Allow below replaces Undefined above");
    assert!(!r.resolve(Object::Entry(e), Modify), "Deny below replaces Allow above");
    assert!(r.resolve(Object::Entry(e), Delete));
    assert!(!r.resolve(Object::Folder(sub), Delete), "a value set on an entry does not climb to its folder");
}

#[test]
fn at_one_level_a_groups_deny_beats_the_users_allow() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    let g = w.group("g", false);
    w.members.add_user_to_group(u, g);
    w.let_see(w.database(), u);
    w.grant(Object::Entry(e), u, Modify, Allow);
    w.grant(Object::Entry(e), g, Modify, Deny);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert_eq!(r.setting(Object::Entry(e), Modify), Some(Deny));
    let decider = r.explain(Object::Entry(e), Modify).unwrap().decider().cloned().unwrap();
    assert_eq!(decider.subjects.iter().map(|s| s.subject).collect::<Vec<_>>(), vec![Subject::Group(g)]);
}

#[test]
fn nested_group_grants_reach_members_five_levels_down() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    let chain: Vec<GroupId> = (0..5).map(|i| w.group(&format!("g{i}"), false)).collect();
    w.members.add_user_to_group(u, chain[0]);
    for pair in chain.windows(2) {
        w.members.add_group_to_group(pair[0], pair[1]);
    }
    w.let_see(w.database(), chain[4]);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(r.is_visible(Object::Entry(e)));
    assert_eq!(r.subjects().len(), 6);
}

#[test]
fn a_disabled_group_contributes_nothing() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    let off = w.group("off", true);
    w.members.add_user_to_group(u, off);
    w.let_see(w.database(), u);
    w.grant(w.database(), off, Read, Deny);
    let unknown = GroupId::random();
    w.members.add_user_to_group(u, unknown);
    w.grant(w.database(), unknown, Read, Deny);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(r.is_visible(Object::Entry(e)), "neither a disabled nor an unknown group's Deny counts");
}

#[test]
fn a_disabled_group_does_not_pass_its_members_on_to_its_parents() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let (through_off, also_direct) = (w.user("a"), w.user("b"));
    let off = w.group("off", true);
    let parent = w.group("parent", false);
    w.members.add_group_to_group(off, parent);
    w.members.add_user_to_group(through_off, off);
    w.members.add_user_to_group(also_direct, off);
    w.members.add_user_to_group(also_direct, parent);
    w.let_see(w.database(), parent);
    let t = w.tree();
    assert!(!w.resolver(&t, through_off, NOW).is_visible(Object::Entry(e)));
    assert!(w.resolver(&t, also_direct, NOW).is_visible(Object::Entry(e)), "another enabled path still counts");
}

#[test]
fn a_group_cycle_is_walked_once() {
    let mut w = World::new("db");
    let u = w.user("u");
    let (a, b) = (w.group("a", false), w.group("b", false));
    w.members.add_user_to_group(u, a);
    w.members.add_group_to_group(a, b);
    w.members.add_group_to_group(b, a);
    assert_eq!(w.members.effective_groups(u).len(), 2);
}

#[test]
fn a_window_counts_from_its_start_inclusive_to_its_end_exclusive() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    let (from, to) = (Timestamp::from_millis(100), Timestamp::from_millis(200));
    w.grant(w.database(), u, Access, Allow);
    w.grants.push(Grant::new(w.database(), u.into(), Read, Allow).within(Some(from), Some(to)));
    let t = w.tree();
    let seen = |ms| w.resolver(&t, u, Timestamp::from_millis(ms)).is_visible(Object::Entry(e));
    assert_eq!([seen(99), seen(100), seen(199), seen(200)], [false, true, true, false]);
}

#[test]
fn an_expired_deny_no_longer_denies_and_an_open_bound_is_open() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    w.let_see(w.database(), u);
    let end = Timestamp::from_millis(500);
    w.grants.push(Grant::new(Object::Entry(e), u.into(), Read, Deny).within(None, Some(end)));
    let t = w.tree();
    assert!(!w.resolver(&t, u, Timestamp::from_millis(i64::MIN)).is_visible(Object::Entry(e)));
    assert!(w.resolver(&t, u, end).is_visible(Object::Entry(e)));
}

#[test]
fn an_empty_window_never_counts_and_is_refused() {
    let mut w = World::new("db");
    let u = w.user("u");
    let at = Timestamp::from_millis(7);
    let g = Grant::new(w.database(), u.into(), Access, Allow).within(Some(at), Some(at));
    assert_eq!(g.validate(), Err(GrantError::EmptyWindow));
    w.grants.push(g);
    let t = w.tree();
    assert!(!w.resolver(&t, u, at).resolve(w.database(), Access));
}

#[test]
fn a_database_only_permission_on_a_folder_is_refused_and_ignored() {
    let mut w = World::new("db");
    let f = w.folder("f", None);
    let u = w.user("u");
    w.let_see(w.database(), u);
    w.grant(Object::Folder(f), u, Export, Allow);
    assert_eq!(w.grants[2].validate(), Err(GrantError::DatabaseOnly(Export)));
    let t = w.tree();
    assert!(!w.resolver(&t, u, NOW).resolve(Object::Folder(f), Export));
    let below: Vec<Permission> = Permission::ALL.into_iter().filter(|p| p.applies_below_database()).collect();
    assert_eq!(below, [Access, Read, Modify, Add, Delete, Permission::Share, Permission::Seal]);
}

#[test]
fn grants_on_other_databases_and_objects_are_ignored() {
    let mut w = World::new("db");
    let e = w.entry(None);
    let u = w.user("u");
    w.let_see(Object::Database(DatabaseId::random()), u);
    w.let_see(Object::Folder(FolderId::random()), u);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(!r.is_visible(Object::Entry(e)));
    assert_eq!(r.setting(Object::Entry(EntryId::random()), Read), None, "not in this database");
    assert!(!r.resolve(Object::Database(DatabaseId::random()), Access));
}

#[test]
fn an_entry_is_visible_only_with_both_access_and_read() {
    let mut w = World::new("db");
    let (only_access, only_read, both) = (w.entry(None), w.entry(None), w.entry(None));
    let u = w.user("u");
    w.grant(Object::Entry(only_access), u, Access, Allow);
    w.grant(Object::Entry(only_read), u, Read, Allow);
    w.let_see(Object::Entry(both), u);
    let t = w.tree();
    assert_eq!(w.resolver(&t, u, NOW).visible_entries(), vec![both]);
}

#[test]
fn other_permissions_never_apply_to_an_invisible_object() {
    let mut w = World::new("db");
    let f = w.folder("f", None);
    let e = w.entry(Some(f));
    let u = w.user("u");
    w.grant(w.database(), u, Access, Allow);
    for p in [Modify, Add, Delete, Export] {
        w.grant(w.database(), u, p, Allow);
    }
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert_eq!(r.setting(Object::Entry(e), Modify), Some(Allow));
    assert_eq!(r.rights(Object::Entry(e)), PermissionSet::EMPTY.with(Access));
    assert_eq!(r.rights(Object::Folder(f)), PermissionSet::EMPTY.with(Access));
    let why = r.explain(Object::Entry(e), Modify).unwrap();
    assert!(!why.granted && !why.visible && why.setting == Allow);
    assert!(r.resolve(w.database(), Export), "the database is open: access to it is allowed");
}

#[test]
fn a_folder_is_listed_when_something_below_it_is_visible() {
    let mut w = World::new("db");
    let top = w.folder("top", None);
    let mid = w.folder("mid", Some(top));
    let other = w.folder("other", None);
    let e = w.entry(Some(mid));
    let hidden = w.entry(Some(other));
    let u = w.user("u");
    w.grant(w.database(), u, Add, Allow);
    w.let_see(Object::Entry(e), u);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    let view = r.visible_tree();
    assert!(view.database_open && view.contains_folder(top) && view.contains_folder(mid));
    assert!(!view.contains_folder(other) && !view.contains_entry(hidden));
    assert!(view.folders.iter().all(|f| !f.visible), "listed only as the way to the entry");
    assert!(!r.resolve(Object::Folder(top), Add), "a folder that is only a way through gets no other rights");
    assert!(r.is_listed(Object::Folder(top)) && !r.is_visible(Object::Folder(top)));
}

#[test]
fn access_to_the_database_alone_opens_it_but_shows_nothing() {
    let mut w = World::new("db");
    w.entry(None);
    let u = w.user("u");
    w.grant(w.database(), u, Access, Allow);
    let t = w.tree();
    let view = w.resolver(&t, u, NOW).visible_tree();
    assert!(view.database_open && view.entries.is_empty() && view.folders.is_empty());
}

#[test]
fn a_database_permission_applies_to_the_visible_entries_below() {
    let mut w = World::new("db");
    let (seen, unseen) = (w.entry(None), w.entry(None));
    let u = w.user("u");
    w.let_see(w.database(), u);
    w.grant(Object::Entry(unseen), u, Read, Deny);
    w.grant(w.database(), u, Print, Allow);
    let t = w.tree();
    let r = w.resolver(&t, u, NOW);
    assert!(r.resolve(Object::Entry(seen), Print));
    assert!(!r.resolve(Object::Entry(unseen), Print));
}

#[test]
fn the_tree_refuses_what_is_not_a_tree_and_orders_parents_first() {
    let db = DatabaseId::random();
    let (a, b) = (FolderId::random(), FolderId::random());
    let node = |id, parent| FolderNode { id, parent, name: String::new() };
    let build = |folders, entries| DatabaseTree::build(db, "db", folders, entries);
    assert_eq!(build(vec![node(a, None), node(a, None)], vec![]).err(), Some(TreeError::DuplicateFolder(a)));
    assert_eq!(build(vec![node(a, Some(b))], vec![]).err(), Some(TreeError::UnknownParent(a)));
    assert!(matches!(build(vec![node(a, Some(b)), node(b, Some(a))], vec![]), Err(TreeError::Cycle(_))));
    let stray = EntryNode { id: EntryId::random(), folder: Some(b) };
    assert_eq!(build(vec![node(a, None)], vec![stray]).err(), Some(TreeError::UnknownFolder(stray.id)));
    let e = EntryNode { id: EntryId::random(), folder: Some(b) };
    let tree = build(vec![node(b, Some(a)), node(a, None)], vec![e]).unwrap();
    assert_eq!(tree.folders().iter().map(|f| f.id).collect::<Vec<_>>(), [a, b]);
    let path = [Object::Database(db), Object::Folder(a), Object::Folder(b), Object::Entry(e.id)];
    assert_eq!(tree.path(Object::Entry(e.id)).unwrap(), path);
}

#[test]
fn settings_inherit_replace_and_deny_finally() {
    let cases = [
        (Undefined, Undefined, Undefined),
        (Undefined, Allow, Allow),
        (Allow, Undefined, Allow),
        (Allow, Deny, Deny),
        (Deny, Allow, Deny),
        (Deny, Undefined, Deny),
    ];
    for (above, below, result) in cases {
        assert_eq!(above.then_below(below), result, "{above} then {below}");
    }
    assert_eq!(Allow.merge(Deny), Deny);
    assert_eq!(Undefined.merge(Allow), Allow);
    for p in Permission::ALL {
        assert_eq!(Permission::from_name(p.name()), Some(p));
    }
}
