//! Cases for entries: creation, history, optimistic updates, moves and deletes; and what tampering with the
//! stored ciphertexts does (they fail to open, and never open as something else).

use tresor_core::vault::{EntryBody, EntryType, EntryUpdate, VaultError, VaultStore, WriteCheck, check_kind};
use tresor_core::{DatabaseId, EntryId, SessionId, StoreError, UserId};

use super::assert_err;
use super::vault::{new_entry, stored_database, stored_folder, vault};
use crate::TestDb;
use crate::sample::at;

fn update(entry: EntryId, database: DatabaseId, expected: u32, ciphertext: Vec<u8>, offset: i64) -> EntryUpdate {
    EntryUpdate {
        database,
        entry,
        expected_version: expected,
        ciphertext,
        author: UserId::random(),
        session: SessionId::random(),
        at: at(offset),
    }
}

/// A write from a session that holds no lock, based on no particular version.
pub(super) fn anyone(offset: i64) -> WriteCheck {
    WriteCheck { session: SessionId::random(), expected_version: None, at: at(offset) }
}

pub async fn vault_entry_lifecycle_and_history(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, oc) = stored_database(store.as_ref(), "Other").await;
    let folder = stored_folder(store.as_ref(), &c, None, "Mail").await;
    let first = new_entry(&c, Some(folder.id), "Mailbox");
    let meta = store.insert_entry(&first).await.unwrap();
    assert_eq!((meta.version, meta.folder, meta.kind), (1, Some(folder.id), EntryType::Password));
    assert_eq!(store.entry(d.id, first.id).await.unwrap(), Some(meta));
    assert_eq!(store.entry(other.id, first.id).await.unwrap(), None, "entries are looked up within their database");
    assert_err(store.insert_entry(&first).await, |e| matches!(e, StoreError::Duplicate(_)));

    // Version 2, sealed for version 2.
    let mut body = EntryBody::new(EntryType::Password, "Mailbox");
    body.password = "rotated".to_owned().into();
    let v2 = c.seal_entry(first.id, 2, &body).unwrap();
    let meta2 = store.update_entry(&update(first.id, d.id, 1, v2.clone(), 10)).await.unwrap();
    assert_eq!((meta2.version, meta2.updated_at, meta2.created_at), (2, at(10), at(2)));

    // A writer still at version 1 is refused, and told the current version; nothing is written.
    let stale = store.update_entry(&update(first.id, d.id, 1, v2.clone(), 11)).await;
    assert_err(stale, |e| matches!(e, StoreError::StaleVersion { current: 2 }));
    let ghost = store.update_entry(&update(EntryId::random(), d.id, 1, v2.clone(), 11)).await;
    assert_err(ghost, |e| matches!(e, StoreError::NotFound(_)));
    let elsewhere = store.update_entry(&update(first.id, other.id, 2, v2.clone(), 11)).await;
    assert_err(elsewhere, |e| matches!(e, StoreError::NotFound(_)));

    let (current_meta, current) = store.current_entry(d.id, first.id).await.unwrap().unwrap();
    assert_eq!((current_meta, current.version, &current.ciphertext), (meta2, 2, &v2));
    let opened = c.open_entry(first.id, current.version, &current.ciphertext).unwrap();
    check_kind(&current_meta, &opened).unwrap();
    assert_eq!(opened.password.expose_secret(), "rotated");

    let history = store.entry_versions(d.id, first.id).await.unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1], "newest first");
    assert_eq!(history[1].author, first.author);
    let old = store.entry_version(d.id, first.id, 1).await.unwrap().unwrap();
    assert_eq!((old.ciphertext, old.author, old.created_at), (first.ciphertext.clone(), first.author, at(2)));
    assert_eq!(store.entry_version(d.id, first.id, 3).await.unwrap(), None);
    assert_eq!(store.entry_version(other.id, first.id, 1).await.unwrap(), None);
    assert!(store.entry_versions(other.id, first.id).await.unwrap().is_empty());

    // Moves keep the version; a folder of another database, or a missing entry, is refused.
    store.move_entry(d.id, first.id, None, &anyone(12)).await.unwrap();
    let moved = store.entry(d.id, first.id).await.unwrap().unwrap();
    assert_eq!((moved.folder, moved.version, moved.updated_at), (None, 2, at(12)));
    let foreign = stored_folder(store.as_ref(), &oc, None, "Elsewhere").await;
    let into_foreign = store.move_entry(d.id, first.id, Some(foreign.id), &anyone(13)).await;
    assert_err(into_foreign, |e| matches!(e, StoreError::NotFound(_)));
    store.move_entry(d.id, first.id, Some(folder.id), &anyone(13)).await.unwrap();
    assert_eq!(store.entry(d.id, first.id).await.unwrap().unwrap().folder, Some(folder.id));
    assert_err(store.move_entry(d.id, EntryId::random(), None, &anyone(13)).await, |e| {
        matches!(e, StoreError::NotFound(_))
    });

    let second = new_entry(&c, None, "Second");
    store.insert_entry(&second).await.unwrap();
    let mut listed: Vec<EntryId> = store.list_entries(d.id).await.unwrap().iter().map(|e| e.id).collect();
    listed.sort();
    let mut expected = vec![first.id, second.id];
    expected.sort();
    assert_eq!(listed, expected);

    assert!(store.delete_entry(d.id, first.id, &anyone(0)).await.unwrap());
    assert!(!store.delete_entry(d.id, first.id, &anyone(0)).await.unwrap());
    assert_eq!(store.current_entry(d.id, first.id).await.unwrap(), None);
    assert!(store.entry_versions(d.id, first.id).await.unwrap().is_empty());
    assert!(!store.delete_entry(other.id, second.id, &anyone(0)).await.unwrap(), "not from another database");
}

