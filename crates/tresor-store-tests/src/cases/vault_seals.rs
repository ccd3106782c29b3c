//! Cases for sealed entries: a seal and its authorised persons round-trip; a seal in force is not replaced, an
//! unsealed one is; changes apply only at the revision they were based on, so of two concurrent changes one wins;
//! seals go with their entry and their recipient; a database's guarded entries name its second passwords and seals.

use std::collections::HashSet;

use tresor_core::vault::{EntrySeal, GuardedEntries, SealChange, SealState, WriteCheck};
use tresor_core::{EntryId, SessionId, Store, StoreError, UserId};

use super::assert_err;
use super::vault::{new_entry, stored_database, vault};
use crate::TestDb;
use crate::sample::{self, HASH, at};

async fn stored_user(store: &dyn Store, account: &str) -> UserId {
    let user = sample::user(account);
    store.insert_user(&user, HASH, &[], 100).await.unwrap();
    user.id
}

fn seal(
    database: tresor_core::DatabaseId,
    entry: EntryId,
    recipient: UserId,
    by: UserId,
    authorized: Vec<UserId>,
) -> EntrySeal {
    EntrySeal {
        database,
        entry,
        recipient,
        state: SealState::Sealed,
        reason: None,
        approved_until: None,
        sealed_by: by,
        created_at: at(1_000),
        changed_by: by,
        changed_at: at(1_000),
        revision: 0,
        authorized,
    }
}

pub async fn vault_seals_round_trip_and_change_by_revision(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let (rita, sam, ada, bob) = (
        stored_user(accounts.as_ref(), "rita").await,
        stored_user(accounts.as_ref(), "sam").await,
        stored_user(accounts.as_ref(), "ada").await,
        stored_user(accounts.as_ref(), "bob").await,
    );
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, _) = stored_database(store.as_ref(), "Other").await;
    let entry = new_entry(&c, None, "Root");
    store.insert_entry(&entry).await.unwrap();

    let first = seal(d.id, entry.id, rita, sam, vec![bob, ada]);
    store.insert_seal(&first).await.unwrap();
    assert_eq!(store.seal(d.id, entry.id, rita).await.unwrap(), Some(first.clone()), "authorised persons in order");
    assert_eq!(store.seal(other.id, entry.id, rita).await.unwrap(), None, "not in another database");
    assert_eq!(store.seal(d.id, entry.id, sam).await.unwrap(), None);
    let for_sam = EntrySeal { created_at: at(2_000), ..seal(d.id, entry.id, sam, rita, vec![ada]) };
    store.insert_seal(&for_sam).await.unwrap();
    assert_eq!(store.entry_seals(d.id, entry.id).await.unwrap(), [first.clone(), for_sam.clone()], "oldest first");

    // A seal in force stays; a second one for the same recipient is refused.
    assert_err(store.insert_seal(&seal(d.id, entry.id, rita, sam, vec![ada])).await, |e| {
        matches!(e, StoreError::Duplicate(_))
    });
    assert_eq!(store.seal(d.id, entry.id, rita).await.unwrap(), Some(first.clone()));

    // A change applies at its revision, adds authorised persons once, and bumps the revision.
    let mut approve = SealChange::of(&first, SealState::Approved, ada, at(3_000));
    approve.reason = Some("incident 42".to_owned());
    approve.approved_until = Some(at(9_000));
    approve.add_authorized = vec![sam, bob, sam];
    let approved = store.change_seal(&approve).await.unwrap().expect("at its revision");
    assert_eq!(approved, approve.applied_to(&first));
    assert_eq!(approved.authorized, [bob, ada, sam]);
    assert_eq!(approved.revision, 1);
    assert_eq!(store.seal(d.id, entry.id, rita).await.unwrap(), Some(approved.clone()));
    // The same change again is based on a revision that has gone: nothing happens.
    assert_eq!(store.change_seal(&approve).await.unwrap(), None);
    assert_eq!(store.change_seal(&SealChange { database: other.id, ..approve.clone() }).await.unwrap(), None);
    assert_eq!(store.seal(d.id, entry.id, rita).await.unwrap(), Some(approved.clone()));

    // Unsealed, it is replaced by a new seal, authorised persons and all.
    let unsealed = store.change_seal(&SealChange::of(&approved, SealState::Unsealed, bob, at(4_000))).await.unwrap();
    assert_eq!(unsealed.as_ref().map(|s| (s.state, s.approved_until)), Some((SealState::Unsealed, None)));
    let again = EntrySeal { created_at: at(5_000), ..seal(d.id, entry.id, rita, sam, vec![ada]) };
    store.insert_seal(&again).await.unwrap();
    assert_eq!(store.seal(d.id, entry.id, rita).await.unwrap(), Some(again));

    // Seals go with their recipient, their authorised persons with theirs, and all with the entry.
    assert!(accounts.delete_user(sam).await.unwrap());
    assert_eq!(store.entry_seals(d.id, entry.id).await.unwrap().len(), 1);
    assert!(accounts.delete_user(ada).await.unwrap());
    assert_eq!(store.seal(d.id, entry.id, rita).await.unwrap().map(|s| s.authorized), Some(Vec::new()));
    let check = WriteCheck { session: SessionId::random(), expected_version: None, at: at(6_000) };
    assert!(store.delete_entry(d.id, entry.id, &check).await.unwrap());
    assert!(store.entry_seals(d.id, entry.id).await.unwrap().is_empty());
}

