//! Cases for groups: records, users in groups, groups in groups, the cycle check under concurrency, and the
//! whole membership graph.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tresor_core::accounts::would_create_cycle;
use tresor_core::{GroupGraph, GroupId, StoreError, UserId};

use super::assert_err;
use crate::TestDb;
use crate::sample::{self, HASH, at};

pub async fn group_crud(db: TestDb) {
    let store = db.store();
    let mut sales = sample::group("Sales");
    sales.email = "sales@example.org".into();
    sales.description = "Everyone who sells".into();
    sales.disabled = true;
    sales.updated_at = at(3);
    store.insert_group(&sales).await.unwrap();
    assert_eq!(store.group(sales.id).await.unwrap(), Some(sales.clone()));
    assert_eq!(store.group_by_name("sALES").await.unwrap(), Some(sales.clone()));
    assert_eq!(store.group_by_name("Sale").await.unwrap(), None);
    assert_eq!(store.group(GroupId::random()).await.unwrap(), None);
    assert_err(store.insert_group(&sample::group("SALES")).await, |e| matches!(e, StoreError::Duplicate(_)));

    let support = sample::group("support");
    store.insert_group(&support).await.unwrap();
    sales.name = "Sales EMEA".into();
    sales.disabled = false;
    sales.description = String::new();
    sales.updated_at = at(9);
    store.update_group(&sales).await.unwrap();
    assert_eq!(store.group(sales.id).await.unwrap(), Some(sales.clone()));
    assert_eq!(store.group_by_name("sales").await.unwrap(), None);

    let clash = tresor_core::Group { name: "Support".into(), ..sales.clone() };
    assert_err(store.update_group(&clash).await, |e| matches!(e, StoreError::Duplicate(_)));
    assert_eq!(store.group(sales.id).await.unwrap(), Some(sales.clone()));
    assert_err(store.update_group(&sample::group("ghost")).await, |e| matches!(e, StoreError::NotFound(_)));

    assert!(store.delete_group(sales.id).await.unwrap());
    assert_eq!(store.group(sales.id).await.unwrap(), None);
    assert!(!store.delete_group(sales.id).await.unwrap());
}

pub async fn user_memberships(db: TestDb) {
    let store = db.store();
    let (ops, dev) = (sample::group("ops"), sample::group("Dev"));
    store.insert_group(&ops).await.unwrap();
    store.insert_group(&dev).await.unwrap();
    let (ida, jon) = (sample::user("ida"), sample::user("Jon"));
    store.insert_user(&ida, HASH, &[], 10).await.unwrap();
    store.insert_user(&jon, HASH, &[], 10).await.unwrap();

    assert!(store.add_user_to_group(ops.id, jon.id).await.unwrap());
    assert!(!store.add_user_to_group(ops.id, jon.id).await.unwrap(), "a second add changes nothing");
    assert!(store.add_user_to_group(ops.id, ida.id).await.unwrap());
    assert!(store.add_user_to_group(dev.id, ida.id).await.unwrap());

    let members = store.group_members(ops.id).await.unwrap();
    let names: Vec<(UserId, String)> = members.users.into_iter().map(|u| (u.id, u.name)).collect();
    assert_eq!(names, [(ida.id, "ida".to_owned()), (jon.id, "Jon".to_owned())], "ordered by account name");
    assert!(members.groups.is_empty());
    let of_ida: Vec<GroupId> = store.user_groups(ida.id).await.unwrap().into_iter().map(|g| g.id).collect();
    assert_eq!(of_ida, [dev.id, ops.id]);

    assert!(store.remove_user_from_group(ops.id, ida.id).await.unwrap());
    assert!(!store.remove_user_from_group(ops.id, ida.id).await.unwrap());
    assert_eq!(store.user_groups(ida.id).await.unwrap().len(), 1);

    assert_err(store.add_user_to_group(GroupId::random(), ida.id).await, |e| matches!(e, StoreError::NotFound(_)));
    assert_err(store.add_user_to_group(ops.id, UserId::random()).await, |e| matches!(e, StoreError::NotFound(_)));

    // Deleting a group takes its memberships along, not its members.
    assert!(store.delete_group(dev.id).await.unwrap());
    assert!(store.user_groups(ida.id).await.unwrap().is_empty());
    assert!(store.user(ida.id).await.unwrap().is_some());
}