/// Concurrent writers that all read version 1: exactly one gets version 2; the others are told it exists.
pub async fn vault_concurrent_updates_one_wins(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let entry = new_entry(&c, None, "Shared");
    store.insert_entry(&entry).await.unwrap();
    let body = EntryBody::new(EntryType::Password, "Shared");
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let u = update(entry.id, d.id, 1, c.seal_entry(entry.id, 2, &body).unwrap(), 20 + i);
            tokio::spawn(async move { store.update_entry(&u).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(meta) => {
                won += 1;
                assert_eq!(meta.version, 2);
            }
            Err(StoreError::StaleVersion { current: 2 }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.entry_versions(d.id, entry.id).await.unwrap().len(), 2);
}

async fn put_ciphertext(db: &TestDb, entry: EntryId, version: u32, ciphertext: Vec<u8>) {
    sqlx::query("UPDATE entry_versions SET ciphertext = $1 WHERE entry_id = $2 AND version = $3")
        .bind(ciphertext)
        .bind(entry.to_string())
        .bind(i64::from(version))
        .execute(db.sql().pool())
        .await
        .unwrap();
}

async fn open_current(
    store: &dyn VaultStore,
    c: &tresor_core::vault::DatabaseCipher,
    d: DatabaseId,
    e: EntryId,
) -> Result<EntryBody, VaultError> {
    let (meta, current) = store.current_entry(d, e).await.unwrap().unwrap();
    let body = c.open_entry(e, current.version, &current.ciphertext)?;
    check_kind(&meta, &body)?;
    Ok(body)
}

/// Someone with write access to the store flips a bit, swaps two entries' ciphertexts, or replays an old
/// version as the current one: each read fails with the one clear error and returns nothing.
pub async fn vault_tampered_ciphertexts_fail_to_open(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (a, b) = (new_entry(&c, None, "Alpha"), new_entry(&c, None, "Beta"));
    store.insert_entry(&a).await.unwrap();
    store.insert_entry(&b).await.unwrap();
    assert_eq!(open_current(store.as_ref(), &c, d.id, a.id).await.unwrap().title, "Alpha");

    // A flipped bit, anywhere in the ciphertext.
    for i in [0, 5, a.ciphertext.len() / 2, a.ciphertext.len() - 1] {
        let mut flipped = a.ciphertext.clone();
        flipped[i] ^= 0x04;
        put_ciphertext(&db, a.id, 1, flipped).await;
        let e = open_current(store.as_ref(), &c, d.id, a.id).await.unwrap_err();
        assert!(matches!(e, VaultError::Undecryptable), "byte {i}: {e:?}");
        assert!(!e.to_string().contains("Alpha"));
    }
    put_ciphertext(&db, a.id, 1, a.ciphertext.clone()).await;
    open_current(store.as_ref(), &c, d.id, a.id).await.unwrap();

    // Swapped between two entries: both fail, neither shows the other's contents.
    put_ciphertext(&db, a.id, 1, b.ciphertext.clone()).await;
    put_ciphertext(&db, b.id, 1, a.ciphertext.clone()).await;
    assert!(matches!(open_current(store.as_ref(), &c, d.id, a.id).await, Err(VaultError::Undecryptable)));
    assert!(matches!(open_current(store.as_ref(), &c, d.id, b.id).await, Err(VaultError::Undecryptable)));
    put_ciphertext(&db, a.id, 1, a.ciphertext.clone()).await;
    put_ciphertext(&db, b.id, 1, b.ciphertext.clone()).await;

    // An old version replayed as the current one.
    let v2 = c.seal_entry(a.id, 2, &EntryBody::new(EntryType::Password, "Alpha v2")).unwrap();
    store.update_entry(&update(a.id, d.id, 1, v2, 30)).await.unwrap();
    put_ciphertext(&db, a.id, 2, a.ciphertext.clone()).await;
    assert!(matches!(open_current(store.as_ref(), &c, d.id, a.id).await, Err(VaultError::Undecryptable)));

    // A changed type in the clear no longer matches the sealed one.
    sqlx::query("UPDATE entries SET kind = 'banking' WHERE id = $1")
        .bind(b.id.to_string())
        .execute(db.sql().pool())
        .await
        .unwrap();
    let e = open_current(store.as_ref(), &c, d.id, b.id).await.unwrap_err();
    assert!(matches!(e, VaultError::KindMismatch { .. }), "{e:?}");
}

/// Several entries with their current versions in one call, in the order asked, across batches; entries of
/// another database or unknown ids are left out.
pub async fn vault_current_entries_in_batches(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, oc) = stored_database(store.as_ref(), "Other").await;
    let mut ids = Vec::new();
    for i in 0..520 {
        let e = new_entry(&c, None, &format!("entry {i}"));
        store.insert_entry(&e).await.unwrap();
        ids.push(e.id);
    }
    // One entry moves on to version 2: the listing must show version 2's ciphertext.
    let mut body = EntryBody::new(EntryType::Password, "entry 7 renamed");
    body.username = "u".to_owned();
    let v2 = c.seal_entry(ids[7], 2, &body).unwrap();
    store.update_entry(&update(ids[7], d.id, 1, v2.clone(), 10)).await.unwrap();
    let foreign = new_entry(&oc, None, "elsewhere");
    store.insert_entry(&foreign).await.unwrap();

    let mut asked: Vec<EntryId> = ids.iter().rev().copied().collect();
    asked.insert(3, foreign.id);
    asked.insert(5, EntryId::random());
    let got = store.current_entries(d.id, &asked).await.unwrap();
    let expected: Vec<EntryId> = ids.iter().rev().copied().collect();
    assert_eq!(got.iter().map(|(m, _)| m.id).collect::<Vec<_>>(), expected, "in the order asked, others left out");
    let (meta, version) = got.iter().find(|(m, _)| m.id == ids[7]).unwrap();
    assert_eq!((meta.version, version.version, &version.ciphertext), (2, 2, &v2));
    let opened = c.open_entry(ids[7], 2, &version.ciphertext).unwrap();
    assert_eq!(opened.title, "entry 7 renamed");
    assert!(store.current_entries(other.id, &ids).await.unwrap().is_empty());
    assert!(store.current_entries(d.id, &[]).await.unwrap().is_empty());
}