pub async fn vault_concurrent_seal_changes_one_wins(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let (rita, ada) = (stored_user(accounts.as_ref(), "rita").await, stored_user(accounts.as_ref(), "ada").await);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let entry = new_entry(&c, None, "Root");
    store.insert_entry(&entry).await.unwrap();
    let sealed = seal(d.id, entry.id, rita, ada, vec![ada]);
    store.insert_seal(&sealed).await.unwrap();
    // Eight first openings of one approved seal: exactly one breaks it.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = std::sync::Arc::clone(&store);
            let change = SealChange::of(&sealed, SealState::Broken, rita, at(2_000 + i));
            tokio::spawn(async move { store.change_seal(&change).await.unwrap().is_some() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(
        store.seal(d.id, entry.id, rita).await.unwrap().map(|s| (s.state, s.revision)),
        Some((SealState::Broken, 1))
    );
}

pub async fn vault_guarded_entries_name_second_passwords_and_seals_of_one_database(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let (rita, sam) = (stored_user(accounts.as_ref(), "rita").await, stored_user(accounts.as_ref(), "sam").await);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, oc) = stored_database(store.as_ref(), "Other").await;
    let (plain, guarded, sealed, elsewhere) = (
        new_entry(&c, None, "Plain"),
        new_entry(&c, None, "Guarded"),
        new_entry(&c, None, "Sealed"),
        new_entry(&oc, None, "Elsewhere"),
    );
    for entry in [&plain, &guarded, &sealed, &elsewhere] {
        store.insert_entry(entry).await.unwrap();
    }
    assert_eq!(store.guarded_entries(d.id).await.unwrap(), GuardedEntries::default());

    assert!(store.set_second_password(d.id, guarded.id, Some(HASH), sam, at(1)).await.unwrap());
    store.insert_seal(&seal(d.id, sealed.id, rita, sam, vec![sam])).await.unwrap();
    assert!(store.set_second_password(other.id, elsewhere.id, Some(HASH), sam, at(1)).await.unwrap());
    store.insert_seal(&seal(other.id, elsewhere.id, rita, sam, vec![sam])).await.unwrap();
    let found = store.guarded_entries(d.id).await.unwrap();
    assert_eq!(found.second_passwords, HashSet::from([guarded.id]));
    assert_eq!(found.seals, HashSet::from([(sealed.id, rita)]), "one pair per recipient, this database only");

    assert!(store.set_second_password(d.id, guarded.id, None, sam, at(2)).await.unwrap());
    let check = WriteCheck { session: SessionId::random(), expected_version: None, at: at(3) };
    assert!(store.delete_entry(d.id, sealed.id, &check).await.unwrap());
    assert_eq!(
        store.guarded_entries(d.id).await.unwrap(),
        GuardedEntries::default(),
        "removed, and gone with the entry"
    );
    assert_eq!(store.guarded_entries(other.id).await.unwrap().seals, HashSet::from([(elsewhere.id, rita)]));
}
