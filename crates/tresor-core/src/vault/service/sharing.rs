//! Sharing one entry (seed manual: Permissions → Entries and folders, "Grant access to other users"): a user who
//! holds `share` on an entry gives another user or group rights on it — never more than the user holds there — for
//! good or for a period, lists what the entry's grants are, and takes a share back.
//!
//! A share is an ordinary entry-level grant (Allow, for that subject, with its window), checked, stored and
//! recorded (623 set, 622 removed) by the same code as administrators' grants. No job ends it: the resolver counts a
//! grant only inside its window, so a share whose `valid_to` has passed stops giving anything by itself, on every
//! node at once. Like any grant, a share replaces what was set for that subject and permission on that entry (an
//! Allow for good becomes one for the period), except a denial, which a share refuses to lift.

use std::collections::HashMap;

use super::audit::entry_label;
use super::grants::{GrantRecord, SubjectKey, grant_records};
use super::live::About;
use super::{Focus, Loaded, VaultService, require};
use crate::caller::Caller;
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::EntryId;
use crate::live::LiveChange;
use crate::permissions::{Grant, GrantError, Object, Permission, PermissionSet, Setting, Subject};
use crate::vault::{Database, EntryMeta};

/// What a user gives another user or group on one entry.
#[derive(Debug, Clone)]
pub struct ShareRequest {
    pub subject: SubjectKey,
    pub permissions: Vec<Permission>,
    /// Inclusive; `None`: at once.
    pub valid_from: Option<Timestamp>,
    /// Exclusive; `None`: until the share is taken back.
    pub valid_to: Option<Timestamp>,
}

/// An entry the caller may share, as the caller sees it now.
struct Sharable {
    loaded: Loaded,
    meta: EntryMeta,
    rights: PermissionSet,
}

impl VaultService {
    /// Gives `request.subject` the permissions asked for on the entry, as Allow within the window. Each one must be
    /// an entry's permission that the caller holds on the entry now; the answer is the entry's grants afterwards.
    pub async fn share_entry(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        request: ShareRequest,
    ) -> Result<(Database, Vec<GrantRecord>), CoreError> {
        self.share_sealed(caller, database, entry, request, None).await
    }

    /// [`Self::share_entry`], sealing the entry for the user it is shared with when `seal` names its authorised
    /// persons (`seals.rs`). The seal is stored before the share, so the recipient never holds the share unsealed.
    pub async fn share_sealed(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        request: ShareRequest,
        seal: Option<&[String]>,
    ) -> Result<(Database, Vec<GrantRecord>), CoreError> {
        let Sharable { loaded, meta, rights } = self.sharable(caller, database, entry).await?;
        self.refuse_passing_on_sealed(caller, &loaded.snapshot.database, entry).await?;
        let permissions = entry_permissions(&request.permissions)?;
        check_window(request.valid_from, request.valid_to, loaded.now)?;
        let (subject, name) = self.subject(&request.subject).await?;
        if subject == Subject::User(caller.user_id()) {
            return Err(CoreError::Validation(
                "you hold your rights on this entry already; share it with another user or a group".to_owned(),
            ));
        }
        // "Never more than the user holds": the first permission missing is named, so the fix is obvious.
        if let Some(missing) = permissions.iter().find(|p| !rights.contains(**p)) {
            return Err(CoreError::Forbidden(format!(
                "you do not have the permission '{missing}' on this entry, so you cannot grant it"
            )));
        }
        let db = Database::clone(&loaded.snapshot.database);
        let object = Object::Entry(entry);
        // A share only ever allows, so a denial for this subject on this entry was an administrator's decision;
        // overwriting it would let a user lift it.
        let stored = self.vault.grants(db.id).await?;
        if let Some(denied) = stored.iter().find(|g| {
            g.object == object
                && g.subject == subject
                && g.setting == Setting::Deny
                && permissions.contains(&g.permission)
        }) {
            return Err(CoreError::Forbidden(format!(
                "'{}' is denied to {name} on this entry; a share cannot lift a denial",
                denied.permission
            )));
        }
        let grants: Vec<Grant> = permissions
            .iter()
            .map(|p| Grant::new(object, subject, *p, Setting::Allow).within(request.valid_from, request.valid_to))
            .collect();
        let sealed = match (seal, subject) {
            (None, _) => None,
            (Some(authorized), Subject::User(recipient)) => {
                Some(self.seal_for_share(caller, &loaded, entry, recipient, authorized).await?)
            }
            (Some(_), Subject::Group(_)) => {
                return Err(CoreError::Validation("an entry is sealed for one user; share it with a user".to_owned()));
            }
        };
        if let Some(seal) = &sealed {
            self.store_seal(seal).await?;
        }
        self.put_checked_grants(&db, &grants).await?;
        self.shares_changed(caller, &loaded, &meta, &grants, subject, name.clone()).await;
        if let Some(seal) = sealed {
            self.note_sealed(caller, &loaded, &meta, &seal, &name).await;
        }
        self.grants_on(db, entry).await
    }

