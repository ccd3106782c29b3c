//! Second passwords of entries (seed manual: Permissions → Entries and folders, "Set second password"): an entry may
//! carry a second password, kept as an Argon2id verifier; its secrets are released only to a request that gives it.
//!
//! Setting, changing or removing one needs `set_second_password` on the entry and, when the entry has one already,
//! the current one: otherwise whoever may set it could replace it with one of their own and read the secrets. The
//! check is part of the one release gate ([`VaultService::release`]) and runs before the seal's, so a request
//! without the second password never breaks an approved seal.

use tresor_crypto::SecretString;

use super::audit::{entry_label, in_database};
use super::{Focus, VaultService, require};
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::EntryId;
use crate::permissions::Permission;
use crate::vault::Database;

/// Longest second password, in characters (as for account passwords).
pub const MAX_SECOND_PASSWORD: usize = 1024;

impl VaultService {
    /// Sets (`Some`) or removes (`None`) the entry's second password (303). When the entry has one, `current` must
    /// be it.
    pub async fn set_second_password(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        new: Option<SecretString>,
        current: Option<SecretString>,
    ) -> Result<(), CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, rights) = loaded.visible_entry(entry)?;
        require(rights, Permission::SetSecondPassword, "this entry")?;
        let db = Database::clone(&loaded.snapshot.database);
        let stored = self.vault.second_password(db.id, entry).await?;
        if stored.is_none() && new.is_none() {
            return Err(CoreError::not_found("second password on this entry"));
        }
        self.check_second_password(stored, current).await?;
        let verifier = match new {
            Some(password) => {
                let length = password.expose_secret().chars().count();
                if length == 0 || length > MAX_SECOND_PASSWORD {
                    return Err(CoreError::Validation(format!(
                        "a second password has 1 to {MAX_SECOND_PASSWORD} characters"
                    )));
                }
                Some(self.auth.password_work().hash(password).await?.as_str().to_owned())
            }
            None => None,
        };
        let now = self.clock.now();
        let set = self.vault.set_second_password(db.id, entry, verifier.as_deref(), caller.user_id(), now).await;
        self.cache.forget_kept(db.id, |s| &s.guarded);
        if !set? {
            return Err(CoreError::not_found("entry"));
        }
        let what = if verifier.is_some() { "second password set" } else { "second password removed" };
        let event = in_database(303, caller, &db).object(entry, entry_label(&loaded, &meta));
        self.audit().note(event.new_object(what)).await;
        Ok(())
    }

    /// The release gate's first step: an entry with a second password releases only to a request that gives it.
    pub(super) async fn second_password_given(
        &self,
        database: &Database,
        entry: EntryId,
        given: Option<SecretString>,
    ) -> Result<(), CoreError> {
        let stored = self.vault.second_password(database.id, entry).await?;
        self.check_second_password(stored, given).await
    }

    /// Nothing to check without a stored verifier; otherwise the given password must match it (Argon2id, on the
    /// hashing threads).
    async fn check_second_password(
        &self,
        stored: Option<String>,
        given: Option<SecretString>,
    ) -> Result<(), CoreError> {
        let Some(verifier) = stored else { return Ok(()) };
        let Some(given) = given else { return Err(CoreError::SecondPasswordRequired) };
        if self.auth.password_work().verify(given, Some(verifier)).await {
            Ok(())
        } else {
            Err(CoreError::SecondPasswordWrong)
        }
    }
}
