//! Cases for attachments: sealed chunks stored together and read one at a time, listings and deletes, the
//! database boundary, and the cascades from entries, folders and databases.

use tresor_core::vault::{AttachmentMeta, DatabaseCipher, FolderContents, NewAttachment};
use tresor_core::{AttachmentId, DatabaseId, EntryId, StoreError, UserId};

use super::assert_err;
use super::vault::{new_entry, stored_database, stored_folder, vault};
use crate::TestDb;
use crate::sample::at;

/// Plaintext bytes per chunk in these cases: small, so that a few bytes make several chunks.
const CHUNK: usize = 8;

/// An attachment of `contents` to `entry`, its name and chunks sealed as the vault seals them.
fn new_attachment(
    cipher: &DatabaseCipher,
    entry: EntryId,
    id: AttachmentId,
    name: &str,
    contents: &[u8],
    offset: i64,
) -> NewAttachment {
    let pieces: Vec<&[u8]> = contents.chunks(CHUNK).collect();
    let last = pieces.len().saturating_sub(1);
    let chunks =
        (0_u32..).zip(&pieces).map(|(i, piece)| cipher.seal_chunk(id, i, i as usize == last, piece).unwrap()).collect();
    NewAttachment {
        id,
        database: cipher.database(),
        entry,
        sealed_name: cipher.seal_attachment_name(entry, id, name).unwrap(),
        size: contents.len() as u64,
        chunks,
        author: UserId::random(),
        at: at(offset),
    }
}

/// Reads every chunk through the port, one at a time, and opens them in order.
async fn download(db: &TestDb, cipher: &DatabaseCipher, meta: &AttachmentMeta) -> Vec<u8> {
    let store = vault(db);
    let mut contents = Vec::new();
    for i in 0..meta.chunks {
        let sealed = store.attachment_chunk(meta.database, meta.id, i).await.unwrap().unwrap();
        contents.extend_from_slice(&cipher.open_chunk(meta.id, i, i + 1 == meta.chunks, &sealed).unwrap());
    }
    contents
}

/// Rows left in `attachment_chunks` for an attachment: a cascade must delete them, not only hide them.
async fn chunk_rows(db: &TestDb, attachment: AttachmentId) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = $1")
        .bind(attachment.to_string())
        .fetch_one(db.sql().pool())
        .await
        .unwrap()
}

pub async fn vault_attachments_round_trip_in_chunks(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let entry = new_entry(&c, None, "Server room");
    store.insert_entry(&entry).await.unwrap();

    let contents = b"twenty bytes of text".to_vec();
    let first = new_attachment(&c, entry.id, AttachmentId::random(), "floor plan.pdf", &contents, 5);
    assert_eq!(first.chunks.len(), 3);
    let meta = store.insert_attachment(&first).await.unwrap();
    assert_eq!((meta.size, meta.chunks, meta.author, meta.created_at), (20, 3, first.author, at(5)));
    assert_eq!(store.attachment(d.id, entry.id, first.id).await.unwrap(), Some(meta.clone()));
    assert_eq!(c.open_attachment_name(entry.id, first.id, &meta.sealed_name).unwrap(), "floor plan.pdf");
    // Each chunk is bound to its position: one returned for the wrong index would not open.
    assert_eq!(download(&db, &c, &meta).await, contents);
    assert_eq!(store.attachment_chunk(d.id, first.id, 3).await.unwrap(), None, "past the last chunk");
    assert_eq!(store.attachment_chunk(d.id, first.id, u32::MAX).await.unwrap(), None);
    assert_eq!(store.attachment_chunk(d.id, AttachmentId::random(), 0).await.unwrap(), None);
    assert_err(store.insert_attachment(&first).await, |e| matches!(e, StoreError::Duplicate(_)));
    assert_eq!(chunk_rows(&db, first.id).await, 3, "a refused duplicate adds no chunk");

    // Oldest first, whatever the order of insertion or of the ids.
    let mut ids = [AttachmentId::random(), AttachmentId::random()];
    ids.sort();
    let older = new_attachment(&c, entry.id, ids[1], "older.txt", b"old", 3);
    let middle = new_attachment(&c, entry.id, ids[0], "middle.txt", b"in between", 4);
    store.insert_attachment(&middle).await.unwrap();
    store.insert_attachment(&older).await.unwrap();
    let listed: Vec<AttachmentId> = store.attachments(d.id, entry.id).await.unwrap().iter().map(|a| a.id).collect();
    assert_eq!(listed, [older.id, middle.id, first.id]);
    assert_eq!(store.attachments(d.id, entry.id).await.unwrap()[2], meta);

    assert!(store.delete_attachment(d.id, entry.id, middle.id).await.unwrap());
    assert!(!store.delete_attachment(d.id, entry.id, middle.id).await.unwrap());
    assert_eq!(store.attachment(d.id, entry.id, middle.id).await.unwrap(), None);
    assert_eq!(store.attachment_chunk(d.id, middle.id, 0).await.unwrap(), None);
    assert_eq!(chunk_rows(&db, middle.id).await, 0);
    let listed: Vec<AttachmentId> = store.attachments(d.id, entry.id).await.unwrap().iter().map(|a| a.id).collect();
    assert_eq!(listed, [older.id, first.id]);
    assert_eq!(download(&db, &c, &meta).await, contents, "the others keep their chunks");
}

