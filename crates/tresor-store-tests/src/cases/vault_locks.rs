//! Cases for entry locks: taking, renewing and releasing them; how they die with time and with their session;
//! how they refuse other sessions' writes; and that concurrent takers cannot both hold one.

use tresor_core::session::{EndReason, SessionRecord};
use tresor_core::vault::{EntryLock, EntryUpdate, NewEntry, VaultStore, WriteCheck};
use tresor_core::{DatabaseId, EntryId, SessionId, Store, StoreError, UserId};

use super::assert_err;
use super::vault::{new_entry, stored_database, stored_folder, vault};
use crate::TestDb;
use crate::sample::{self, HASH, at};

/// A user who signed in at `at(0)`: their id and their session's, live for an hour.
async fn signed_in(store: &dyn Store, account: &str) -> (UserId, SessionId) {
    signed_in_until(store, account, 3_600_000).await
}

/// A user whose session started at `at(0)` and expires at `at(expires)`.
async fn signed_in_until(store: &dyn Store, account: &str, expires: i64) -> (UserId, SessionId) {
    let user = sample::user(account);
    store.insert_user(&user, HASH, &[], 100).await.unwrap();
    let session = SessionRecord { expires_at: at(expires), ..sample::session(user.id, 0) };
    store.insert_session(&session).await.unwrap();
    (user.id, session.id)
}

/// A stored entry.
async fn stored_entry(store: &dyn VaultStore, entry: NewEntry) -> EntryId {
    store.insert_entry(&entry).await.unwrap();
    entry.id
}

/// The lock `who` asks for on an entry, taken at `at(taken)` until `at(expires)`.
fn lock(database: DatabaseId, entry: EntryId, who: (UserId, SessionId), taken: i64, expires: i64) -> EntryLock {
    EntryLock { database, entry, user: who.0, session: who.1, taken_at: at(taken), expires_at: at(expires) }
}

/// A write from `session` at `at(offset)`, based on `expected` (or on no particular version).
fn check(session: SessionId, expected: Option<u32>, offset: i64) -> WriteCheck {
    WriteCheck { session, expected_version: expected, at: at(offset) }
}

/// A new version of an entry written by `who` from `expected`, at `at(offset)`. The store sees only bytes.
fn update(database: DatabaseId, entry: EntryId, who: (UserId, SessionId), expected: u32, offset: i64) -> EntryUpdate {
    EntryUpdate {
        database,
        entry,
        expected_version: expected,
        ciphertext: format!("version {} of {entry}", expected + 1).into_bytes(),
        author: who.0,
        session: who.1,
        at: at(offset),
    }
}

fn locked_by(holder: EntryLock) -> impl Fn(&StoreError) -> bool {
    move |e| matches!(e, StoreError::Locked(l) if *l == holder)
}

fn sorted(mut locks: Vec<EntryLock>) -> Vec<EntryLock> {
    locks.sort_by_key(|l| l.entry);
    locks
}

