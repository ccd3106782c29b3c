//! [`SqlStore`] as the core's [`VaultStore`] port: each method hands over to the module that owns its table.

use async_trait::async_trait;
use tresor_core::permissions::{Grant, ServerPolicy, Subject};
use tresor_core::vault::{
    AttachmentMeta, Database, DatabaseListing, EntryLock, EntryMeta, EntryUpdate, EntryVersion, Folder, FolderContents,
    GuardedEntries, NewAttachment, NewEntry, VaultStore, VersionInfo, WriteCheck,
};
use tresor_core::vault::{EntrySeal, SealChange};
use tresor_core::{AttachmentId, DatabaseId, EntryId, FolderId, SessionId, StoreError, Timestamp, UserId};

use crate::vault_second_passwords as second;
use crate::{SqlStore, vault_attachments as attachments, vault_databases as databases, vault_entries as entries};
use crate::{vault_folders as folders, vault_grants as grants, vault_locks as locks, vault_seals as seals};

#[async_trait]
impl VaultStore for SqlStore {
    async fn insert_database(&self, database: &Database) -> Result<(), StoreError> {
        databases::insert_database(self, database).await
    }
    async fn database(&self, id: DatabaseId) -> Result<Option<Database>, StoreError> {
        databases::database(self, id).await
    }
    async fn database_by_name(&self, name: &str) -> Result<Option<Database>, StoreError> {
        databases::database_by_name(self, name).await
    }
    async fn list_databases(&self) -> Result<Vec<DatabaseListing>, StoreError> {
        databases::list_databases(self).await
    }
    async fn database_listing(&self, id: DatabaseId) -> Result<Option<DatabaseListing>, StoreError> {
        databases::database_listing(self, id).await
    }
    async fn update_database(&self, database: &Database) -> Result<(), StoreError> {
        databases::update_database(self, database).await
    }
    async fn delete_database(&self, id: DatabaseId) -> Result<bool, StoreError> {
        databases::delete_database(self, id).await
    }
    async fn count_databases(&self) -> Result<u64, StoreError> {
        databases::count_databases(self).await
    }
    async fn touch_database(&self, id: DatabaseId, at: Timestamp) -> Result<(), StoreError> {
        databases::touch_database(self, id, at).await
    }

    async fn insert_folder(&self, folder: &Folder) -> Result<(), StoreError> {
        folders::insert_folder(self, folder).await
    }
    async fn folder(&self, database: DatabaseId, id: FolderId) -> Result<Option<Folder>, StoreError> {
        folders::folder(self, database, id).await
    }
    async fn list_folders(&self, database: DatabaseId) -> Result<Vec<Folder>, StoreError> {
        folders::list_folders(self, database).await
    }
    async fn rename_folder(
        &self,
        database: DatabaseId,
        id: FolderId,
        sealed_name: &[u8],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        folders::rename_folder(self, database, id, sealed_name, at).await
    }
    async fn move_folder(
        &self,
        database: DatabaseId,
        id: FolderId,
        parent: Option<FolderId>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        folders::move_folder(self, database, id, parent, at).await
    }
    async fn delete_folder(
        &self,
        database: DatabaseId,
        id: FolderId,
        contents: Option<&FolderContents>,
    ) -> Result<bool, StoreError> {
        folders::delete_folder(self, database, id, contents).await
    }

