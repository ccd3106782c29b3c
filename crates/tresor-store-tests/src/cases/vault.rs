//! Cases for the vault's databases, and the fixtures the other vault cases share.

use std::sync::Arc;

use tresor_core::permissions::{Grant, Object, Permission, Setting};
use tresor_core::vault::{
    DataKey, Database, DatabaseCipher, DatabaseSettings, EntryBody, EntryType, Folder, NewEntry, VaultStore,
};
use tresor_core::{DatabaseId, EntryId, FolderId, StoreError, UserId};

use super::assert_err;
use crate::TestDb;
use crate::sample::{HASH, at};

/// The store as a service holds the vault port.
pub(crate) fn vault(db: &TestDb) -> Arc<dyn VaultStore> {
    Arc::new(db.sql().clone())
}

/// A database record (with a stand-in wrapped key) and the cipher for its contents.
pub(crate) fn database(name: &str) -> (Database, DatabaseCipher) {
    let id = DatabaseId::random();
    let record = Database {
        id,
        name: name.to_owned(),
        comments: String::new(),
        wrapped_key: id.as_uuid().as_bytes().repeat(3),
        settings: DatabaseSettings::default(),
        created_at: at(0),
        updated_at: at(0),
    };
    (record, DatabaseCipher::from_key(id, DataKey::generate().unwrap()))
}

/// A stored database.
pub(crate) async fn stored_database(store: &dyn VaultStore, name: &str) -> (Database, DatabaseCipher) {
    let (d, c) = database(name);
    store.insert_database(&d).await.unwrap();
    (d, c)
}

/// A stored folder under `parent`.
pub(crate) async fn stored_folder(
    store: &dyn VaultStore,
    cipher: &DatabaseCipher,
    parent: Option<FolderId>,
    name: &str,
) -> Folder {
    let id = FolderId::random();
    let folder = Folder {
        id,
        database: cipher.database(),
        parent,
        sealed_name: cipher.seal_folder_name(id, name).unwrap(),
        created_at: at(1),
        updated_at: at(1),
    };
    store.insert_folder(&folder).await.unwrap();
    folder
}

/// A new password entry titled `title`, sealed for its first version.
pub(crate) fn new_entry(cipher: &DatabaseCipher, folder: Option<FolderId>, title: &str) -> NewEntry {
    let id = EntryId::random();
    let mut body = EntryBody::new(EntryType::Password, title);
    body.password = format!("pw of {title}").into();
    NewEntry {
        id,
        database: cipher.database(),
        folder,
        kind: EntryType::Password,
        ciphertext: cipher.seal_entry(id, 1, &body).unwrap(),
        author: UserId::random(),
        at: at(2),
    }
}

pub async fn vault_database_crud(db: TestDb) {
    let store = vault(&db);
    assert_eq!(store.count_databases().await.unwrap(), 0);
    let (mut company, _) = database("Company");
    company.comments = "Everything shared".into();
    company.settings = DatabaseSettings {
        monitor_accesses: true,
        reason_required_on_delete: true,
        custom_password_hash: Some(HASH.to_owned()),
    };
    store.insert_database(&company).await.unwrap();
    assert_eq!(store.database(company.id).await.unwrap(), Some(company.clone()));
    assert_eq!(store.database_by_name(" cOMPANY").await.unwrap(), Some(company.clone()));
    assert_eq!(store.database(DatabaseId::random()).await.unwrap(), None);
    assert_err(store.insert_database(&database("COMPANY").0).await, |e| matches!(e, StoreError::Duplicate(_)));

    let (private, _) = stored_database(store.as_ref(), "ada (private)").await;
    assert_eq!(store.count_databases().await.unwrap(), 2);

    company.name = "Company EMEA".into();
    company.settings = DatabaseSettings::default();
    company.updated_at = at(9);
    store.update_database(&company).await.unwrap();
    assert_eq!(store.database(company.id).await.unwrap(), Some(company.clone()));
    assert_eq!(store.database_by_name("company").await.unwrap(), None);
    let clash = Database { name: "ADA (private)".into(), ..company.clone() };
    assert_err(store.update_database(&clash).await, |e| matches!(e, StoreError::Duplicate(_)));
    assert_err(store.update_database(&database("ghost").0).await, |e| matches!(e, StoreError::NotFound(_)));
    // The wrapped key is not something an update can change.
    let rekeyed = Database { wrapped_key: vec![7; 60], ..company.clone() };
    store.update_database(&rekeyed).await.unwrap();
    assert_eq!(store.database(company.id).await.unwrap().unwrap().wrapped_key, company.wrapped_key);

    let listing = store.list_databases().await.unwrap();
    let names: Vec<&str> = listing.iter().map(|l| l.database.name.as_str()).collect();
    assert_eq!(names, ["ada (private)", "Company EMEA"], "ordered by name, case-insensitively");
    assert!(listing.iter().all(|l| l.entries == 0 && l.size_bytes == 0));
    assert_eq!(listing[1].last_modified, at(9));

    assert!(store.delete_database(private.id).await.unwrap());
    assert!(!store.delete_database(private.id).await.unwrap());
    assert_eq!(store.count_databases().await.unwrap(), 1);
}