pub async fn vault_locks_take_renew_release(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let kim = signed_in(accounts.as_ref(), "kim").await;
    let max = signed_in(accounts.as_ref(), "max").await;
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (o, oc) = stored_database(store.as_ref(), "Other").await;
    let e = stored_entry(store.as_ref(), new_entry(&c, None, "Shared")).await;
    let foreign = stored_entry(store.as_ref(), new_entry(&oc, None, "Elsewhere")).await;

    // Taken; then renewed by the same session: the time it was taken stays, the expiry moves.
    let taken = lock(d.id, e, kim, 1_000, 61_000);
    assert_eq!(store.lock_entry(&taken, at(1_000)).await.unwrap(), taken);
    let renewed = store.lock_entry(&lock(d.id, e, kim, 5_000, 65_000), at(5_000)).await.unwrap();
    assert_eq!(renewed, EntryLock { expires_at: at(65_000), ..taken });
    assert_eq!(store.entry_lock(d.id, e, at(6_000)).await.unwrap(), Some(renewed));
    assert_eq!(store.entry_locks(d.id, at(6_000)).await.unwrap(), [renewed]);
    assert_eq!(store.entry_lock(o.id, e, at(6_000)).await.unwrap(), None, "not in another database");
    assert!(store.entry_locks(o.id, at(6_000)).await.unwrap().is_empty());
    // Still live after the first expiry: the renewal counts.
    assert_eq!(store.entry_lock(d.id, e, at(62_000)).await.unwrap(), Some(renewed));

    // Another session is refused and told who holds it; the lock stays as it was.
    assert_err(store.lock_entry(&lock(d.id, e, max, 7_000, 67_000), at(7_000)).await, locked_by(renewed));
    assert_eq!(store.entry_lock(d.id, e, at(7_000)).await.unwrap(), Some(renewed));

    // Only the holder's session releases it.
    assert_eq!(store.unlock_entry(d.id, e, Some(max.1), at(8_000)).await.unwrap(), None);
    assert_eq!(store.unlock_entry(d.id, e, Some(SessionId::random()), at(8_000)).await.unwrap(), None);
    assert_eq!(store.unlock_entry(o.id, e, Some(kim.1), at(8_000)).await.unwrap(), None, "not from another database");
    assert_eq!(store.entry_lock(d.id, e, at(8_000)).await.unwrap(), Some(renewed));
    assert_eq!(store.unlock_entry(d.id, e, Some(kim.1), at(9_000)).await.unwrap(), Some(renewed));
    assert_eq!(store.entry_lock(d.id, e, at(9_000)).await.unwrap(), None);
    assert!(store.entry_locks(d.id, at(9_000)).await.unwrap().is_empty());
    assert_eq!(store.unlock_entry(d.id, e, Some(kim.1), at(9_000)).await.unwrap(), None, "released once");

    // Free again: the other session takes it.
    let max_lock = lock(d.id, e, max, 10_000, 70_000);
    assert_eq!(store.lock_entry(&max_lock, at(10_000)).await.unwrap(), max_lock);
    assert_err(store.lock_entry(&lock(d.id, e, kim, 11_000, 71_000), at(11_000)).await, locked_by(max_lock));

    // A database's locks, oldest first, whatever order they were taken in.
    let (a, b) = (
        stored_entry(store.as_ref(), new_entry(&c, None, "A")).await,
        stored_entry(store.as_ref(), new_entry(&c, None, "B")).await,
    );
    let late = lock(d.id, a, kim, 12_000, 72_000);
    let early = lock(d.id, b, kim, 9_500, 72_000);
    store.lock_entry(&late, at(12_000)).await.unwrap();
    store.lock_entry(&early, at(12_000)).await.unwrap();
    assert_eq!(store.entry_locks(d.id, at(13_000)).await.unwrap(), [early, max_lock, late]);
    let other = lock(o.id, foreign, kim, 13_000, 73_000);
    store.lock_entry(&other, at(13_000)).await.unwrap();
    assert_eq!(store.entry_locks(o.id, at(13_000)).await.unwrap(), [other]);
    assert_eq!(store.entry_locks(d.id, at(13_000)).await.unwrap().len(), 3);

    // An entry that is not in the database, or not anywhere.
    let mismatched = lock(d.id, foreign, max, 14_000, 74_000);
    assert_err(store.lock_entry(&mismatched, at(14_000)).await, |e| matches!(e, StoreError::NotFound(_)));
    let ghost = lock(d.id, EntryId::random(), max, 14_000, 74_000);
    assert_err(store.lock_entry(&ghost, at(14_000)).await, |e| matches!(e, StoreError::NotFound(_)));
    assert_eq!(store.entry_lock(o.id, foreign, at(14_000)).await.unwrap(), Some(other), "left as it was");
    assert_eq!(store.unlock_entry(d.id, EntryId::random(), None, at(14_000)).await.unwrap(), None);
}