    async fn insert_entry(&self, entry: &NewEntry) -> Result<EntryMeta, StoreError> {
        entries::insert_entry(self, entry).await
    }
    async fn update_entry(&self, update: &EntryUpdate) -> Result<EntryMeta, StoreError> {
        entries::update_entry(self, update).await
    }
    async fn move_entry(
        &self,
        database: DatabaseId,
        id: EntryId,
        folder: Option<FolderId>,
        check: &WriteCheck,
    ) -> Result<(), StoreError> {
        entries::move_entry(self, database, id, folder, check).await
    }
    async fn delete_entry(&self, database: DatabaseId, id: EntryId, check: &WriteCheck) -> Result<bool, StoreError> {
        entries::delete_entry(self, database, id, check).await
    }
    async fn lock_entry(&self, lock: &EntryLock, now: Timestamp) -> Result<EntryLock, StoreError> {
        locks::lock_entry(self, lock, now).await
    }
    async fn unlock_entry(
        &self,
        database: DatabaseId,
        entry: EntryId,
        session: Option<SessionId>,
        now: Timestamp,
    ) -> Result<Option<EntryLock>, StoreError> {
        locks::unlock_entry(self, database, entry, session, now).await
    }
    async fn entry_lock(
        &self,
        database: DatabaseId,
        entry: EntryId,
        now: Timestamp,
    ) -> Result<Option<EntryLock>, StoreError> {
        locks::entry_lock_of(self, database, entry, now).await
    }
    async fn entry_locks(&self, database: DatabaseId, now: Timestamp) -> Result<Vec<EntryLock>, StoreError> {
        locks::entry_locks(self, database, now).await
    }
    async fn remove_dead_locks(&self, now: Timestamp) -> Result<Vec<EntryLock>, StoreError> {
        locks::remove_dead_locks(self, now).await
    }
    async fn entry(&self, database: DatabaseId, id: EntryId) -> Result<Option<EntryMeta>, StoreError> {
        entries::entry(self, database, id).await
    }
    async fn current_entry(
        &self,
        database: DatabaseId,
        id: EntryId,
    ) -> Result<Option<(EntryMeta, EntryVersion)>, StoreError> {
        entries::current_entry(self, database, id).await
    }
    async fn current_entries(
        &self,
        database: DatabaseId,
        ids: &[EntryId],
    ) -> Result<Vec<(EntryMeta, EntryVersion)>, StoreError> {
        entries::current_entries(self, database, ids).await
    }
    async fn list_entries(&self, database: DatabaseId) -> Result<Vec<EntryMeta>, StoreError> {
        entries::list_entries(self, database).await
    }
    async fn entry_version(
        &self,
        database: DatabaseId,
        id: EntryId,
        version: u32,
    ) -> Result<Option<EntryVersion>, StoreError> {
        entries::entry_version(self, database, id, version).await
    }
    async fn entry_versions(&self, database: DatabaseId, id: EntryId) -> Result<Vec<VersionInfo>, StoreError> {
        entries::entry_versions(self, database, id).await
    }

    async fn insert_attachment(&self, attachment: &NewAttachment) -> Result<AttachmentMeta, StoreError> {
        attachments::insert_attachment(self, attachment).await
    }
    async fn attachments(&self, database: DatabaseId, entry: EntryId) -> Result<Vec<AttachmentMeta>, StoreError> {
        attachments::attachments(self, database, entry).await
    }
    async fn attachment(
        &self,
        database: DatabaseId,
        entry: EntryId,
        id: AttachmentId,
    ) -> Result<Option<AttachmentMeta>, StoreError> {
        attachments::attachment(self, database, entry, id).await
    }
    async fn attachment_chunk(
        &self,
        database: DatabaseId,
        id: AttachmentId,
        index: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        attachments::attachment_chunk(self, database, id, index).await
    }
    async fn delete_attachment(
        &self,
        database: DatabaseId,
        entry: EntryId,
        id: AttachmentId,
    ) -> Result<bool, StoreError> {
        attachments::delete_attachment(self, database, entry, id).await
    }

    async fn grants(&self, database: DatabaseId) -> Result<Vec<Grant>, StoreError> {
        grants::grants(self, database).await
    }
    async fn put_grants(&self, database: DatabaseId, grants: &[Grant]) -> Result<(), StoreError> {
        grants::put_grants(self, database, grants).await
    }
    async fn revoke_subject(&self, database: DatabaseId, subject: Subject) -> Result<u64, StoreError> {
        grants::revoke_subject(self, database, subject).await
    }
    async fn server_policy(&self) -> Result<ServerPolicy, StoreError> {
        grants::server_policy(self).await
    }
    async fn put_server_policy(&self, policy: &ServerPolicy) -> Result<(), StoreError> {
        grants::put_server_policy(self, policy).await
    }

    async fn insert_seal(&self, seal: &EntrySeal) -> Result<(), StoreError> {
        seals::insert_seal(self, seal).await
    }
    async fn seal(
        &self,
        database: DatabaseId,
        entry: EntryId,
        recipient: UserId,
    ) -> Result<Option<EntrySeal>, StoreError> {
        seals::seal(self, database, entry, recipient).await
    }
    async fn entry_seals(&self, database: DatabaseId, entry: EntryId) -> Result<Vec<EntrySeal>, StoreError> {
        seals::entry_seals(self, database, entry).await
    }
    async fn change_seal(&self, change: &SealChange) -> Result<Option<EntrySeal>, StoreError> {
        seals::change_seal(self, change).await
    }
    async fn guarded_entries(&self, database: DatabaseId) -> Result<GuardedEntries, StoreError> {
        seals::guarded_entries(self, database).await
    }
    async fn second_password(&self, database: DatabaseId, entry: EntryId) -> Result<Option<String>, StoreError> {
        second::second_password(self, database, entry).await
    }
    async fn set_second_password(
        &self,
        database: DatabaseId,
        entry: EntryId,
        verifier: Option<&str>,
        by: UserId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        second::set_second_password(self, database, entry, verifier, by, at).await
    }
}
