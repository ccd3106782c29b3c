//! Sealed entries (seed manual: Permissions → Sealed access): when a user shares an entry with another user, the
//! sharer may seal it for that user and name authorised persons (users with admin rights on the database). The
//! recipient sees the entry — title, user name, URL — but none of its secrets until an authorised person approves.
//!
//! A seal belongs to one (entry, recipient). Its states are the manual's: Sealed (no attempt yet), Waiting for
//! approval (the recipient asked, with a reason), Approved (an authorised person agreed, perhaps until a time),
//! Broken (the recipient opened it) and Unsealed (the seal was removed). What a state means for a release is decided
//! here, once ([`EntrySeal::effective`], [`Release`]); the vault's one gate applies it to every path that hands out
//! secrets.

use crate::clock::Timestamp;
use crate::ids::{DatabaseId, EntryId, UserId};

/// Longest reason (a request's or an authorised person's), in characters.
pub const MAX_SEAL_REASON: usize = 1000;

/// Most authorised persons one seal keeps.
pub const MAX_AUTHORIZED: usize = 32;

/// The manual's five states of a seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SealState {
    /// There has been no attempt to open the entry yet (or an approval was denied, or its time ran out).
    Sealed,
    /// The seal has been removed: the recipient opens the entry freely.
    Unsealed,
    /// The recipient asked to open the entry.
    WaitingForApproval,
    /// An authorised person agreed; the recipient's first opening breaks the seal.
    Approved,
    /// The recipient opened the entry after approval.
    Broken,
}

impl SealState {
    pub const ALL: [SealState; 5] =
        [Self::Sealed, Self::Unsealed, Self::WaitingForApproval, Self::Approved, Self::Broken];

    /// The state's stable name (storage and wire).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sealed => "sealed",
            Self::Unsealed => "unsealed",
            Self::WaitingForApproval => "waiting_for_approval",
            Self::Approved => "approved",
            Self::Broken => "broken",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for SealState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One seal as stored: the entry, its recipient, the state and who may change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySeal {
    pub database: DatabaseId,
    pub entry: EntryId,
    /// The user the entry is sealed for.
    pub recipient: UserId,
    /// The state as last set; see [`EntrySeal::effective`] for what it means now.
    pub state: SealState,
    /// The last reason given: the recipient's request, or an authorised person's approval or denial.
    pub reason: Option<String>,
    /// With Approved (and the Broken that follows it): the end of the time-boxed check-out, exclusive.
    pub approved_until: Option<Timestamp>,
    pub sealed_by: UserId,
    pub created_at: Timestamp,
    /// Who set the state last, and when.
    pub changed_by: UserId,
    pub changed_at: Timestamp,
    /// Counts changes; a change names the revision it was based on, so two changes never both apply.
    pub revision: u32,
    /// The authorised persons, in the order they were named.
    pub authorized: Vec<UserId>,
}

impl EntrySeal {
    /// The state at `now`: an approval (or the opening it allowed) whose time has run out is sealed again — the
    /// time-boxed check-out closes by itself, decided when the seal is read, so no job has to close it.
    pub fn effective(&self, now: Timestamp) -> SealState {
        match (self.state, self.approved_until) {
            (SealState::Approved | SealState::Broken, Some(until)) if until <= now => SealState::Sealed,
            (state, _) => state,
        }
    }

    /// What a release of the entry's secrets to the recipient at `now` does.
    pub fn release(&self, now: Timestamp) -> Release {
        match self.effective(now) {
            SealState::Unsealed | SealState::Broken => Release::Open,
            SealState::Approved => Release::Break,
            SealState::Sealed | SealState::WaitingForApproval => Release::Refuse(self.effective(now)),
        }
    }

    pub fn is_authorized(&self, user: UserId) -> bool {
        self.authorized.contains(&user)
    }
}

/// The answer of a seal to a release of secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Unsealed, or broken within its check-out: the secrets go out.
    Open,
    /// Approved: the secrets go out and the seal is broken (309), once.
    Break,
    /// Sealed or waiting: nothing goes out.
    Refuse(SealState),
}

