//! Sealed entries (seed manual: Permissions → Sealed access): sealing an entry when it is shared, the recipient's
//! request for approval (308), the authorised persons' decisions and additions (310, Tresor's own number), and the
//! one gate every release of secrets goes through ([`VaultService::release`]), which breaks an approved seal at
//! the recipient's first opening (309).
//!
//! Who may do what: the sharer seals (needs `share` and `seal` on the entry) and names the authorised persons, each
//! of whom must hold admin rights on the database (the Database or Server Administrator role, or `grant_admin` on
//! it). The recipient reads its own seal and asks for approval. Authorised persons read the seals they are named
//! on, set any state and add other authorised persons; they need not see the entry (administrators see the folder
//! tree, not the entries), so their routes check the seal's list, not the resolver. Anyone else who can see the
//! entry is refused (403); anyone who cannot learns nothing (404, as everywhere).

use std::sync::Arc;

use tresor_crypto::SecretString;

use super::audit::{entry_label, in_database};
use super::{Focus, Loaded, VaultService};
use crate::accounts::{Role, User};
use crate::caller::Caller;
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::{EntryId, UserId};
use crate::permissions::{Object, Permission};
use crate::vault::seal::{MAX_AUTHORIZED, MAX_SEAL_REASON};
use crate::vault::{Database, EntryMeta, EntrySeal, Release, SealChange, SealState};

/// A seal as its reader sees it: the stored seal, its state now, and the people it names by account.
#[derive(Debug, Clone)]
pub struct SealView {
    pub seal: EntrySeal,
    /// The state now: an approval whose time has run out reads as sealed.
    pub state: SealState,
    pub recipient: String,
    pub authorized: Vec<String>,
    pub sealed_by: String,
    pub changed_by: String,
}

/// What an authorised person sets on a seal.
#[derive(Debug, Clone)]
pub struct SealDecision {
    pub state: SealState,
    /// Required when a request is denied (waiting for approval → sealed).
    pub reason: Option<String>,
    /// Only with `approved`: the end of the check-out (exclusive), in the future.
    pub approved_until: Option<Timestamp>,
}

/// How often a release reads the seal again when a concurrent change got there first.
const RELEASE_TRIES: usize = 4;

impl VaultService {
    /// The gate every path that releases an entry's secrets goes through (the current version revealed, an old
    /// version revealed, the TOTP code, a document). A seal that refuses the caller (sealed, waiting, or an approval
    /// whose time has run out) is told first, so that whoever it refuses cannot test guesses at a second password.
    /// Then the entry's second password, if it has one, must be `second_password` (`second_password.rs`). Then an
    /// approved seal breaks at its first release; unsealed and broken seals let the secrets through. No seal, no
    /// change.
    pub(super) async fn release(
        &self,
        caller: &Caller,
        loaded: &Loaded,
        meta: &EntryMeta,
        second_password: Option<SecretString>,
    ) -> Result<(), CoreError> {
        let db = &loaded.snapshot.database;
        let guarded = self.guarded_entries(&loaded.snapshot).await?;
        let mut seal = if guarded.seals.contains(&(meta.id, caller.user_id())) {
            self.vault.seal(db.id, meta.id, caller.user_id()).await?
        } else {
            None
        };
        if let Some(s) = &seal
            && let Release::Refuse(state) = s.release(self.clock.now())
        {
            return Err(CoreError::Sealed(refusal(s, state)));
        }
        if guarded.second_passwords.contains(&meta.id) {
            self.second_password_given(db, meta.id, second_password).await?;
        }
        let mut recorded = false;
        for _ in 0..RELEASE_TRIES {
            let Some(current) = seal.take() else { return Ok(()) };
            let now = self.clock.now();
            match current.release(now) {
                Release::Open => return Ok(()),
                Release::Refuse(state) => return Err(CoreError::Sealed(refusal(&current, state))),
                Release::Break => {
                    // The record first (309): once the seal reads broken, every request of the recipient's
                    // releases, so the break must be in the log before it happens. Written once, however many
                    // times a concurrent change makes the break be tried again.
                    if !recorded {
                        let event = in_database(309, caller, db).object(meta.id, entry_label(loaded, meta));
                        self.audit().record(event).await?;
                        recorded = true;
                    }
                    let change = SealChange::of(&current, SealState::Broken, caller.user_id(), now);
                    if self.vault.change_seal(&change).await?.is_some() {
                        return Ok(());
                    }
                    seal = self.vault.seal(db.id, meta.id, caller.user_id()).await?;
                }
            }
        }
        Err(CoreError::Conflict("the seal on this entry keeps changing; try again".to_owned()))
    }

