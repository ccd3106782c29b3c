//! Cases for folders: the tree, renames, moves with the cycle rule, deletes with and without `recursive`, and
//! feeding the permission tree from the store.

use tresor_core::permissions::DatabaseTree;
use tresor_core::vault::{Folder, FolderContents};
use tresor_core::{DatabaseId, FolderId, StoreError};

use super::assert_err;
use super::vault::{new_entry, stored_database, stored_folder, vault};
use crate::TestDb;
use crate::sample::at;

pub async fn vault_folder_tree(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, oc) = stored_database(store.as_ref(), "Other").await;
    let hr = stored_folder(store.as_ref(), &c, None, "HR").await;
    let pay = stored_folder(store.as_ref(), &c, Some(hr.id), "Payroll").await;
    let it = stored_folder(store.as_ref(), &c, None, "IT").await;
    let foreign = stored_folder(store.as_ref(), &oc, None, "Elsewhere").await;

    assert_eq!(store.folder(d.id, pay.id).await.unwrap(), Some(pay.clone()));
    assert_eq!(store.folder(other.id, pay.id).await.unwrap(), None, "folders are looked up within their database");
    let mut listed: Vec<FolderId> = store.list_folders(d.id).await.unwrap().iter().map(|f| f.id).collect();
    listed.sort();
    let mut expected = vec![hr.id, pay.id, it.id];
    expected.sort();
    assert_eq!(listed, expected);

    // A parent must exist in the same database, and so must the database.
    let mut orphan = Folder { id: FolderId::random(), parent: Some(foreign.id), ..hr.clone() };
    assert_err(store.insert_folder(&orphan).await, |e| matches!(e, StoreError::NotFound(_)));
    orphan.parent = None;
    orphan.database = DatabaseId::random();
    assert_err(store.insert_folder(&orphan).await, |e| matches!(e, StoreError::NotFound(_)));

    // Rename: the name is sealed; the store swaps the bytes.
    let sealed = c.seal_folder_name(pay.id, "Salaries").unwrap();
    store.rename_folder(d.id, pay.id, &sealed, at(5)).await.unwrap();
    let renamed = store.folder(d.id, pay.id).await.unwrap().unwrap();
    assert_eq!(c.open_folder_name(pay.id, &renamed.sealed_name).unwrap(), "Salaries");
    assert_eq!(renamed.updated_at, at(5));
    assert_err(store.rename_folder(other.id, pay.id, &sealed, at(5)).await, |e| matches!(e, StoreError::NotFound(_)));

    // Moves.
    store.move_folder(d.id, pay.id, Some(it.id), at(6)).await.unwrap();
    assert_eq!(store.folder(d.id, pay.id).await.unwrap().unwrap().parent, Some(it.id));
    store.move_folder(d.id, pay.id, None, at(7)).await.unwrap();
    assert_eq!(store.folder(d.id, pay.id).await.unwrap().unwrap().parent, None);
    store.move_folder(d.id, pay.id, Some(hr.id), at(8)).await.unwrap();
    assert_err(store.move_folder(d.id, hr.id, Some(hr.id), at(9)).await, |e| matches!(e, StoreError::FolderCycle));
    assert_err(store.move_folder(d.id, hr.id, Some(pay.id), at(9)).await, |e| matches!(e, StoreError::FolderCycle));
    assert_err(store.move_folder(d.id, hr.id, Some(foreign.id), at(9)).await, |e| matches!(e, StoreError::NotFound(_)));
    assert_err(store.move_folder(d.id, foreign.id, None, at(9)).await, |e| matches!(e, StoreError::NotFound(_)));
    assert_eq!(store.folder(d.id, hr.id).await.unwrap().unwrap().parent, None, "refused moves change nothing");

    // The store feeds the permission tree directly.
    let entry = new_entry(&c, Some(pay.id), "Payroll login");
    store.insert_entry(&entry).await.unwrap();
    let folders = store.list_folders(d.id).await.unwrap();
    let nodes = folders.iter().map(|f| f.node(c.open_folder_name(f.id, &f.sealed_name).unwrap())).collect();
    let entries = store.list_entries(d.id).await.unwrap().iter().map(|e| e.node()).collect();
    let tree = DatabaseTree::build(d.id, d.name.clone(), nodes, entries).unwrap();
    let path = tree.path(tresor_core::permissions::Object::Entry(entry.id)).unwrap();
    assert_eq!(path.len(), 4, "database, HR, Salaries, entry: {path:?}");
    assert_eq!(tree.folder(pay.id).unwrap().name, "Salaries");
}

