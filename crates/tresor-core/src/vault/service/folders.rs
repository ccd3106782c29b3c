//! Databases as a user opens them, and their folder trees: list, create, rename, move, delete.
//!
//! A folder is listed when it or something below it is visible (DESIGN §3). Creating a folder needs add on its
//! parent (the database at the root); renaming needs modify on it; moving needs modify on it and add on the new
//! parent; deleting needs delete on it and, when recursive, on everything inside it.

use std::sync::Arc;

use super::audit::{damaged, entry_path, in_database};
use super::listing::open_entries;
use super::live::About;
use super::{Focus, VaultService, require};
use crate::audit::AuditEvent;
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::FolderId;
use crate::live::LiveChange;
use crate::permissions::{Object, Permission, PermissionSet};
use crate::vault::{Database, Folder, FolderContents};

/// A folder as one caller sees it.
#[derive(Debug, Clone)]
pub struct FolderView {
    pub id: FolderId,
    pub parent: Option<FolderId>,
    pub name: String,
    pub path: String,
    /// Empty for a folder listed only because something below it is visible.
    pub rights: PermissionSet,
}

/// A database as one caller opens it: its rights at the database level and the folders it may see.
#[derive(Debug)]
pub struct OpenedDatabase {
    pub database: Database,
    pub rights: PermissionSet,
    pub folders: Vec<FolderView>,
}

/// Rename and/or move a folder.
#[derive(Debug, Default)]
pub struct FolderChange {
    pub name: Option<String>,
    /// `Some(None)`: to the root.
    pub parent: Option<Option<FolderId>>,
}

impl VaultService {
    /// The databases the caller can open, with the caller's rights on each, by name (103, "A list of available
    /// databases was sent").
    pub async fn my_databases(&self, caller: &Caller) -> Result<Vec<(Database, PermissionSet)>, CoreError> {
        let list = self.openable_databases(caller).await?;
        self.audit().note(AuditEvent::new(103).by(caller)).await;
        Ok(list)
    }