    /// Refuses a share by someone for whom the entry is sealed and not yet opened (sealed, waiting, approved but not
    /// broken): whoever it went to would hold the entry without the seal, and could reveal what the sharer may not.
    pub(super) async fn refuse_passing_on_sealed(
        &self,
        caller: &Caller,
        db: &Database,
        entry: EntryId,
    ) -> Result<(), CoreError> {
        let Some(seal) = self.vault.seal(db.id, entry, caller.user_id()).await? else { return Ok(()) };
        match seal.release(self.clock.now()) {
            Release::Open => Ok(()),
            Release::Refuse(state) => Err(CoreError::Sealed(refusal(&seal, state))),
            Release::Break => Err(CoreError::Sealed(
                "this entry is sealed for you: it cannot be shared on until you have opened it".to_owned(),
            )),
        }
    }

    /// Checks a seal asked for with a share (the sharer needs `seal` on the entry; the recipient is one user, not
    /// among the authorised persons; each authorised person holds admin rights on the database) and returns it,
    /// ready to store. Checked before anything is stored, so that a refusal leaves nothing behind.
    pub(super) async fn seal_for_share(
        &self,
        caller: &Caller,
        loaded: &Loaded,
        entry: EntryId,
        recipient: UserId,
        authorized: &[String],
    ) -> Result<EntrySeal, CoreError> {
        let db = &loaded.snapshot.database;
        let (_, rights) = loaded.visible_entry(entry)?;
        super::require(rights, Permission::Seal, "this entry")?;
        if let Some(existing) = self.vault.seal(db.id, entry, recipient).await?
            && existing.state != SealState::Unsealed
        {
            return Err(CoreError::Conflict(format!(
                "the entry is sealed for this user already ({}); its authorised persons change that seal",
                existing.effective(loaded.now)
            )));
        }
        let authorized = self.authorizable(db, recipient, authorized, &[]).await?;
        if authorized.is_empty() {
            return Err(CoreError::Validation("a seal needs at least one authorised person".to_owned()));
        }
        let now = self.clock.now();
        Ok(EntrySeal {
            database: db.id,
            entry,
            recipient,
            state: SealState::Sealed,
            reason: None,
            approved_until: None,
            sealed_by: caller.user_id(),
            created_at: now,
            changed_by: caller.user_id(),
            changed_at: now,
            revision: 0,
            authorized,
        })
    }

    /// Stores a checked seal; a seal in force that appeared meanwhile is a conflict.
    pub(super) async fn store_seal(&self, seal: &EntrySeal) -> Result<(), CoreError> {
        let stored = self.vault.insert_seal(seal).await;
        self.cache.forget_kept(seal.database, |s| &s.guarded);
        match stored {
            Err(crate::store::StoreError::Duplicate(_)) => {
                Err(CoreError::Conflict("the entry was sealed for this user meanwhile".to_owned()))
            }
            other => Ok(other?),
        }
    }