    /// The grants set on the entry, whoever set them, with the subjects' names and windows (needs `share`).
    pub async fn entry_shares(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<(Database, Vec<GrantRecord>), CoreError> {
        let Sharable { loaded, .. } = self.sharable(caller, database, entry).await?;
        self.grants_on(Database::clone(&loaded.snapshot.database), entry).await
    }

    /// The grants set on the entry as stored now, with the subjects' names. Read from the store, not the loaded
    /// copy, so that the answer to a share shows the share.
    async fn grants_on(&self, db: Database, entry: EntryId) -> Result<(Database, Vec<GrantRecord>), CoreError> {
        let shares = self.named_grants(on_entry(self.vault.grants(db.id).await?, entry), |_| None).await?;
        Ok((db, shares))
    }

    /// Takes back what the entry allows `subject` (needs `share`); returns how many grants were removed. Denials
    /// stay: a share never set them, so taking one back does not lift them.
    pub async fn unshare(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        subject: SubjectKey,
    ) -> Result<usize, CoreError> {
        let Sharable { loaded, meta, .. } = self.sharable(caller, database, entry).await?;
        let (subject, name) = self.subject(&subject).await?;
        let db = Database::clone(&loaded.snapshot.database);
        let removed: Vec<Grant> = on_entry(self.vault.grants(db.id).await?, entry)
            .into_iter()
            .filter(|g| g.subject == subject && g.setting == Setting::Allow)
            .map(|g| Grant { setting: Setting::Undefined, ..g })
            .collect();
        if removed.is_empty() {
            return Err(CoreError::not_found("share of that user or group on this entry"));
        }
        self.put_checked_grants(&db, &removed).await?;
        self.shares_changed(caller, &loaded, &meta, &removed, subject, name).await;
        Ok(removed.len())
    }

    /// The entry, if the caller can see it ("not found" otherwise, as everywhere) and holds `share` on it.
    async fn sharable(&self, caller: &Caller, database: &str, entry: EntryId) -> Result<Sharable, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::Share, "this entry")?;
        Ok(Sharable { loaded, meta, rights })
    }

    /// Records the change (623 for grants set, 622 for grants removed, as for administrators' grants; the sharer can
    /// see the entry, so the record names it by its path, like the vault's other records) and tells the live stream,
    /// whose listeners' views of the database it may change.
    async fn shares_changed(
        &self,
        caller: &Caller,
        loaded: &Loaded,
        meta: &EntryMeta,
        grants: &[Grant],
        subject: Subject,
        name: String,
    ) {
        let path = entry_label(loaded, meta);
        let names = HashMap::from([(subject, name)]);
        let records = grant_records(caller, &loaded.snapshot.database, grants, &names, |_| format!("entry {path}"));
        self.audit().note_all(records).await;
        let database = Some(loaded.snapshot.database.id);
        self.publish(Some(&caller.user.account), LiveChange::PermissionsChanged, database, About::Database);
    }
}

/// The grants set on one entry.
fn on_entry(grants: Vec<Grant>, entry: EntryId) -> Vec<Grant> {
    grants.into_iter().filter(|g| g.object == Object::Entry(entry)).collect()
}

/// The permissions asked for, each once, refusing none at all and any that is not an entry's.
fn entry_permissions(asked: &[Permission]) -> Result<Vec<Permission>, CoreError> {
    if asked.is_empty() {
        return Err(CoreError::Validation("give at least one permission to share".to_owned()));
    }
    let mut out: Vec<Permission> = Vec::with_capacity(asked.len());
    for p in asked {
        if !p.is_entry_level() {
            let names: Vec<&str> =
                Permission::ALL.into_iter().filter(|p| p.is_entry_level()).map(Permission::name).collect();
            return Err(CoreError::Validation(format!(
                "'{p}' cannot be shared on an entry; an entry's permissions are {}",
                names.join(", ")
            )));
        }
        if !out.contains(p) {
            out.push(*p);
        }
    }
    Ok(out)
}

/// A share's window must hold an instant still to come: one that is empty or already over would store a grant
/// that gives nothing.
fn check_window(from: Option<Timestamp>, to: Option<Timestamp>, now: Timestamp) -> Result<(), CoreError> {
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(CoreError::Validation(GrantError::EmptyWindow.to_string()));
    }
    if to.is_some_and(|to| to <= now) {
        return Err(CoreError::Validation(format!(
            "valid_to ({}) has passed: a share must end in the future",
            to.map(Timestamp::to_rfc3339).unwrap_or_default()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_entrys_permissions_are_shared_each_once() {
        let shared = entry_permissions(&[Permission::Read, Permission::Access, Permission::Read]).expect("valid");
        assert_eq!(shared, [Permission::Read, Permission::Access]);
        for p in [Permission::Add, Permission::Export, Permission::GrantAdmin] {
            let err = entry_permissions(&[Permission::Read, p]).expect_err("not an entry's");
            assert!(matches!(&err, CoreError::Validation(m) if m.contains(p.name())), "{err}");
        }
        assert!(matches!(entry_permissions(&[]), Err(CoreError::Validation(_))));
    }

    #[test]
    fn a_window_must_be_ordered_and_not_over() {
        let at = Timestamp::from_millis;
        assert!(check_window(None, None, at(1_000)).is_ok());
        assert!(check_window(Some(at(0)), Some(at(2_000)), at(1_000)).is_ok(), "a start in the past is now");
        assert!(check_window(Some(at(3_000)), None, at(1_000)).is_ok());
        for (from, to) in [(None, Some(at(1_000))), (None, Some(at(500))), (Some(at(5_000)), Some(at(4_000)))] {
            assert!(matches!(check_window(from, to, at(1_000)), Err(CoreError::Validation(_))), "{from:?}..{to:?}");
        }
    }
}