pub async fn vault_locks_die_with_time_and_session(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let kim = signed_in(accounts.as_ref(), "kim").await;
    let max = signed_in(accounts.as_ref(), "max").await;
    let leaving = signed_in(accounts.as_ref(), "lea").await;
    let short = signed_in_until(accounts.as_ref(), "sam", 30_000).await;
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let mut entries = Vec::new();
    for title in ["one", "two", "three", "four", "five"] {
        entries.push(stored_entry(store.as_ref(), new_entry(&c, None, title)).await);
    }
    let [e1, e2, e3, e4, e5] = entries[..] else { unreachable!() };

    // Past its time limit a lock binds nobody: it is not shown, and another session takes the entry.
    let timed = lock(d.id, e1, kim, 1_000, 11_000);
    store.lock_entry(&timed, at(1_000)).await.unwrap();
    assert_eq!(store.entry_lock(d.id, e1, at(10_999)).await.unwrap(), Some(timed));
    assert_eq!(store.entry_lock(d.id, e1, at(11_000)).await.unwrap(), None, "expired at its expiry");
    assert!(store.entry_locks(d.id, at(11_000)).await.unwrap().is_empty());
    assert_eq!(store.unlock_entry(d.id, e1, Some(kim.1), at(12_000)).await.unwrap(), None, "nothing live to release");
    let replaced = lock(d.id, e1, max, 20_000, 80_000);
    assert_eq!(store.lock_entry(&replaced, at(20_000)).await.unwrap(), replaced, "a new lock, taken now");
    assert_eq!(store.entry_lock(d.id, e1, at(20_000)).await.unwrap(), Some(replaced));
    assert_err(store.lock_entry(&lock(d.id, e1, kim, 20_500, 80_500), at(20_500)).await, locked_by(replaced));

    // A lock whose session ended binds nobody, however long it had to run.
    let orphaned = lock(d.id, e2, leaving, 21_000, 600_000);
    store.lock_entry(&orphaned, at(21_000)).await.unwrap();
    assert!(accounts.end_session(leaving.1, EndReason::Logout, at(22_000)).await.unwrap());
    assert_eq!(store.entry_lock(d.id, e2, at(23_000)).await.unwrap(), None);
    // Nor does one whose session expired.
    let outlived = lock(d.id, e3, short, 25_000, 500_000);
    store.lock_entry(&outlived, at(25_000)).await.unwrap();
    assert_eq!(store.entry_lock(d.id, e3, at(29_999)).await.unwrap(), Some(outlived));
    assert_eq!(store.entry_lock(d.id, e3, at(30_000)).await.unwrap(), None);
    // And one more that runs out, beside one that stays live.
    let brief = lock(d.id, e4, kim, 26_000, 27_000);
    store.lock_entry(&brief, at(26_000)).await.unwrap();
    let lasting = lock(d.id, e5, kim, 26_500, 3_000_000);
    store.lock_entry(&lasting, at(26_500)).await.unwrap();
    assert_eq!(store.entry_locks(d.id, at(40_000)).await.unwrap(), [replaced, lasting]);

    // The sweep removes exactly the dead ones and returns them as they were.
    let dead = store.remove_dead_locks(at(40_000)).await.unwrap();
    assert_eq!(sorted(dead), sorted(vec![orphaned, outlived, brief]));
    assert!(store.remove_dead_locks(at(40_000)).await.unwrap().is_empty(), "removed once");
    assert_eq!(store.entry_locks(d.id, at(40_000)).await.unwrap(), [replaced, lasting]);
    assert_eq!(store.entry_lock(d.id, e1, at(40_000)).await.unwrap(), Some(replaced));

    // Breaking a lock removes it whoever holds it; there is nothing to break afterwards.
    assert_eq!(store.unlock_entry(d.id, e1, None, at(41_000)).await.unwrap(), Some(replaced));
    assert_eq!(store.entry_lock(d.id, e1, at(41_000)).await.unwrap(), None);
    assert_eq!(store.unlock_entry(d.id, e1, None, at(41_000)).await.unwrap(), None);
    assert_eq!(store.entry_locks(d.id, at(41_000)).await.unwrap(), [lasting]);
    // A dead lock is not broken: there is nothing live to break.
    let stale = lock(d.id, e4, max, 42_000, 43_000);
    store.lock_entry(&stale, at(42_000)).await.unwrap();
    assert_eq!(store.unlock_entry(d.id, e4, None, at(43_000)).await.unwrap(), None);
    assert_eq!(store.unlock_entry(d.id, e4, Some(max.1), at(43_000)).await.unwrap(), None);

    // Later, the last one expires too, and the sweep takes it with the dead one left over.
    assert!(store.entry_locks(d.id, at(3_000_000)).await.unwrap().is_empty());
    let dead = store.remove_dead_locks(at(3_000_000)).await.unwrap();
    assert_eq!(sorted(dead), sorted(vec![lasting, stale]));
    assert!(store.remove_dead_locks(at(3_000_001)).await.unwrap().is_empty());
}