    /// The seals of an entry the caller may read: the caller's own (as recipient) and those naming the caller as
    /// an authorised person. Someone who can see the entry and has none gets an empty list.
    pub async fn entry_seals(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<(Database, Vec<SealView>), CoreError> {
        let (db, seals) = self.seals_of(caller, database, entry).await?;
        let me = caller.user_id();
        let mine: Vec<EntrySeal> = seals.into_iter().filter(|s| s.recipient == me || s.is_authorized(me)).collect();
        if mine.is_empty() {
            self.visible_or_not_found(caller, database, entry).await?;
        }
        let mut out = Vec::with_capacity(mine.len());
        for seal in mine {
            out.push(self.seal_view(seal).await?);
        }
        Ok((db, out))
    }

    /// The recipient asks to open a sealed entry, giving a reason (308): sealed → waiting for approval.
    pub async fn request_unseal(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        reason: &str,
    ) -> Result<SealView, CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        let (meta, _) = loaded.visible_entry(entry)?;
        let reason = seal_reason(Some(reason))?
            .ok_or_else(|| CoreError::Validation("a request for approval needs a reason".to_owned()))?;
        let db = &loaded.snapshot.database;
        let seal = self
            .vault
            .seal(db.id, entry, caller.user_id())
            .await?
            .ok_or_else(|| CoreError::not_found("seal of this entry for you"))?;
        let now = self.clock.now();
        match seal.effective(now) {
            SealState::Sealed => {}
            SealState::WaitingForApproval => {
                return Err(CoreError::Conflict("your request for approval is waiting already".to_owned()));
            }
            state => {
                return Err(CoreError::Conflict(format!(
                    "the seal is {state}: there is nothing to ask for (its secrets are released to you)"
                )));
            }
        }
        let change = SealChange {
            reason: Some(reason.clone()),
            ..SealChange::of(&seal, SealState::WaitingForApproval, caller.user_id(), now)
        };
        let changed = self.changed_seal(&change).await?;
        let event = in_database(308, caller, db).object(entry, entry_label(&loaded, &meta));
        self.audit().note(event.reason(reason)).await;
        self.seal_view(changed).await
    }

    /// An authorised person sets the state of `recipient`'s seal on the entry (310): any state, from any state.
    /// Denying a request (waiting → sealed) needs a reason; `approved_until` goes only with `approved`.
    pub async fn set_seal(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        recipient: &str,
        decision: SealDecision,
    ) -> Result<SealView, CoreError> {
        let (db, seal) = self.authorised_seal(caller, database, entry, recipient).await?;
        let now = self.clock.now();
        let reason = seal_reason(decision.reason.as_deref())?;
        if decision.approved_until.is_some() && decision.state != SealState::Approved {
            return Err(CoreError::Validation("approved_until goes only with the state approved".to_owned()));
        }
        if let Some(until) = decision.approved_until
            && until <= now
        {
            return Err(CoreError::Validation(format!(
                "approved_until ({}) has passed: an approval must end in the future",
                until.to_rfc3339()
            )));
        }
        let current = seal.effective(now);
        if current == SealState::WaitingForApproval && decision.state == SealState::Sealed && reason.is_none() {
            return Err(CoreError::Validation("denying a request for approval needs a reason".to_owned()));
        }
        let change = SealChange {
            reason: reason.clone().or(seal.reason.clone()),
            approved_until: decision.approved_until,
            ..SealChange::of(&seal, decision.state, caller.user_id(), now)
        };
        let changed = self.changed_seal(&change).await?;
        let view = self.seal_view(changed).await?;
        let mut what = format!("seal for {}: {current} → {}", view.recipient, decision.state);
        if let Some(until) = decision.approved_until {
            what.push_str(&format!(" until {}", until.to_rfc3339()));
        }
        self.note_seal_change(caller, &db, entry, what, reason.as_deref()).await;
        Ok(view)
    }

    /// An authorised person adds authorised persons to `recipient`'s seal on the entry (310); each must hold
    /// admin rights on the database. Those already named are kept.
    pub async fn add_seal_authorized(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        recipient: &str,
        users: &[String],
    ) -> Result<SealView, CoreError> {
        let (db, seal) = self.authorised_seal(caller, database, entry, recipient).await?;
        let added = self.authorizable(&db, seal.recipient, users, &seal.authorized).await?;
        if added.is_empty() {
            return Err(CoreError::Validation("name at least one user to add".to_owned()));
        }
        if seal.authorized.len() + added.len() > MAX_AUTHORIZED {
            return Err(CoreError::Validation(format!("a seal has at most {MAX_AUTHORIZED} authorised persons")));
        }
        let now = self.clock.now();
        let change =
            SealChange { add_authorized: added.clone(), ..SealChange::of(&seal, seal.state, caller.user_id(), now) };
        let changed = self.changed_seal(&change).await?;
        let view = self.seal_view(changed).await?;
        let mut names = Vec::with_capacity(added.len());
        for user in added {
            names.push(self.account_name(user).await?);
        }
        let what = format!("seal for {}: authorised persons added: {}", view.recipient, names.join(", "));
        self.note_seal_change(caller, &db, entry, what, None).await;
        Ok(view)
    }

