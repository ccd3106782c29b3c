//! Cases for second passwords: one verifier per entry, set, replaced and removed; only for an entry of that
//! database; gone with the entry.

use tresor_core::vault::WriteCheck;
use tresor_core::{EntryId, SessionId, UserId};

use super::vault::{new_entry, stored_database, vault};
use crate::TestDb;
use crate::sample::{HASH, at};

pub async fn vault_second_passwords_set_replace_remove(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, _) = stored_database(store.as_ref(), "Other").await;
    let entry = new_entry(&c, None, "Root");
    store.insert_entry(&entry).await.unwrap();
    let by = UserId::random();
    assert_eq!(store.second_password(d.id, entry.id).await.unwrap(), None);
    assert!(store.set_second_password(d.id, entry.id, Some(HASH), by, at(1)).await.unwrap());
    assert_eq!(store.second_password(d.id, entry.id).await.unwrap().as_deref(), Some(HASH));
    assert_eq!(store.second_password(other.id, entry.id).await.unwrap(), None, "not in another database");
    assert!(!store.set_second_password(other.id, entry.id, Some("x"), by, at(2)).await.unwrap());
    assert!(!store.set_second_password(d.id, EntryId::random(), Some("x"), by, at(2)).await.unwrap());
    assert!(store.set_second_password(d.id, entry.id, Some("$argon2id$other"), by, at(3)).await.unwrap());
    assert_eq!(store.second_password(d.id, entry.id).await.unwrap().as_deref(), Some("$argon2id$other"));
    assert!(store.set_second_password(d.id, entry.id, None, by, at(4)).await.unwrap());
    assert_eq!(store.second_password(d.id, entry.id).await.unwrap(), None);
    assert!(store.set_second_password(d.id, entry.id, Some(HASH), by, at(5)).await.unwrap());
    let check = WriteCheck { session: SessionId::random(), expected_version: None, at: at(6) };
    assert!(store.delete_entry(d.id, entry.id, &check).await.unwrap());
    assert_eq!(store.second_password(d.id, entry.id).await.unwrap(), None);
}