pub async fn vault_locks_refuse_other_sessions_writes(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let kim = signed_in(accounts.as_ref(), "kim").await;
    let max = signed_in(accounts.as_ref(), "max").await;
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let folder = stored_folder(store.as_ref(), &c, None, "Team").await;
    let e = stored_entry(store.as_ref(), new_entry(&c, None, "Shared")).await;
    let held = lock(d.id, e, kim, 1_000, 100_000);
    store.lock_entry(&held, at(1_000)).await.unwrap();

    // Another session's writes are refused, naming the holder, and change nothing.
    let before = store.entry(d.id, e).await.unwrap().unwrap();
    assert_err(store.update_entry(&update(d.id, e, max, 1, 2_000)).await, locked_by(held));
    assert_err(store.move_entry(d.id, e, Some(folder.id), &check(max.1, None, 2_000)).await, locked_by(held));
    assert_err(store.move_entry(d.id, e, Some(folder.id), &check(max.1, Some(1), 2_000)).await, locked_by(held));
    assert_err(store.delete_entry(d.id, e, &check(max.1, None, 2_000)).await, locked_by(held));
    assert_err(store.delete_entry(d.id, e, &check(max.1, Some(1), 2_000)).await, locked_by(held));
    // So are the writes of a session that holds nothing, and of the same user from another session.
    let kim_elsewhere = (kim.0, SessionId::random());
    assert_err(store.update_entry(&update(d.id, e, kim_elsewhere, 1, 2_000)).await, locked_by(held));
    assert_err(store.delete_entry(d.id, e, &check(kim_elsewhere.1, None, 2_000)).await, locked_by(held));
    assert_eq!(store.entry(d.id, e).await.unwrap(), Some(before), "version, folder and times unchanged");
    assert_eq!(store.entry_versions(d.id, e).await.unwrap().len(), 1);
    assert_eq!(store.entry_lock(d.id, e, at(2_000)).await.unwrap(), Some(held), "the lock stays");

    // The holder's session writes.
    let v2 = store.update_entry(&update(d.id, e, kim, 1, 3_000)).await.unwrap();
    assert_eq!((v2.version, v2.updated_at), (2, at(3_000)));
    store.move_entry(d.id, e, Some(folder.id), &check(kim.1, Some(2), 4_000)).await.unwrap();
    store.move_entry(d.id, e, None, &check(kim.1, None, 4_500)).await.unwrap();
    store.move_entry(d.id, e, Some(folder.id), &check(kim.1, None, 5_000)).await.unwrap();
    let moved = store.entry(d.id, e).await.unwrap().unwrap();
    assert_eq!((moved.folder, moved.version, moved.updated_at), (Some(folder.id), 2, at(5_000)));
    assert_eq!(store.entry_lock(d.id, e, at(5_000)).await.unwrap(), Some(held), "writing does not release it");

    // Once the lock has expired, the other session writes.
    let v3 = store.update_entry(&update(d.id, e, max, 2, 100_000)).await.unwrap();
    assert_eq!(v3.version, 3);
    store.move_entry(d.id, e, None, &check(max.1, None, 100_500)).await.unwrap();
    assert_eq!(store.entry(d.id, e).await.unwrap().unwrap().folder, None);

    // A write based on a version the entry has moved on from is refused, with the current version.
    assert_err(store.update_entry(&update(d.id, e, max, 2, 101_000)).await, |e| {
        matches!(e, StoreError::StaleVersion { current: 3 })
    });
    assert_err(store.move_entry(d.id, e, Some(folder.id), &check(max.1, Some(2), 101_000)).await, |e| {
        matches!(e, StoreError::StaleVersion { current: 3 })
    });
    assert_err(store.delete_entry(d.id, e, &check(max.1, Some(1), 101_000)).await, |e| {
        matches!(e, StoreError::StaleVersion { current: 3 })
    });
    let unchanged = store.entry(d.id, e).await.unwrap().unwrap();
    assert_eq!((unchanged.folder, unchanged.version, unchanged.updated_at), (None, 3, at(100_500)));

    // Deleting the entry, by the holder of a new lock, deletes its lock.
    let again = lock(d.id, e, max, 102_000, 200_000);
    store.lock_entry(&again, at(102_000)).await.unwrap();
    assert_err(store.delete_entry(d.id, e, &check(kim.1, Some(3), 103_000)).await, locked_by(again));
    assert!(store.delete_entry(d.id, e, &check(max.1, Some(3), 103_000)).await.unwrap());
    assert_eq!(store.entry(d.id, e).await.unwrap(), None);
    assert_eq!(store.entry_lock(d.id, e, at(104_000)).await.unwrap(), None);
    assert!(store.entry_locks(d.id, at(104_000)).await.unwrap().is_empty());
    assert!(store.remove_dead_locks(at(300_000)).await.unwrap().is_empty(), "no row left behind");
    assert_err(store.lock_entry(&lock(d.id, e, max, 105_000, 200_000), at(105_000)).await, |e| {
        matches!(e, StoreError::NotFound(_))
    });
}