    /// The database and the entry's seals, for someone who names them; "not found" for a database or entry that
    /// does not exist. Nothing here says whether the caller may see them.
    async fn seals_of(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
    ) -> Result<(Database, Vec<EntrySeal>), CoreError> {
        caller.as_client()?;
        let db = Database::clone(&self.snapshot(database).await?.database);
        if self.vault.entry(db.id, entry).await?.is_none() {
            return Err(CoreError::not_found("entry"));
        }
        let seals = self.vault.entry_seals(db.id, entry).await?;
        Ok((db, seals))
    }

    /// `recipient`'s seal on the entry, if the caller is one of its authorised persons. Someone else who can see
    /// the entry is refused (403); someone who cannot, and is named on none of its seals, gets "not found".
    async fn authorised_seal(
        &self,
        caller: &Caller,
        database: &str,
        entry: EntryId,
        recipient: &str,
    ) -> Result<(Database, EntrySeal), CoreError> {
        let (db, seals) = self.seals_of(caller, database, entry).await?;
        let me = caller.user_id();
        let named_anywhere = seals.iter().any(|s| s.is_authorized(me));
        if !named_anywhere {
            self.visible_or_not_found(caller, database, entry).await?;
        }
        let recipient = self.find_user(recipient).await?;
        let Some(seal) = seals.into_iter().find(|s| s.recipient == recipient.id) else {
            return Err(CoreError::not_found(format!("seal of {} on this entry", recipient.account)));
        };
        if !seal.is_authorized(me) {
            return Err(CoreError::Forbidden(
                "only the seal's authorised persons may change it, and you are not one of them".to_owned(),
            ));
        }
        Ok((db, seal))
    }

    /// "Not found" unless the caller can see the entry.
    async fn visible_or_not_found(&self, caller: &Caller, database: &str, entry: EntryId) -> Result<(), CoreError> {
        let loaded = self.load(caller, database, Focus::Entry(entry)).await?;
        loaded.visible_entry(entry).map(drop)
    }

    /// The users named by `names` (each once, leaving out those in `already`), each checked to hold admin rights on
    /// `db` and not to be the recipient. Everyone who fails the check is named in one refusal.
    async fn authorizable(
        &self,
        db: &Database,
        recipient: UserId,
        names: &[String],
        already: &[UserId],
    ) -> Result<Vec<UserId>, CoreError> {
        if names.len() > MAX_AUTHORIZED {
            return Err(CoreError::Validation(format!("a seal has at most {MAX_AUTHORIZED} authorised persons")));
        }
        let mut users: Vec<User> = Vec::with_capacity(names.len());
        for name in names {
            let user = self.find_user(name).await?;
            if user.id == recipient {
                return Err(CoreError::Validation(format!(
                    "{} is the one the entry is sealed for and cannot approve its own seal",
                    user.account
                )));
            }
            if !already.contains(&user.id) && !users.iter().any(|u| u.id == user.id) {
                users.push(user);
            }
        }
        let mut refused = Vec::new();
        for user in &users {
            if !self.administers(db, user).await? {
                refused.push(user.account.clone());
            }
        }
        if !refused.is_empty() {
            return Err(CoreError::Validation(format!(
                "an authorised person must hold admin rights on the database '{}' (Database or Server \
                 Administrator, or grant_admin on it); these do not: {}",
                db.name,
                refused.join(", ")
            )));
        }
        Ok(users.into_iter().map(|u| u.id).collect())
    }

