//! Entry locks as people use them (seed manual 001, "locks the entry that is currently being edited"; Server
//! Settings → Additional → Edit entries): a user takes an entry's lock before editing it and releases it on save or
//! cancel. Others see who holds it and since when, and their changes are refused until it is released, its session
//! ends (logout, expiry, disconnection) or its time limit runs out. A Database Administrator, or a user with "grant
//! admin rights" on the database, can break it.
//!
//! Recorded: 301 when a lock is taken (not when its holder renews it), 302 when it is released — by its holder,
//! or, found by [`VaultService::release_dead_locks`], because its time ran out or its session ended — and 644 when
//! an administrator breaks it.

use std::time::Duration;

use tresor_crypto::SecretString;

use super::audit::{damaged, entry_label, entry_path, in_database};
use super::live::About;
use super::{Focus, VaultService, require};
use crate::audit::{AuditEvent, Named};
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::EntryId;
use crate::live::LiveChange;
use crate::permissions::Permission;
use crate::store::StoreError;
use crate::vault::{Database, EntryLock};

/// A live lock and the account name of its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub lock: EntryLock,
    pub holder: String,
}

/// A lock in an administrator's listing: the holder, and the path of the entry's folder. Administrators name
/// entries by id, since titles are entry data (see `admin_folders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedEntry {
    pub holder: LockHolder,
    pub folder_path: String,
}