/// A change of one seal, based on the revision it was read at ([`crate::vault::VaultStore::change_seal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealChange {
    pub database: DatabaseId,
    pub entry: EntryId,
    pub recipient: UserId,
    pub expected_revision: u32,
    pub state: SealState,
    pub reason: Option<String>,
    pub approved_until: Option<Timestamp>,
    pub changed_by: UserId,
    pub at: Timestamp,
    /// Authorised persons to add (those already there are kept).
    pub add_authorized: Vec<UserId>,
}

impl SealChange {
    /// The same seal in another state, by `by` at `at`; the time box is kept only for Approved and Broken.
    pub fn of(seal: &EntrySeal, state: SealState, by: UserId, at: Timestamp) -> Self {
        let keeps_window = matches!(state, SealState::Approved | SealState::Broken);
        Self {
            database: seal.database,
            entry: seal.entry,
            recipient: seal.recipient,
            expected_revision: seal.revision,
            state,
            reason: seal.reason.clone(),
            approved_until: seal.approved_until.filter(|_| keeps_window),
            changed_by: by,
            at,
            add_authorized: Vec::new(),
        }
    }

    /// The seal after this change.
    pub fn applied_to(&self, seal: &EntrySeal) -> EntrySeal {
        let mut authorized = seal.authorized.clone();
        for user in &self.add_authorized {
            if !authorized.contains(user) {
                authorized.push(*user);
            }
        }
        EntrySeal {
            state: self.state,
            reason: self.reason.clone(),
            approved_until: self.approved_until,
            changed_by: self.changed_by,
            changed_at: self.at,
            revision: seal.revision.wrapping_add(1),
            authorized,
            ..seal.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(state: SealState, until: Option<i64>) -> EntrySeal {
        let user = UserId::random();
        EntrySeal {
            database: DatabaseId::random(),
            entry: EntryId::random(),
            recipient: UserId::random(),
            state,
            reason: None,
            approved_until: until.map(Timestamp::from_millis),
            sealed_by: user,
            created_at: Timestamp::from_millis(0),
            changed_by: user,
            changed_at: Timestamp::from_millis(0),
            revision: 0,
            authorized: vec![user],
        }
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_none() {
        for s in SealState::ALL {
            assert_eq!(SealState::from_name(s.name()), Some(s));
        }
        assert_eq!(SealState::from_name("open"), None);
    }

    #[test]
    fn only_unsealed_broken_and_approved_release() {
        let now = Timestamp::from_millis(1_000);
        assert_eq!(seal(SealState::Sealed, None).release(now), Release::Refuse(SealState::Sealed));
        assert_eq!(
            seal(SealState::WaitingForApproval, None).release(now),
            Release::Refuse(SealState::WaitingForApproval)
        );
        assert_eq!(seal(SealState::Approved, None).release(now), Release::Break);
        assert_eq!(seal(SealState::Broken, None).release(now), Release::Open);
        assert_eq!(seal(SealState::Unsealed, None).release(now), Release::Open);
    }

    #[test]
    fn a_time_boxed_approval_closes_at_its_end() {
        let at = Timestamp::from_millis;
        for state in [SealState::Approved, SealState::Broken] {
            let s = seal(state, Some(2_000));
            assert_eq!(s.effective(at(1_999)), state);
            assert_eq!(s.effective(at(2_000)), SealState::Sealed, "the end is exclusive");
            assert_eq!(s.release(at(2_000)), Release::Refuse(SealState::Sealed));
        }
        assert_eq!(seal(SealState::Unsealed, Some(2_000)).effective(at(3_000)), SealState::Unsealed);
    }

    #[test]
    fn a_change_counts_a_revision_and_adds_authorised_persons_once() {
        let s = seal(SealState::Approved, Some(5));
        let extra = UserId::random();
        let mut change = SealChange::of(&s, SealState::Sealed, s.sealed_by, Timestamp::from_millis(9));
        assert_eq!(change.approved_until, None, "a closed seal has no check-out");
        change.add_authorized = vec![extra, s.authorized[0], extra];
        let after = change.applied_to(&s);
        assert_eq!(after.revision, 1);
        assert_eq!(after.authorized, vec![s.authorized[0], extra]);
        assert_eq!(after.state, SealState::Sealed);
    }
}
