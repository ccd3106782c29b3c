//! Sealing binds a body to (database, entry, version) and a folder name to (database, folder); anything else
//! fails to open, with one error and no data.

use proptest::prelude::*;

use super::card;
use crate::ids::{DatabaseId, EntryId, FolderId};
use crate::vault::codec::encode;
use crate::vault::{DataKey, DatabaseCipher, EntryBody, EntryType, VaultError};

fn cipher(database: DatabaseId) -> DatabaseCipher {
    DatabaseCipher::from_key(database, DataKey::generate().unwrap())
}

fn same(a: &EntryBody, b: &EntryBody) -> bool {
    *encode(a).unwrap() == *encode(b).unwrap()
}

#[test]
fn seal_then_open_gives_back_the_body() {
    let c = cipher(DatabaseId::random());
    let entry = EntryId::random();
    let ct = c.seal_entry(entry, 1, &card()).unwrap();
    assert!(same(&c.open_entry(entry, 1, &ct).unwrap(), &card()));
    // Two seals of the same body differ (fresh nonces).
    assert_ne!(ct, c.seal_entry(entry, 1, &card()).unwrap());
}

#[test]
fn the_ciphertext_shows_no_plaintext() {
    let c = cipher(DatabaseId::random());
    let ct = c.seal_entry(EntryId::random(), 1, &card()).unwrap();
    for needle in [&b"Company Visa"[..], b"Ada Lovelace", b"4111", b"finance"] {
        assert!(!ct.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn another_entry_cannot_open_it() {
    let c = cipher(DatabaseId::random());
    let (a, b) = (EntryId::random(), EntryId::random());
    let ct = c.seal_entry(a, 1, &card()).unwrap();
    assert!(matches!(c.open_entry(b, 1, &ct), Err(VaultError::Undecryptable)));
}

#[test]
fn another_version_cannot_open_it() {
    let c = cipher(DatabaseId::random());
    let e = EntryId::random();
    let ct = c.seal_entry(e, 7, &card()).unwrap();
    assert!(matches!(c.open_entry(e, 8, &ct), Err(VaultError::Undecryptable)));
    assert!(matches!(c.open_entry(e, 6, &ct), Err(VaultError::Undecryptable)));
    c.open_entry(e, 7, &ct).unwrap();
}

#[test]
fn another_database_or_key_cannot_open_it() {
    let db = DatabaseId::random();
    let key = DataKey::generate().unwrap();
    let c = DatabaseCipher::from_key(db, key);
    let e = EntryId::random();
    let ct = c.seal_entry(e, 1, &card()).unwrap();
    assert!(matches!(cipher(db).open_entry(e, 1, &ct), Err(VaultError::Undecryptable)), "other key");
    let other_db = cipher(DatabaseId::random());
    assert!(matches!(other_db.open_entry(e, 1, &ct), Err(VaultError::Undecryptable)), "other database");
}

#[test]
fn every_flipped_bit_fails() {
    let c = cipher(DatabaseId::random());
    let e = EntryId::random();
    let ct = c.seal_entry(e, 1, &EntryBody::new(EntryType::Information, "note")).unwrap();
    for i in 0..ct.len() {
        for bit in 0..8 {
            let mut bad = ct.clone();
            bad[i] ^= 1 << bit;
            assert!(matches!(c.open_entry(e, 1, &bad), Err(VaultError::Undecryptable)), "byte {i} bit {bit}");
        }
    }
    assert!(c.open_entry(e, 1, &ct[..ct.len() - 1]).is_err(), "truncated");
    assert!(c.open_entry(e, 1, &[]).is_err(), "empty");
}

#[test]
fn an_invalid_body_is_not_sealed() {
    let c = cipher(DatabaseId::random());
    let mut b = EntryBody::new(EntryType::Password, "x");
    b.fields.insert("iban".into(), crate::vault::FieldValue::Text("DE00".into()));
    assert!(matches!(c.seal_entry(EntryId::random(), 1, &b), Err(VaultError::UnknownField { .. })));
}

#[test]
fn folder_names_are_sealed_to_their_folder() {
    let db = DatabaseId::random();
    let c = cipher(db);
    let (f, g) = (FolderId::random(), FolderId::random());
    let ct = c.seal_folder_name(f, " Human Resources ").unwrap();
    assert_eq!(c.open_folder_name(f, &ct).unwrap(), "Human Resources");
    assert!(matches!(c.open_folder_name(g, &ct), Err(VaultError::Undecryptable)));
    assert!(c.seal_folder_name(f, "a/b").is_err());
    // An entry's associated data never matches a folder's, even with equal ids.
    let as_entry = EntryId::from(f.as_uuid());
    assert!(c.open_entry(as_entry, 1, &ct).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn seal_open_round_trips_any_title_and_password(title in "[^\\p{Cc}]{1,40}", password in ".{0,64}") {
        prop_assume!(!title.trim().is_empty());
        let c = cipher(DatabaseId::random());
        let e = EntryId::random();
        let mut b = EntryBody::new(EntryType::Password, title.clone());
        b.password = password.clone().into();
        let opened = c.open_entry(e, 3, &c.seal_entry(e, 3, &b).unwrap()).unwrap();
        prop_assert_eq!(&opened.title, &title);
        prop_assert_eq!(opened.password.expose_secret(), password.as_str());
    }
}