/// An attachment belongs to an entry of one database: it cannot be attached across databases, and is not
/// found, read or deleted through another database or another entry.
pub async fn vault_attachments_stay_in_their_database(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, oc) = stored_database(store.as_ref(), "Other").await;
    let entry = new_entry(&c, None, "Ours");
    let theirs = new_entry(&oc, None, "Theirs");
    store.insert_entry(&entry).await.unwrap();
    store.insert_entry(&theirs).await.unwrap();

    let mut across = new_attachment(&oc, entry.id, AttachmentId::random(), "x", b"contents", 1);
    assert_eq!(across.database, other.id);
    assert_err(store.insert_attachment(&across).await, |e| matches!(e, StoreError::NotFound(_)));
    across.entry = EntryId::random();
    assert_err(store.insert_attachment(&across).await, |e| matches!(e, StoreError::NotFound(_)));
    across.database = DatabaseId::random();
    across.entry = entry.id;
    assert_err(store.insert_attachment(&across).await, |e| matches!(e, StoreError::NotFound(_)));
    assert!(store.attachments(other.id, entry.id).await.unwrap().is_empty());
    assert!(store.attachments(d.id, entry.id).await.unwrap().is_empty());
    assert_eq!(chunk_rows(&db, across.id).await, 0, "a refused attachment leaves no chunk behind");

    let ours = new_attachment(&c, entry.id, AttachmentId::random(), "ours", b"contents", 2);
    store.insert_attachment(&ours).await.unwrap();
    assert_eq!(store.attachment(other.id, entry.id, ours.id).await.unwrap(), None);
    assert_eq!(store.attachment(d.id, theirs.id, ours.id).await.unwrap(), None, "nor under another entry");
    assert!(store.attachments(other.id, entry.id).await.unwrap().is_empty());
    assert_eq!(store.attachment_chunk(other.id, ours.id, 0).await.unwrap(), None);
    assert!(!store.delete_attachment(other.id, entry.id, ours.id).await.unwrap());
    assert!(!store.delete_attachment(d.id, theirs.id, ours.id).await.unwrap());
    assert!(store.attachment(d.id, entry.id, ours.id).await.unwrap().is_some());
    assert_eq!(store.attachment_chunk(d.id, ours.id, 0).await.unwrap(), Some(ours.chunks[0].clone()));
}

/// Deleting an entry, a folder recursively, or a database deletes the attachments inside, chunks included,
/// and nothing else.
pub async fn vault_attachments_go_with_entry_folder_and_database(db: TestDb) {
    let store = vault(&db);
    let (d, c) = stored_database(store.as_ref(), "Doomed").await;
    let (kept, k) = stored_database(store.as_ref(), "Kept").await;
    let folder = stored_folder(store.as_ref(), &c, None, "Archive").await;
    let mut attached = Vec::new();
    for (cipher, folder, title) in
        [(&c, Some(folder.id), "filed"), (&c, None, "loose"), (&c, None, "last"), (&k, None, "kept")]
    {
        let entry = new_entry(cipher, folder, title);
        store.insert_entry(&entry).await.unwrap();
        let a = new_attachment(cipher, entry.id, AttachmentId::random(), title, b"some file contents", 1);
        store.insert_attachment(&a).await.unwrap();
        assert_eq!(chunk_rows(&db, a.id).await, 3);
        attached.push(a);
    }
    let [filed, loose, last, other] = <[NewAttachment; 4]>::try_from(attached).unwrap();
    let gone = |a: &NewAttachment| {
        let (db, a) = (db.clone(), a.clone());
        async move {
            let store = vault(&db);
            store.attachment(a.database, a.entry, a.id).await.unwrap().is_none()
                && store.attachment_chunk(a.database, a.id, 0).await.unwrap().is_none()
                && chunk_rows(&db, a.id).await == 0
        }
    };

    assert!(store.delete_entry(d.id, loose.entry, &super::vault_entries::anyone(0)).await.unwrap());
    assert!(gone(&loose).await);
    assert!(!gone(&filed).await && !gone(&last).await);

    let inside = FolderContents { folders: Default::default(), entries: [filed.entry].into() };
    assert!(store.delete_folder(d.id, folder.id, Some(&inside)).await.unwrap());
    assert!(gone(&filed).await);
    assert!(!gone(&last).await);

    assert!(store.delete_database(d.id).await.unwrap());
    assert!(gone(&last).await);
    assert!(!gone(&other).await, "another database keeps its attachments");
    assert_eq!(store.attachments(kept.id, other.entry).await.unwrap().len(), 1);
}
