//! Cases for users: lookups, every field's round trip, seats, updates, deletion, password verifiers.

use std::sync::Arc;

use tokio::sync::Barrier;
use tresor_core::accounts::{AccountOptions, Profile, Role};
use tresor_core::net::AddressRule;
use tresor_core::session::EndReason;
use tresor_core::store::ListFilter;
use tresor_core::{RoleSet, Store, StoreError, UserId};

use super::assert_err;
use crate::TestDb;
use crate::sample::{self, HASH, at};

pub async fn user_insert_and_lookup(db: TestDb) {
    let store = db.store();
    let alice = sample::user("Alice");
    store.insert_user(&alice, HASH, &[], 10).await.unwrap();

    assert_eq!(store.user(alice.id).await.unwrap(), Some(alice.clone()));
    for spelling in ["Alice", "alice", "ALICE", "aLiCe"] {
        assert_eq!(store.user_by_account(spelling).await.unwrap(), Some(alice.clone()), "{spelling}");
    }
    assert_eq!(store.user_by_account("alic").await.unwrap(), None);
    assert_eq!(store.user(UserId::random()).await.unwrap(), None);

    // Names are unique regardless of case; ids are unique.
    assert_err(store.insert_user(&sample::user("ALICE"), HASH, &[], 10).await, |e| {
        matches!(e, StoreError::Duplicate(_))
    });
    let same_id = tresor_core::User { account: "someone-else".into(), ..alice.clone() };
    assert_err(store.insert_user(&same_id, HASH, &[], 10).await, |e| matches!(e, StoreError::Duplicate(_)));
    assert_eq!(store.count_seat_users().await.unwrap(), 1);
}

pub async fn user_fields_round_trip(db: TestDb) {
    let store = db.store();
    let rules: Vec<AddressRule> =
        ["10.0.0.0/8", "fd00::/8", "192.0.2.7", "2001:db8::1"].iter().map(|r| r.parse().unwrap()).collect();
    let full = tresor_core::User {
        profile: Profile {
            full_name: "Zoë O'Brien-Ångström".into(),
            email: "zoe@example.org".into(),
            phone: "+41 44 555 01 23".into(),
            department: "R&D, 50% remote".into(),
            description: "line one\nline two; 'quoted' \"double\" \\ back".into(),
        },
        options: AccountOptions {
            deactivated: true,
            may_not_change_password: true,
            must_change_password: true,
            two_factor_disabled: true,
        },
        roles: [Role::ServerAdministrator, Role::EventLogReader, Role::DirectoryOperator].into_iter().collect(),
        allowed_addresses: rules,
        created_at: at(-86_400_000),
        updated_at: at(1),
        ..sample::user("zoë.obrien")
    };
    store.insert_user(&full, HASH, &[], 10).await.unwrap();
    assert_eq!(store.user(full.id).await.unwrap(), Some(full.clone()));
    assert_eq!(store.password_hash(full.id).await.unwrap().as_deref(), Some(HASH));
    assert_eq!(store.list_users(&ListFilter::default()).await.unwrap().items, vec![full.clone()]);

    // The other extreme: every option off, no roles, no rules, and the super administrator's kind.
    let admin = sample::super_admin();
    store.insert_user(&admin, "x", &[], 10).await.unwrap();
    let read = store.user(admin.id).await.unwrap().unwrap();
    assert_eq!(read, admin);
    assert!(read.is_super_admin() && read.roles == RoleSet::EMPTY && read.allowed_addresses.is_empty());
}