    /// Whether `user` holds admin rights on `db`: a Database or Server Administrator, or `grant_admin` on it.
    async fn administers(&self, db: &Database, user: &User) -> Result<bool, CoreError> {
        if user.roles.contains(Role::DatabaseAdministrator) || user.roles.contains(Role::ServerAdministrator) {
            return Ok(true);
        }
        let snapshot = self.snapshot_of(db.clone()).await?;
        let memberships = Arc::new(self.memberships(user.id, None).await?);
        let loaded = self.load_database(snapshot, user.id, memberships, Focus::Folders).await?;
        let resolver = loaded.resolver();
        let object = Object::Database(db.id);
        Ok(resolver.is_visible(object) && resolver.resolve(object, Permission::GrantAdmin))
    }

    /// Applies a change based on the seal as read; a change that lost a race is a conflict to read again.
    async fn changed_seal(&self, change: &SealChange) -> Result<EntrySeal, CoreError> {
        self.vault.change_seal(change).await?.ok_or_else(|| {
            CoreError::Conflict("the seal was changed meanwhile; read it again and decide again".to_owned())
        })
    }

    /// 310 for an authorised person's change; the entry is named by its path (the log names entries so).
    async fn note_seal_change(
        &self,
        caller: &Caller,
        db: &Database,
        entry: EntryId,
        what: String,
        reason: Option<&str>,
    ) {
        let name = match self.snapshot_of(db.clone()).await {
            Ok(snapshot) => match self.load_as(caller, snapshot, Focus::Entry(entry)).await {
                Ok(loaded) => match loaded.entry(entry) {
                    Some(meta) => entry_label(&loaded, &meta),
                    None => super::audit::damaged(entry),
                },
                Err(_) => super::audit::damaged(entry),
            },
            Err(_) => super::audit::damaged(entry),
        };
        let event = in_database(310, caller, db).object(entry, name).new_object(what);
        self.audit().note(event.maybe_reason(reason)).await;
    }

    /// 310 for a seal set with a share: who it is for and who decides.
    pub(super) async fn note_sealed(
        &self,
        caller: &Caller,
        loaded: &Loaded,
        meta: &EntryMeta,
        seal: &EntrySeal,
        recipient: &str,
    ) {
        let mut names = Vec::with_capacity(seal.authorized.len());
        for user in &seal.authorized {
            names.push(self.account_name(*user).await.unwrap_or_else(|_| user.to_string()));
        }
        let what = format!("sealed for {recipient}; authorised persons: {}", names.join(", "));
        let event = in_database(310, caller, &loaded.snapshot.database).object(meta.id, entry_label(loaded, meta));
        self.audit().note(event.new_object(what)).await;
    }

    async fn seal_view(&self, seal: EntrySeal) -> Result<SealView, CoreError> {
        let mut authorized = Vec::with_capacity(seal.authorized.len());
        for user in &seal.authorized {
            authorized.push(self.account_name(*user).await?);
        }
        Ok(SealView {
            state: seal.effective(self.clock.now()),
            recipient: self.account_name(seal.recipient).await?,
            sealed_by: self.account_name(seal.sealed_by).await?,
            changed_by: self.account_name(seal.changed_by).await?,
            authorized,
            seal,
        })
    }
}

/// Why a release is refused, in the recipient's terms.
fn refusal(seal: &EntrySeal, state: SealState) -> String {
    match (state, seal.state, seal.approved_until) {
        (SealState::Sealed, SealState::Approved | SealState::Broken, Some(until)) => format!(
            "this entry is sealed for you again: the approval ended at {}; ask for approval again with a reason",
            until.to_rfc3339()
        ),
        (SealState::WaitingForApproval, _, _) => {
            "this entry is sealed for you: your request for approval is waiting for an authorised person".to_owned()
        }
        _ => "this entry is sealed for you: its secrets are released after one of its authorised persons approves; \
              ask for approval with a reason"
            .to_owned(),
    }
}

/// A reason as given: trimmed, one line of at most [`MAX_SEAL_REASON`] characters; empty is none.
fn seal_reason(reason: Option<&str>) -> Result<Option<String>, CoreError> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    if reason.chars().count() > MAX_SEAL_REASON || reason.chars().any(char::is_control) {
        return Err(CoreError::Validation(format!(
            "a reason must be one line of at most {MAX_SEAL_REASON} characters"
        )));
    }
    Ok(Some(reason.to_owned()))
}