impl VaultService {
    /// Takes the lock of an entry the caller may modify, or renews the caller's own (301 when taken). Refused
    /// with [`CoreError::Locked`] while another session holds it.
    pub async fn lock_entry(&self, caller: &Caller, database: &str, entry: EntryId) -> Result<LockHolder, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Modify, "this entry")?;
        // Refused with one read when someone else plainly holds it: under contention most attempts are refusals,
        // and each would otherwise take a write transaction (on SQLite, queueing behind the holder's own writes).
        // The store decides again inside its transaction, so a lock released or taken meanwhile is judged right.
        let db = loaded.snapshot.database.id;
        if let Some(held) = self.vault.entry_lock(db, entry, self.clock.now()).await?
            && held.session != caller.session_id()
        {
            return Err(CoreError::Locked(Box::new(self.lock_holder(held).await?)));
        }
        let limit = self.lock_time_limit().await?;
        let now = self.clock.now();
        let wanted = EntryLock {
            database: loaded.snapshot.database.id,
            entry,
            user: caller.user_id(),
            session: caller.session_id(),
            taken_at: now,
            expires_at: now.saturating_add(limit),
        };
        let lock = self.vault.lock_entry(&wanted, now).await;
        let lock = self.named_refusal(lock).await?;
        if lock.taken_at == now {
            let event = in_database(301, caller, &loaded.snapshot.database).object(entry, entry_label(&loaded, &meta));
            self.audit().note(event.new_object(format!("until {}", lock.expires_at.to_rfc3339()))).await;
            let about = About::Entry { entry, folder: meta.folder, version: None };
            self.publish(Some(&caller.user.account), LiveChange::EntryLocked, Some(lock.database), about);
        }
        Ok(LockHolder { lock, holder: caller.user.account.clone() })
    }

    /// Releases the caller's lock on an entry (302). [`CoreError::LockNotHeld`] when this session does not hold
    /// it: not locked, or locked by someone else (named).
    pub async fn unlock_entry(&self, caller: &Caller, database: &str, entry: EntryId) -> Result<(), CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, _) = loaded.visible_entry(entry)?;
        let db = loaded.snapshot.database.id;
        let now = self.clock.now();
        if self.vault.unlock_entry(db, entry, Some(caller.session_id()), now).await?.is_some() {
            let event = in_database(302, caller, &loaded.snapshot.database).object(entry, entry_label(&loaded, &meta));
            self.audit().note(event.new_object("released by its holder")).await;
            let about = About::Entry { entry, folder: meta.folder, version: None };
            self.publish(Some(&caller.user.account), LiveChange::EntryUnlocked, Some(db), about);
            return Ok(());
        }
        Err(match self.vault.entry_lock(db, entry, now).await? {
            Some(other) => {
                let other = self.lock_holder(other).await?;
                CoreError::LockNotHeld(format!(
                    "this session does not hold the lock on this entry: {} does, since {}",
                    other.holder,
                    other.lock.taken_at.to_rfc3339()
                ))
            }
            None => CoreError::LockNotHeld("this entry is not locked".to_owned()),
        })
    }

    /// Who holds the lock of an entry the caller can see, if anyone.
    pub async fn entry_lock(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<Option<LockHolder>, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        loaded.visible_entry(entry)?;
        match self.vault.entry_lock(loaded.snapshot.database.id, entry, self.clock.now()).await? {
            Some(lock) => Ok(Some(self.lock_holder(lock).await?)),
            None => Ok(None),
        }
    }

    /// The live locks of a database, for its administrators (618, "The database was read by the admin").
    pub async fn database_locks(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
    ) -> Result<(Database, Vec<LockedEntry>), CoreError> {
        let db = self.administer(caller, database, password).await?.database;
        let locks = self.vault.entry_locks(db.id, self.clock.now()).await?;
        let snapshot = self.snapshot_of(db.clone()).await?;
        let mut out = Vec::with_capacity(locks.len());
        for lock in locks {
            let folder = self.vault.entry(db.id, lock.entry).await?.and_then(|meta| meta.folder);
            let folder_path = folder.and_then(|f| snapshot.paths.get(&f).cloned()).unwrap_or_default();
            out.push(LockedEntry { holder: self.lock_holder(lock).await?, folder_path });
        }
        self.audit().note(in_database(618, caller, &db).new_object("entry locks")).await;
        Ok((db, out))
    }

    /// Breaks the lock on an entry of a database the caller administers (644); returns the lock broken.
    pub async fn break_lock(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
        entry: EntryId,
    ) -> Result<LockHolder, CoreError> {
        let db = self.administer(caller, database, password).await?.database;
        let broken = self.vault.unlock_entry(db.id, entry, None, self.clock.now()).await?;
        let broken = self.lock_holder(broken.ok_or_else(|| CoreError::not_found("lock on this entry"))?).await?;
        let event = in_database(644, caller, &db).object(entry, self.entry_name(&db, entry).await);
        self.audit()
            .note(event.new_object(format!("held by {} since {}", broken.holder, broken.lock.taken_at.to_rfc3339())))
            .await;
        let about = About::Entry { entry, folder: None, version: None };
        self.publish(Some(&caller.user.account), LiveChange::EntryUnlocked, Some(db.id), about);
        Ok(broken)
    }

    /// Removes the locks whose time ran out or whose session ended, each recorded as 302 under its holder's name;
    /// returns how many. Such a lock already binds nobody: this tidies the store and writes the record.
    pub async fn release_dead_locks(&self) -> Result<usize, CoreError> {
        let now = self.clock.now();
        let dead = self.vault.remove_dead_locks(now).await?;
        let mut records = Vec::with_capacity(dead.len());
        for lock in &dead {
            let Some(db) = self.vault.database(lock.database).await? else { continue };
            let holder = self.lock_holder(*lock).await?;
            let why = if lock.expires_at <= now { "its time limit ran out" } else { "its session ended" };
            records.push(
                AuditEvent::new(302)
                    .user(Named::new(lock.user, holder.holder))
                    .database(db.id, db.name.clone())
                    .object(lock.entry, self.entry_name(&db, lock.entry).await)
                    .new_object(format!("released: {why}")),
            );
        }
        self.audit().note_all(records).await;
        for lock in &dead {
            let about = About::Entry { entry: lock.entry, folder: None, version: None };
            self.publish(None, LiveChange::EntryUnlocked, Some(lock.database), about);
        }
        Ok(dead.len())
    }

    /// A store answer with a refusal's holder named by account rather than id.
    pub(super) async fn named_refusal<T>(&self, answer: Result<T, StoreError>) -> Result<T, CoreError> {
        match answer {
            Ok(value) => Ok(value),
            Err(StoreError::Locked(lock)) => Err(CoreError::Locked(Box::new(self.lock_holder(lock).await?))),
            Err(other) => Err(other.into()),
        }
    }

    async fn lock_holder(&self, lock: EntryLock) -> Result<LockHolder, CoreError> {
        Ok(LockHolder { holder: self.account_name(lock.user).await?, lock })
    }

    /// An entry's path, opened by the server for its log (administrators may not see entries as clients do); an
    /// entry gone or damaged is named by its id.
    async fn entry_name(&self, db: &Database, entry: EntryId) -> String {
        let Ok(snapshot) = self.snapshot_of(db.clone()).await else { return damaged(entry) };
        let Ok(Some((meta, version))) = self.vault.current_entry(db.id, entry).await else { return damaged(entry) };
        match snapshot.cipher.open_entry(entry, version.version, &version.ciphertext) {
            Ok(body) => {
                let folder = meta.folder.and_then(|f| snapshot.paths.get(&f).cloned()).unwrap_or_default();
                entry_path(&folder, &body.title)
            }
            Err(_) => damaged(entry),
        }
    }

    /// The "Edit entries" time limit of a lock.
    async fn lock_time_limit(&self) -> Result<Duration, CoreError> {
        Ok(Duration::from_secs(u64::from(self.edit_lock_secs().await?)))
    }
}