pub async fn user_insert_with_memberships(db: TestDb) {
    let store = db.store();
    let (staff, admins) = (sample::group("Staff"), sample::group("admins"));
    store.insert_group(&staff).await.unwrap();
    store.insert_group(&admins).await.unwrap();
    let bob = sample::user("bob");
    store.insert_user(&bob, HASH, &[staff.id, admins.id, staff.id], 10).await.unwrap();
    let names: Vec<String> = store.user_groups(bob.id).await.unwrap().into_iter().map(|g| g.name).collect();
    assert_eq!(names, ["admins", "Staff"], "ordered by name regardless of case");

    // An unknown group fails the whole insert: no user without its memberships.
    let carol = sample::user("carol");
    let unknown = tresor_core::GroupId::random();
    assert_err(store.insert_user(&carol, HASH, &[staff.id, unknown], 10).await, |e| {
        matches!(e, StoreError::NotFound(_))
    });
    assert_eq!(store.user(carol.id).await.unwrap(), None);
    assert_eq!(store.group_members(staff.id).await.unwrap().users.len(), 1);
}

pub async fn seat_limit_is_enforced(db: TestDb) {
    let store = db.store();
    for name in ["u1", "u2", "u3"] {
        store.insert_user(&sample::user(name), HASH, &[], 3).await.unwrap();
    }
    let fourth = sample::user("u4");
    assert_err(store.insert_user(&fourth, HASH, &[], 3).await, |e| matches!(e, StoreError::SeatLimit { licensed: 3 }));
    assert_eq!(store.user(fourth.id).await.unwrap(), None);
    // A taken name is still reported as such on a full server.
    assert_err(store.insert_user(&sample::user("U1"), HASH, &[], 3).await, |e| matches!(e, StoreError::Duplicate(_)));
    // The super administrator takes no seat, and is not counted against the others.
    store.insert_user(&sample::super_admin(), HASH, &[], 3).await.unwrap();
    assert_eq!(store.count_seat_users().await.unwrap(), 3);
    assert_eq!(store.list_users(&ListFilter::default()).await.unwrap().total, 4);
    // A freed seat can be taken again.
    let u1 = store.user_by_account("u1").await.unwrap().unwrap();
    assert!(store.delete_user(u1.id).await.unwrap());
    store.insert_user(&fourth, HASH, &[], 3).await.unwrap();
}

pub async fn concurrent_inserts_cannot_overshoot_seats(db: TestDb) {
    let store = db.store();
    let start = Arc::new(Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                store.insert_user(&sample::user(&format!("racer{i}")), HASH, &[], 3).await
            })
        })
        .collect();
    let (mut created, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => created += 1,
            Err(StoreError::SeatLimit { licensed: 3 }) => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((created, refused), (3, 7));
    assert_eq!(store.count_seat_users().await.unwrap(), 3);
}

pub async fn user_update_and_membership_replacement(db: TestDb) {
    let store = db.store();
    let (g1, g2) = (sample::group("g1"), sample::group("g2"));
    store.insert_group(&g1).await.unwrap();
    store.insert_group(&g2).await.unwrap();
    let mut dan = sample::user("dan");
    store.insert_user(&dan, HASH, &[g1.id], 10).await.unwrap();
    store.insert_user(&sample::user("Erin"), HASH, &[], 10).await.unwrap();

    dan.account = "Daniel".into();
    dan.profile.full_name = "Daniel D".into();
    dan.options.deactivated = true;
    dan.roles.insert(Role::AccountAdministrator);
    dan.allowed_addresses = vec!["10.1.0.0/16".parse().unwrap()];
    dan.updated_at = at(5_000);
    store.update_user(&dan, None).await.unwrap();
    assert_eq!(store.user(dan.id).await.unwrap(), Some(dan.clone()));
    assert_eq!(store.user_by_account("dan").await.unwrap(), None, "the old name is free");
    assert_eq!(store.user_by_account("DANIEL").await.unwrap().map(|u| u.id), Some(dan.id));
    let groups = |store: Arc<dyn Store>, id| async move {
        store.user_groups(id).await.unwrap().into_iter().map(|g| g.name).collect::<Vec<_>>()
    };
    assert_eq!(groups(store.clone(), dan.id).await, ["g1"], "None keeps the memberships");

    store.update_user(&dan, Some(&[g2.id])).await.unwrap();
    assert_eq!(groups(store.clone(), dan.id).await, ["g2"]);
    store.update_user(&dan, Some(&[])).await.unwrap();
    assert!(groups(store.clone(), dan.id).await.is_empty());

    // A failed update changes nothing: neither the fields nor the memberships.
    store.update_user(&dan, Some(&[g1.id])).await.unwrap();
    let renamed = tresor_core::User { account: "erin".into(), ..dan.clone() };
    assert_err(store.update_user(&renamed, Some(&[g2.id])).await, |e| matches!(e, StoreError::Duplicate(_)));
    let changed = tresor_core::User { account: "dan2".into(), ..dan.clone() };
    let unknown = tresor_core::GroupId::random();
    assert_err(store.update_user(&changed, Some(&[g2.id, unknown])).await, |e| matches!(e, StoreError::NotFound(_)));
    assert_eq!(store.user(dan.id).await.unwrap(), Some(dan.clone()));
    assert_eq!(groups(store.clone(), dan.id).await, ["g1"]);

    let stranger = sample::user("stranger");
    assert_err(store.update_user(&stranger, None).await, |e| matches!(e, StoreError::NotFound(_)));
}