    /// The databases the caller can open, with the caller's rights on each.
    pub(super) async fn openable_databases(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(Database, PermissionSet)>, CoreError> {
        let caller = caller.as_client()?;
        // Who the caller is does not change from one database to the next.
        let memberships = self.caller_memberships(caller).await?;
        let mut out = Vec::new();
        for listing in self.vault.list_databases().await? {
            let snapshot = self.snapshot_of(listing.database).await?;
            let loaded =
                self.load_database(snapshot, caller.user_id(), Arc::clone(&memberships), Focus::Folders).await?;
            let resolver = loaded.resolver();
            let object = Object::Database(loaded.snapshot.database.id);
            if resolver.is_visible(object) || self.opened_by_an_entry(&loaded, Focus::Folders).await? {
                let rights = resolver.rights(object);
                out.push((Database::clone(&loaded.snapshot.database), rights));
            }
        }
        Ok(out)
    }

    /// Opens a database: the caller's rights and the folders it may see, parents before children.
    pub async fn open_database(&self, caller: &Caller, database: &str) -> Result<OpenedDatabase, CoreError> {
        let loaded = self.load(caller, database, Focus::Whole).await?;
        // "Last access" in the listing: written when a session opens the database, not on every request.
        if self.note_opened(caller, &loaded.snapshot.database).await {
            self.vault.touch_database(loaded.snapshot.database.id, self.clock.now()).await?;
        }
        let resolver = loaded.resolver();
        let tree = resolver.visible_tree();
        let folders = tree
            .folders
            .iter()
            .map(|listed| {
                let id = listed.folder.id;
                let rights = if listed.visible { resolver.rights(Object::Folder(id)) } else { PermissionSet::EMPTY };
                FolderView {
                    id,
                    parent: listed.folder.parent,
                    name: loaded.snapshot.folders.get(&id).map(|(_, n)| n.clone()).unwrap_or_default(),
                    path: loaded.folder_path(Some(id)),
                    rights,
                }
            })
            .collect();
        let rights = resolver.rights(Object::Database(loaded.snapshot.database.id));
        Ok(OpenedDatabase { database: Database::clone(&loaded.snapshot.database), rights, folders })
    }

    /// Creates a folder under `parent` (`None`: the root).
    pub async fn create_folder(
        &self,
        caller: &Caller,
        database: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<FolderView, CoreError> {
        let loaded = self.load(caller, database, Focus::Folders).await?;
        require(loaded.container(parent)?, Permission::Add, "the parent folder")?;
        let id = FolderId::random();
        let sealed_name = loaded.snapshot.cipher.seal_folder_name(id, name)?;
        let now = self.clock.now();
        let folder =
            Folder { id, database: loaded.snapshot.database.id, parent, sealed_name, created_at: now, updated_at: now };
        self.writing_database(loaded.snapshot.database.id, self.vault.insert_folder(&folder)).await?;
        let view = self.folder_view(caller, &loaded.snapshot.database, id).await?;
        let event = in_database(404, caller, &loaded.snapshot.database).object(id, view.path.clone());
        self.audit().note(event).await;
        let db = Some(loaded.snapshot.database.id);
        self.publish(Some(&caller.user.account), LiveChange::FolderCreated, db, About::Folder(id));
        Ok(view)
    }

    /// Renames and/or moves a folder.
    pub async fn update_folder(
        &self,
        caller: &Caller,
        database: &str,
        folder: FolderId,
        change: FolderChange,
    ) -> Result<FolderView, CoreError> {
        let loaded = self.load(caller, database, Focus::Folders).await?;
        let rights = loaded.container(Some(folder))?;
        require(rights, Permission::Modify, "this folder")?;
        let now = self.clock.now();
        // Everything is checked before anything is written: a bad name must not leave a move half-done.
        if let Some(parent) = change.parent {
            require(loaded.container(parent)?, Permission::Add, "the target folder")?;
        }
        let sealed = change.name.map(|name| loaded.snapshot.cipher.seal_folder_name(folder, &name)).transpose()?;
        let db = loaded.snapshot.database.id;
        self.writing_database(db, async {
            if let Some(parent) = change.parent {
                self.vault.move_folder(db, folder, parent, now).await?;
            }
            if let Some(sealed) = &sealed {
                self.vault.rename_folder(db, folder, sealed, now).await?;
            }
            Ok(())
        })
        .await?;
        let view = self.folder_view(caller, &loaded.snapshot.database, folder).await?;
        let event =
            in_database(403, caller, &loaded.snapshot.database).object(folder, loaded.folder_path(Some(folder)));
        self.audit().note(event.new_object(view.path.clone())).await;
        self.publish(Some(&caller.user.account), LiveChange::FolderChanged, Some(db), About::Folder(folder));
        Ok(view)
    }

    /// Deletes a folder; a non-empty one only when `recursive`, and only if the caller may delete everything in
    /// it (nothing the caller cannot see or delete goes with it).
    pub async fn delete_folder(
        &self,
        caller: &Caller,
        database: &str,
        folder: FolderId,
        recursive: bool,
    ) -> Result<(), CoreError> {
        let loaded = self.load(caller, database, Focus::Whole).await?;
        require(loaded.container(Some(folder))?, Permission::Delete, "this folder")?;
        let contents = if recursive {
            let resolver = loaded.resolver();
            let inside = |at: Option<FolderId>| loaded.is_inside(at, Some(folder));
            let contents = FolderContents {
                folders: loaded
                    .snapshot
                    .folders
                    .iter()
                    .filter(|(id, (parent, _))| **id != folder && inside(*parent))
                    .map(|(id, _)| *id)
                    .collect(),
                entries: loaded.index.metas().iter().filter(|e| inside(e.folder)).map(|e| e.id).collect(),
            };
            let may_delete = contents.folders.iter().all(|f| resolver.resolve(Object::Folder(*f), Permission::Delete))
                && contents.entries.iter().all(|e| resolver.resolve(Object::Entry(*e), Permission::Delete));
            if !may_delete {
                return Err(CoreError::Forbidden("the folder holds folders or entries you may not delete".to_owned()));
            }
            Some(contents)
        } else {
            None
        };
        let records = self.deleted_records(caller, &loaded, folder, contents.as_ref()).await?;
        let deleted = self.writing_database(
            loaded.snapshot.database.id,
            self.vault.delete_folder(loaded.snapshot.database.id, folder, contents.as_ref()),
        );
        if !deleted.await? {
            return Err(CoreError::not_found("folder"));
        }
        self.audit().note_all(records).await;
        let db = Some(loaded.snapshot.database.id);
        self.publish(Some(&caller.user.account), LiveChange::FolderDeleted, db, About::Folder(folder));
        Ok(())
    }

    /// The records of a folder's deletion, made before it: 405 for the folder, and for what goes with it 405 for
    /// each folder and 306 for each entry, their reason naming the folder.
    async fn deleted_records(
        &self,
        caller: &Caller,
        loaded: &super::Loaded,
        folder: FolderId,
        contents: Option<&FolderContents>,
    ) -> Result<Vec<AuditEvent>, CoreError> {
        let db = &loaded.snapshot.database;
        let path = loaded.folder_path(Some(folder));
        let mut records = vec![in_database(405, caller, db).object(folder, path.clone())];
        let Some(contents) = contents else { return Ok(records) };
        let with = format!("deleted with the folder {path}");
        for f in &contents.folders {
            records.push(in_database(405, caller, db).object(*f, loaded.folder_path(Some(*f))).reason(with.clone()));
        }
        let entries: Vec<crate::ids::EntryId> = contents.entries.iter().copied().collect();
        for (meta, body) in open_entries(&self.reader, loaded, &entries).await? {
            let label = match body {
                Some(body) => entry_path(&loaded.folder_path(meta.folder), &body.title),
                None => damaged(meta.id),
            };
            records.push(in_database(306, caller, db).object(meta.id, label).reason(with.clone()));
        }
        Ok(records)
    }

    async fn folder_view(&self, caller: &Caller, database: &Database, id: FolderId) -> Result<FolderView, CoreError> {
        let snapshot = self.snapshot_of(database.clone()).await?;
        let loaded = self.load_as(caller, snapshot, Focus::Folders).await?;
        let (parent, name) = loaded.snapshot.folders.get(&id).cloned().ok_or_else(|| CoreError::not_found("folder"))?;
        let resolver = loaded.resolver();
        let rights = if resolver.is_visible(Object::Folder(id)) {
            resolver.rights(Object::Folder(id))
        } else {
            PermissionSet::EMPTY
        };
        Ok(FolderView { id, parent, name, path: loaded.folder_path(Some(id)), rights })
    }
}