/// Two moves that would each be fine alone but close a cycle together: one of them must be refused.
pub async fn vault_concurrent_folder_moves_cannot_cycle(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    for _ in 0..5 {
        let a = stored_folder(store.as_ref(), &c, None, "A").await;
        let b = stored_folder(store.as_ref(), &c, None, "B").await;
        let (s1, s2) = (store.clone(), store.clone());
        let one = tokio::spawn(async move { s1.move_folder(d.id, a.id, Some(b.id), at(3)).await });
        let two = tokio::spawn(async move { s2.move_folder(d.id, b.id, Some(a.id), at(3)).await });
        let results = [one.await.unwrap(), two.await.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(StoreError::FolderCycle))), "{results:?}");
        let folders = store.list_folders(d.id).await.unwrap();
        let nodes = folders.iter().map(|f| f.node("f")).collect();
        DatabaseTree::build(d.id, "Company", nodes, Vec::new()).unwrap();
    }
}

pub async fn vault_folder_delete(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let top = stored_folder(store.as_ref(), &c, None, "top").await;
    let mid = stored_folder(store.as_ref(), &c, Some(top.id), "mid").await;
    let leaf = stored_folder(store.as_ref(), &c, Some(mid.id), "leaf").await;
    let entry = new_entry(&c, Some(leaf.id), "deep");
    store.insert_entry(&entry).await.unwrap();
    let beside = new_entry(&c, None, "at the root");
    store.insert_entry(&beside).await.unwrap();

    // Non-empty: a sub-folder, or an entry, is enough to refuse.
    assert_err(store.delete_folder(d.id, top.id, None).await, |e| matches!(e, StoreError::NotEmpty(_)));
    assert_err(store.delete_folder(d.id, leaf.id, None).await, |e| matches!(e, StoreError::NotEmpty(_)));
    assert_eq!(store.list_folders(d.id).await.unwrap().len(), 3);

    // Recursive: only with exactly what is inside named, so that nothing the caller did not check goes with it.
    let inside = FolderContents { folders: [leaf.id].into(), entries: [entry.id].into() };
    let stale = FolderContents { folders: [leaf.id].into(), entries: Default::default() };
    assert_err(store.delete_folder(d.id, mid.id, Some(&stale)).await, |e| matches!(e, StoreError::Changed(_)));
    let too_much = FolderContents { folders: [leaf.id, top.id].into(), entries: [entry.id].into() };
    assert_err(store.delete_folder(d.id, mid.id, Some(&too_much)).await, |e| matches!(e, StoreError::Changed(_)));
    assert_eq!(store.list_folders(d.id).await.unwrap().len(), 3, "a refused delete deletes nothing");
    // The subtree with its entries and their versions.
    assert!(store.delete_folder(d.id, mid.id, Some(&inside)).await.unwrap());
    let left: Vec<FolderId> = store.list_folders(d.id).await.unwrap().iter().map(|f| f.id).collect();
    assert_eq!(left, [top.id]);
    assert_eq!(store.entry(d.id, entry.id).await.unwrap(), None);
    assert!(store.entry_versions(d.id, entry.id).await.unwrap().is_empty());
    assert!(store.entry(d.id, beside.id).await.unwrap().is_some());

    // Empty now: no need for recursion. Deleting again, or in another database, finds nothing.
    assert!(store.delete_folder(d.id, top.id, None).await.unwrap());
    assert!(!store.delete_folder(d.id, top.id, None).await.unwrap());
    assert!(!store.delete_folder(DatabaseId::random(), top.id, Some(&FolderContents::default())).await.unwrap());
}