pub async fn user_delete_cascades(db: TestDb) {
    let store = db.store();
    let staff = sample::group("staff");
    store.insert_group(&staff).await.unwrap();
    let (fay, gus) = (sample::user("fay"), sample::user("gus"));
    store.insert_user(&fay, HASH, &[staff.id], 10).await.unwrap();
    store.insert_user(&gus, HASH, &[staff.id], 10).await.unwrap();
    let (s1, s2, other) = (sample::session(fay.id, 0), sample::session(fay.id, 1), sample::session(gus.id, 2));
    for s in [&s1, &s2, &other] {
        store.insert_session(s).await.unwrap();
    }
    store.end_session(s2.id, EndReason::Logout, at(10)).await.unwrap();

    assert!(store.delete_user(fay.id).await.unwrap());
    assert_eq!(store.user(fay.id).await.unwrap(), None);
    assert_eq!(store.password_hash(fay.id).await.unwrap(), None);
    let members = store.group_members(staff.id).await.unwrap();
    assert_eq!(members.users.iter().map(|u| u.id).collect::<Vec<_>>(), [gus.id]);
    assert_eq!(store.session(s1.id).await.unwrap(), None);
    assert_eq!(store.session(s2.id).await.unwrap(), None);
    assert_eq!(store.session_by_token_hash(&s1.token_hash).await.unwrap(), None);
    assert_eq!(store.session(other.id).await.unwrap(), Some(other));
    assert!(!store.delete_user(fay.id).await.unwrap(), "a second delete finds nothing");
}

pub async fn password_hash_set_and_get(db: TestDb) {
    let store = db.store();
    let hal = sample::user("hal");
    store.insert_user(&hal, HASH, &[], 10).await.unwrap();
    assert_eq!(store.password_hash(hal.id).await.unwrap().as_deref(), Some(HASH));

    store.set_password_hash(hal.id, "$argon2id$new", true, at(7_000)).await.unwrap();
    assert_eq!(store.password_hash(hal.id).await.unwrap().as_deref(), Some("$argon2id$new"));
    let read = store.user(hal.id).await.unwrap().unwrap();
    assert!(read.options.must_change_password);
    assert_eq!(read.updated_at, at(7_000));
    assert_eq!(tresor_core::User { options: hal.options, updated_at: hal.updated_at, ..read }, hal);

    store.set_password_hash(hal.id, "$argon2id$newer", false, at(8_000)).await.unwrap();
    assert!(!store.user(hal.id).await.unwrap().unwrap().options.must_change_password);

    assert_eq!(store.password_hash(UserId::random()).await.unwrap(), None);
    assert_err(store.set_password_hash(UserId::random(), HASH, false, at(9_000)).await, |e| {
        matches!(e, StoreError::NotFound(_))
    });
}