pub async fn group_memberships(db: TestDb) {
    let store = db.store();
    let [all, eng, web, ops] = ["all", "eng", "Web", "ops"].map(sample::group);
    for g in [&all, &eng, &web, &ops] {
        store.insert_group(g).await.unwrap();
    }
    let allow = |_: &[(GroupId, GroupId)]| false;
    assert!(store.add_group_to_group(all.id, eng.id, &allow).await.unwrap());
    assert!(!store.add_group_to_group(all.id, eng.id, &allow).await.unwrap(), "a second add changes nothing");
    assert!(store.add_group_to_group(all.id, ops.id, &allow).await.unwrap());
    assert!(store.add_group_to_group(eng.id, web.id, &allow).await.unwrap());
    assert!(store.add_group_to_group(ops.id, web.id, &allow).await.unwrap());

    let children: Vec<String> = store.group_members(all.id).await.unwrap().groups.into_iter().map(|g| g.name).collect();
    assert_eq!(children, ["eng", "ops"]);
    let parents: Vec<String> = store.group_parents(web.id).await.unwrap().into_iter().map(|g| g.name).collect();
    assert_eq!(parents, ["eng", "ops"]);

    assert!(store.remove_group_from_group(ops.id, web.id).await.unwrap());
    assert!(!store.remove_group_from_group(ops.id, web.id).await.unwrap());
    assert_eq!(store.group_parents(web.id).await.unwrap().len(), 1);
    assert_err(store.add_group_to_group(all.id, GroupId::random(), &allow).await, |e| {
        matches!(e, StoreError::NotFound(_))
    });

    // Deleting a group removes it as parent and as child.
    assert!(store.delete_group(eng.id).await.unwrap());
    assert!(store.group_parents(web.id).await.unwrap().is_empty());
    let children: Vec<GroupId> = store.group_members(all.id).await.unwrap().groups.into_iter().map(|g| g.id).collect();
    assert_eq!(children, [ops.id]);
}

pub async fn cycles_are_refused_through_the_check(db: TestDb) {
    let store = db.store();
    let [a, b, c] = ["a", "b", "c"].map(sample::group);
    for g in [&a, &b, &c] {
        store.insert_group(g).await.unwrap();
    }
    let add = |parent: GroupId, child: GroupId| {
        let store = Arc::clone(&store);
        async move {
            let check = move |edges: &[(GroupId, GroupId)]| would_create_cycle(edges, parent, child);
            store.add_group_to_group(parent, child, &check).await
        }
    };
    assert_err(add(a.id, a.id).await, |e| matches!(e, StoreError::WouldCycle));
    assert!(add(a.id, b.id).await.unwrap());
    assert!(add(b.id, c.id).await.unwrap());
    assert_err(add(b.id, a.id).await, |e| matches!(e, StoreError::WouldCycle));
    assert_err(add(c.id, a.id).await, |e| matches!(e, StoreError::WouldCycle));
    assert!(add(a.id, c.id).await.unwrap(), "a shortcut is no cycle");

    // The check sees every membership as it is, and a refusal writes nothing.
    let seen = Mutex::new(Vec::new());
    let refuse_all = |edges: &[(GroupId, GroupId)]| {
        seen.lock().unwrap().extend_from_slice(edges);
        true
    };
    assert_err(store.add_group_to_group(c.id, b.id, &refuse_all).await, |e| matches!(e, StoreError::WouldCycle));
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    let mut expected = vec![(a.id, b.id), (b.id, c.id), (a.id, c.id)];
    expected.sort();
    assert_eq!(seen, expected);
    assert!(store.group_parents(b.id).await.unwrap().iter().all(|p| p.id != c.id));
}

/// Holds each cycle check until the other one arrives or a deadline passes. A store that lets both checks read
/// the memberships before either writes has both arrive, both see no edge, and both add theirs: a cycle.
/// A store that serialises them lets the second in only after the first has committed.
struct Rendezvous {
    arrived: Mutex<u32>,
    all_here: Condvar,
}

impl Rendezvous {
    fn meet(&self) {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.all_here.notify_all();
        let _unused = self.all_here.wait_timeout_while(arrived, Duration::from_millis(300), |n| *n < 2).unwrap();
    }
}