pub async fn vault_database_listing_counts_entries(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Ops").await;
    let (_empty, _) = stored_database(store.as_ref(), "Empty").await;
    let mut e = new_entry(&c, None, "one");
    e.at = at(50);
    let first_size = e.ciphertext.len() as u64;
    store.insert_entry(&e).await.unwrap();
    let second = new_entry(&c, None, "two");
    let second_size = second.ciphertext.len() as u64;
    store.insert_entry(&second).await.unwrap();
    let listing = store.list_databases().await.unwrap();
    let ops = listing.iter().find(|l| l.database.id == d.id).unwrap();
    assert_eq!(ops.entries, 2);
    assert_eq!(ops.size_bytes, first_size + second_size);
    assert_eq!(ops.last_modified, at(50));

    // Attachments count too: every sealed chunk.
    let chunks = vec![vec![7u8; 100], vec![8u8; 23]];
    let attachment = tresor_core::vault::NewAttachment {
        id: tresor_core::AttachmentId::random(),
        database: d.id,
        entry: e.id,
        sealed_name: vec![1, 2, 3],
        size: 123,
        chunks,
        author: UserId::random(),
        at: at(60),
    };
    store.insert_attachment(&attachment).await.unwrap();
    let listing = store.list_databases().await.unwrap();
    let ops = listing.iter().find(|l| l.database.id == d.id).unwrap();
    assert_eq!(ops.size_bytes, first_size + second_size + 123);
}

/// Deleting a database takes everything inside it, and nothing of any other database.
pub async fn vault_database_delete_cascades(db: TestDb) {
    let store = vault(&db);
    let (doomed, c) = stored_database(store.as_ref(), "Doomed").await;
    let (kept, k) = stored_database(store.as_ref(), "Kept").await;
    for (cipher, d) in [(&c, &doomed), (&k, &kept)] {
        let top = stored_folder(store.as_ref(), cipher, None, "top").await;
        let sub = stored_folder(store.as_ref(), cipher, Some(top.id), "sub").await;
        let entry = new_entry(cipher, Some(sub.id), "deep");
        store.insert_entry(&entry).await.unwrap();
        let user = crate::sample::user(&format!("u{}", &d.id.to_string()[..8]));
        db.store().insert_user(&user, HASH, &[], 100).await.unwrap();
        let grant = Grant::new(Object::Entry(entry.id), user.id.into(), Permission::Read, Setting::Allow);
        store.put_grants(d.id, &[grant]).await.unwrap();
    }
    let counts = || async {
        let mut n = Vec::new();
        for table in ["databases", "folders", "entries", "entry_versions", "grants"] {
            let q = format!("SELECT COUNT(*) FROM {table}");
            let c: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(q)).fetch_one(db.sql().pool()).await.unwrap();
            n.push(c);
        }
        n
    };
    assert_eq!(counts().await, [2, 4, 2, 2, 2]);
    assert!(store.delete_database(doomed.id).await.unwrap());
    assert_eq!(counts().await, [1, 2, 1, 1, 1]);
    assert_eq!(store.list_folders(kept.id).await.unwrap().len(), 2);
    assert_eq!(store.grants(kept.id).await.unwrap().len(), 1);
}

/// The listing's last access is what `touch_database` recorded, per database, and only ever moves forward.
pub async fn vault_database_last_access(db: TestDb) {
    let store = vault(&db);
    let (d, _) = stored_database(store.as_ref(), "Company").await;
    let (other, _) = stored_database(store.as_ref(), "Other").await;
    let last_access = || async {
        let listing = store.list_databases().await.unwrap();
        let of = |id: DatabaseId| listing.iter().find(|l| l.database.id == id).unwrap().last_accessed;
        (of(d.id), of(other.id))
    };
    assert_eq!(last_access().await, (None, None), "nobody has opened either");

    store.touch_database(d.id, at(20)).await.unwrap();
    assert_eq!(last_access().await, (Some(at(20)), None));
    store.touch_database(d.id, at(30)).await.unwrap();
    assert_eq!(last_access().await, (Some(at(30)), None));
    // A node that recorded an earlier open late does not move it back.
    store.touch_database(d.id, at(25)).await.unwrap();
    assert_eq!(last_access().await, (Some(at(30)), None));
    store.touch_database(DatabaseId::random(), at(40)).await.unwrap();
    assert_eq!(last_access().await, (Some(at(30)), None));

    // Opening is not changing: the record and the last modification stay.
    assert_eq!(store.database(d.id).await.unwrap(), Some(d.clone()));
    let listing = store.list_databases().await.unwrap();
    assert_eq!(listing.iter().find(|l| l.database.id == d.id).unwrap().last_modified, d.updated_at);
}