/// Sessions that all ask for the same free entry at once: exactly one holds it, and every other one is told it
/// is that one.
pub async fn vault_concurrent_lock_takers_one_wins(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let e = stored_entry(store.as_ref(), new_entry(&c, None, "Contested")).await;
    let mut takers = Vec::new();
    for i in 0..8 {
        takers.push(signed_in(accounts.as_ref(), &format!("user{i}")).await);
    }
    let tasks: Vec<_> = takers
        .iter()
        .zip(0..)
        .map(|(&who, i)| {
            let store = store.clone();
            let wanted = lock(d.id, e, who, 1_000 + i, 60_000 + i);
            tokio::spawn(async move { (wanted, store.lock_entry(&wanted, at(1_000)).await) })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let winners: Vec<EntryLock> = results.iter().filter_map(|(_, r)| r.as_ref().ok().copied()).collect();
    let [winner] = winners[..] else { panic!("expected exactly one winner, got {winners:?}") };
    assert!(results.iter().any(|(wanted, _)| *wanted == winner), "the winner holds the lock it asked for");
    for (wanted, result) in results {
        match result {
            Ok(got) => assert_eq!(got, winner),
            Err(StoreError::Locked(holder)) => {
                assert_eq!(holder, winner, "{:?} was told another holder", wanted.session);
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(store.entry_lock(d.id, e, at(2_000)).await.unwrap(), Some(winner));
    assert_eq!(store.entry_locks(d.id, at(2_000)).await.unwrap(), [winner]);
}