pub async fn concurrent_opposite_additions_cannot_cycle(db: TestDb) {
    let store = db.store();
    for round in 0..3 {
        let (x, y) = (sample::group(&format!("x{round}")), sample::group(&format!("y{round}")));
        store.insert_group(&x).await.unwrap();
        store.insert_group(&y).await.unwrap();
        let meeting = Arc::new(Rendezvous { arrived: Mutex::new(0), all_here: Condvar::new() });
        let add = |parent: GroupId, child: GroupId| {
            let (store, meeting) = (Arc::clone(&store), Arc::clone(&meeting));
            tokio::spawn(async move {
                let check = move |edges: &[(GroupId, GroupId)]| {
                    meeting.meet();
                    would_create_cycle(edges, parent, child)
                };
                store.add_group_to_group(parent, child, &check).await
            })
        };
        let (one, other) = (add(x.id, y.id), add(y.id, x.id));
        let results = [one.await.unwrap(), other.await.unwrap()];
        let added = results.iter().filter(|r| matches!(r, Ok(true))).count();
        let refused = results.iter().filter(|r| matches!(r, Err(StoreError::WouldCycle))).count();
        assert_eq!((added, refused), (1, 1), "round {round}: {results:?}");
    }
}

pub async fn group_graph_lists_groups_and_nesting(db: TestDb) {
    let store = db.store();
    assert_eq!(store.group_graph().await.unwrap(), GroupGraph::default());
    let [all, eng, mut web, ops] = ["all", "eng", "Web", "ops"].map(sample::group);
    web.disabled = true;
    for g in [&all, &eng, &web, &ops] {
        store.insert_group(g).await.unwrap();
    }
    let allow = |_: &[(GroupId, GroupId)]| false;
    for (parent, child) in [(&all, &eng), (&eng, &web), (&ops, &web), (&all, &ops)] {
        assert!(store.add_group_to_group(parent.id, child.id, &allow).await.unwrap());
    }
    let graph = || async {
        let GroupGraph { mut groups, mut edges } = store.group_graph().await.unwrap();
        groups.sort();
        edges.sort();
        (groups, edges)
    };
    let node = |g: &tresor_core::Group| (g.id, g.name.clone(), g.disabled);
    let sorted = |mut v: Vec<(GroupId, GroupId)>| {
        v.sort();
        v
    };
    let (groups, edges) = graph().await;
    let mut expected = vec![node(&all), node(&eng), node(&web), node(&ops)];
    expected.sort();
    assert_eq!(groups, expected, "every group with its name as written and its disabled flag");
    // (child, parent): web is in both eng and ops.
    assert_eq!(edges, sorted(vec![(eng.id, all.id), (web.id, eng.id), (web.id, ops.id), (ops.id, all.id)]));

    web.disabled = false;
    store.update_group(&web).await.unwrap();
    assert!(store.remove_group_from_group(ops.id, web.id).await.unwrap());
    assert!(store.delete_group(eng.id).await.unwrap());
    let (groups, edges) = graph().await;
    let mut expected = vec![node(&all), node(&web), node(&ops)];
    expected.sort();
    assert_eq!(groups, expected);
    assert_eq!(edges, [(ops.id, all.id)]);
}

/// One row per (user, direct group), one with no group for a user in none; the super administrator takes no
/// seat and is no member, so it is not listed.
pub async fn user_memberships_list_every_seat_user(db: TestDb) {
    let store = db.store();
    assert!(store.user_memberships().await.unwrap().is_empty());
    let (ops, dev) = (sample::group("ops"), sample::group("dev"));
    store.insert_group(&ops).await.unwrap();
    store.insert_group(&dev).await.unwrap();
    let [ida, jon, kim] = ["ida", "Jon", "kim"].map(sample::user);
    store.insert_user(&ida, HASH, &[ops.id, dev.id], 10).await.unwrap();
    store.insert_user(&jon, HASH, &[ops.id], 10).await.unwrap();
    store.insert_user(&kim, HASH, &[], 10).await.unwrap();
    store.insert_user(&sample::super_admin(), HASH, &[], 10).await.unwrap();
    let listed = || async {
        let mut rows = store.user_memberships().await.unwrap();
        rows.sort();
        rows
    };
    let row = |u: &tresor_core::User, g: Option<&tresor_core::Group>| (u.id, u.account.clone(), g.map(|g| g.id));
    let sorted = |mut v: Vec<(UserId, String, Option<GroupId>)>| {
        v.sort();
        v
    };
    let expected = sorted(vec![row(&ida, Some(&ops)), row(&ida, Some(&dev)), row(&jon, Some(&ops)), row(&kim, None)]);
    assert_eq!(listed().await, expected);

    assert!(store.remove_user_from_group(ops.id, jon.id).await.unwrap());
    assert!(store.delete_group(dev.id).await.unwrap());
    let expected = sorted(vec![row(&ida, Some(&ops)), row(&jon, None), row(&kim, None)]);
    assert_eq!(listed().await, expected);
}
