//! One record of the server log and the hash chain that links the records (seed manual, Log).
//!
//! Each record carries the hash of the record before it; its own hash covers that hash and every field, in a
//! fixed binary layout ([`chain_hash`]). A record that is altered, removed, reordered or cut off the end breaks the
//! chain at a place [`verify_chain`] reports.

use std::net::IpAddr;

use crate::clock::Timestamp;
use crate::events::{self, Severity};

/// The hash a chain starts from: the first record's `prev_hash`.
pub const GENESIS: [u8; 32] = [0; 32];

/// Something a record names: its id (stable) and its label as it was at the time (a user's name, an entry's path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Named {
    pub id: String,
    pub name: String,
}

impl Named {
    pub fn new(id: impl ToString, name: impl Into<String>) -> Self {
        Self { id: id.to_string(), name: name.into() }
    }
}

/// What happened, as the service where it happened reports it. Never carries a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// The event number ([`crate::events::EVENTS`]).
    pub event: u16,
    pub user: Option<Named>,
    pub address: Option<IpAddr>,
    pub database: Option<Named>,
    /// The entry, folder, document, account or setting acted on.
    pub object: Option<Named>,
    /// What the object became (a new name or place, a changed setting).
    pub new_object: Option<String>,
    /// Why: a deletion or seal reason, or the cause of a failure.
    pub reason: Option<String>,
}

impl AuditEvent {
    /// An event of kind `event`, which must be in the table (a programming error otherwise, caught by tests).
    pub fn new(event: u16) -> Self {
        debug_assert!(events::event(event).is_some(), "event {event} is not in the table");
        Self { event, user: None, address: None, database: None, object: None, new_object: None, reason: None }
    }
    /// Done by the caller of a request, from the request's address.
    pub fn by(self, caller: &crate::Caller) -> Self {
        self.user(Named::new(caller.user.id, caller.user.account.clone())).address(caller.address)
    }
    pub fn user(mut self, user: Named) -> Self {
        self.user = Some(user);
        self
    }
    pub fn address(mut self, address: IpAddr) -> Self {
        self.address = Some(address);
        self
    }
    pub fn database(mut self, id: impl ToString, name: impl Into<String>) -> Self {
        self.database = Some(Named::new(id, name));
        self
    }
    pub fn object(mut self, id: impl ToString, name: impl Into<String>) -> Self {
        self.object = Some(Named::new(id, name));
        self
    }
    pub fn new_object(mut self, what: impl Into<String>) -> Self {
        self.new_object = Some(what.into());
        self
    }
    pub fn reason(mut self, why: impl Into<String>) -> Self {
        self.reason = Some(why.into());
        self
    }
    /// Sets the reason when there is one.
    pub fn maybe_reason(mut self, why: Option<&str>) -> Self {
        self.reason = why.map(str::to_owned);
        self
    }
    pub fn severity(&self) -> Severity {
        events::event(self.event).map_or(Severity::Notice, |k| k.severity)
    }
    pub fn description(&self) -> &'static str {
        events::event(self.event).map_or("", |k| k.description)
    }
}

/// A record as the log holds it: the event, when it was recorded, its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// 1, 2, 3 … without gaps.
    pub seq: u64,
    pub at: Timestamp,
    pub severity: Severity,
    pub description: String,
    pub event: AuditEvent,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

impl AuditRecord {
    /// Makes the record that follows `prev_hash` at position `seq`.
    pub fn chained(seq: u64, at: Timestamp, event: AuditEvent, prev_hash: [u8; 32]) -> Self {
        let mut record = Self {
            seq,
            at,
            severity: event.severity(),
            description: event.description().to_owned(),
            event,
            prev_hash,
            hash: [0; 32],
        };
        record.hash = chain_hash(&record);
        record
    }

    /// The records of `events`, in order, chained on from the head `(seq, hash)` (`(0, GENESIS)` for an empty log):
    /// what every store's append writes.
    pub fn chain_on(head: (u64, [u8; 32]), events: Vec<(Timestamp, AuditEvent)>) -> Vec<Self> {
        let (mut seq, mut prev) = head;
        let mut records = Vec::with_capacity(events.len());
        for (at, event) in events {
            seq += 1;
            let record = Self::chained(seq, at, event, prev);
            prev = record.hash;
            records.push(record);
        }
        records
    }
}

/// The hash of `record`: SHA-256 over the previous hash and a fixed, length-prefixed layout of every field, so
/// that no two different records encode alike.
pub fn chain_hash(record: &AuditRecord) -> [u8; 32] {
    let e = &record.event;
    // Enough for a typical record (its ids and names, an entry's path, the description) without growing.
    let mut buf = Vec::with_capacity(512);
    buf.extend_from_slice(b"tresor-log-v1\0");
    buf.extend_from_slice(&record.prev_hash);
    buf.extend_from_slice(&record.seq.to_be_bytes());
    buf.extend_from_slice(&record.at.as_millis().to_be_bytes());
    buf.extend_from_slice(&e.event.to_be_bytes());
    buf.push(record.severity.code());
    let address = e.address.map(|a| a.to_string());
    let fields = [
        Some(record.description.as_str()),
        e.user.as_ref().map(|u| u.id.as_str()),
        e.user.as_ref().map(|u| u.name.as_str()),
        address.as_deref(),
        e.database.as_ref().map(|d| d.id.as_str()),
        e.database.as_ref().map(|d| d.name.as_str()),
        e.object.as_ref().map(|o| o.id.as_str()),
        e.object.as_ref().map(|o| o.name.as_str()),
        e.new_object.as_deref(),
        e.reason.as_deref(),
    ];
    for field in fields {
        match field {
            None => buf.push(0),
            Some(s) => {
                buf.push(1);
                buf.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
        }
    }
    tresor_crypto::hashing::sha256(&buf)
}

/// `hash` in lower-case hex, written into `out`: how records carry their hashes in the store and in their lines.
pub fn hex_of<'a>(hash: &[u8; 32], out: &'a mut [u8; 64]) -> &'a str {
    // 32 bytes always fit 64 hex digits, which are ASCII.
    let _ = hex::encode_to_slice(hash, out);
    std::str::from_utf8(out).unwrap_or_default()
}

/// Where a chain is broken, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainProblem {
    /// The record's fields no longer give its hash.
    Altered { seq: u64 },
    /// Records are missing before `seq` (the one found where `expected` should be).
    Removed { expected: u64, found: u64 },
    /// `seq` stands after a record it should precede, or links to another record than the one before it.
    Reordered { seq: u64 },
    /// The log ends at `last` though the chain's head says it reached `head`.
    Truncated { last: u64, head: u64 },
}

impl ChainProblem {
    pub fn kind(&self) -> &'static str {
        match self {
            ChainProblem::Altered { .. } => "altered",
            ChainProblem::Removed { .. } => "removed",
            ChainProblem::Reordered { .. } => "reordered",
            ChainProblem::Truncated { .. } => "truncated",
        }
    }
    /// The first record that is not as it was written.
    pub fn seq(&self) -> u64 {
        match *self {
            ChainProblem::Altered { seq } | ChainProblem::Reordered { seq } => seq,
            ChainProblem::Removed { expected, .. } => expected,
            ChainProblem::Truncated { last, .. } => last + 1,
        }
    }
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ChainProblem::Altered { seq } => write!(f, "record {seq} was altered"),
            ChainProblem::Removed { expected, found } if found > expected => {
                write!(f, "records {expected} to {} were removed", found - 1)
            }
            ChainProblem::Removed { expected, .. } => write!(f, "record {expected} was removed"),
            ChainProblem::Reordered { seq } => write!(f, "record {seq} is out of order"),
            ChainProblem::Truncated { last, head } => {
                write!(f, "the log was cut off after record {last}; it reached record {head}")
            }
        }
    }
}

/// Checks records in the order they are stored, in pieces: feed every record to [`ChainCheck::next`], then
/// [`ChainCheck::finish`] with the head the log recorded apart. Stops at the first problem.
///
/// A record whose number skips ahead is first taken for a removal; if a skipped number turns up later, the
/// records were reordered instead, and the first one out of place is reported.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    expected_seq: u64,
    prev_hash: [u8; 32],
    checked: u64,
    /// A gap seen, which stands unless a skipped record turns up later.
    gap: Option<(u64, u64)>,
    problem: Option<ChainProblem>,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainCheck {
    pub fn new() -> Self {
        Self { expected_seq: 1, prev_hash: GENESIS, checked: 0, gap: None, problem: None }
    }

    /// Checks the next record; returns false once the verdict is settled.
    pub fn next(&mut self, record: &AuditRecord) -> bool {
        if self.problem.is_some() {
            return false;
        }
        let gap = self.gap.map(|(expected, found)| ChainProblem::Removed { expected, found });
        let problem = if chain_hash(record) != record.hash {
            Some(gap.unwrap_or(ChainProblem::Altered { seq: record.seq }))
        } else if record.seq < self.expected_seq {
            Some(match self.gap {
                Some((expected, found)) if record.seq >= expected => ChainProblem::Reordered { seq: found },
                _ => gap.unwrap_or(ChainProblem::Reordered { seq: record.seq }),
            })
        } else if record.seq > self.expected_seq {
            if gap.is_some() {
                gap
            } else {
                self.gap = Some((self.expected_seq, record.seq));
                None
            }
        } else if record.prev_hash != self.prev_hash && gap.is_none() {
            // In its place but not linked to the record before: that one is not the record that was there.
            Some(ChainProblem::Altered { seq: record.seq - 1 })
        } else {
            None
        };
        if problem.is_some() {
            self.problem = problem;
            return false;
        }
        self.expected_seq = record.seq + 1;
        self.prev_hash = record.hash;
        if self.gap.is_none() {
            self.checked += 1;
        }
        true
    }

    /// The verdict, given the head (last sequence number and hash) recorded apart from the records.
    pub fn finish(self, head: Option<(u64, [u8; 32])>) -> ChainVerdict {
        let last = self.expected_seq - 1;
        let gap = self.gap.map(|(expected, found)| ChainProblem::Removed { expected, found });
        let problem = self.problem.or(gap).or_else(|| match head {
            Some((head_seq, _)) if head_seq > last => Some(ChainProblem::Truncated { last, head: head_seq }),
            Some((head_seq, head_hash)) if head_seq == last && head_hash != self.prev_hash => {
                Some(ChainProblem::Altered { seq: last })
            }
            _ => None,
        });
        ChainVerdict { checked: self.checked, problem }
    }
}

/// What [`ChainCheck`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainVerdict {
    /// Records that were checked and found intact, from the first.
    pub checked: u64,
    pub problem: Option<ChainProblem>,
}

/// Checks a whole log held in memory.
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    head: Option<(u64, [u8; 32])>,
) -> ChainVerdict {
    let mut check = ChainCheck::new();
    for r in records {
        if !check.next(r) {
            break;
        }
    }
    check.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: u64) -> Vec<AuditRecord> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let e = AuditEvent::new(303).object(seq, format!("Web/Entry {seq}")).reason("because");
                let r = AuditRecord::chained(seq, Timestamp::from_millis(1_700_000_000_000 + seq as i64), e, prev);
                prev = r.hash;
                r
            })
            .collect()
    }

    fn head(l: &[AuditRecord]) -> Option<(u64, [u8; 32])> {
        l.last().map(|r| (r.seq, r.hash))
    }

    #[test]
    fn an_intact_log_verifies() {
        let l = log(5);
        assert_eq!(verify_chain(&l, head(&l)), ChainVerdict { checked: 5, problem: None });
        assert_eq!(verify_chain(&[], None), ChainVerdict { checked: 0, problem: None });
    }

    #[test]
    fn each_kind_of_tampering_is_found_where_it_happened() {
        let intact = log(6);
        let h = head(&intact);

        let mut altered = intact.clone();
        altered[2].event.reason = Some("nothing to see".into());
        assert_eq!(verify_chain(&altered, h).problem, Some(ChainProblem::Altered { seq: 3 }));

        let mut removed = intact.clone();
        removed.remove(3);
        assert_eq!(verify_chain(&removed, h).problem, Some(ChainProblem::Removed { expected: 4, found: 5 }));

        let mut swapped = intact.clone();
        swapped.swap(1, 2);
        assert_eq!(verify_chain(&swapped, h).problem, Some(ChainProblem::Reordered { seq: 3 }));

        let truncated = &intact[..4];
        assert_eq!(verify_chain(truncated, h).problem, Some(ChainProblem::Truncated { last: 4, head: 6 }));

        // Rewriting a record and its hash still breaks the link from the next one.
        let mut rehashed = intact.clone();
        rehashed[1].event.object = Some(Named::new(2, "Web/Other"));
        rehashed[1].hash = chain_hash(&rehashed[1]);
        assert_eq!(verify_chain(&rehashed, h).problem, Some(ChainProblem::Altered { seq: 2 }));

        let mut moved_up = intact.clone();
        let fifth = moved_up.remove(4);
        moved_up.insert(1, fifth);
        assert_eq!(verify_chain(&moved_up, h).problem, Some(ChainProblem::Reordered { seq: 5 }));
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = log(1).remove(0);
        let variants: [fn(&mut AuditRecord); 11] = [
            |r| r.at = Timestamp::from_millis(r.at.as_millis() + 1),
            |r| r.severity = Severity::Error,
            |r| r.description.push('!'),
            |r| r.event.event = 304,
            |r| r.event.user = Some(Named::new("u", "alice")),
            |r| r.event.address = Some(IpAddr::from([10, 0, 0, 1])),
            |r| r.event.database = Some(Named::new("d", "Team")),
            |r| r.event.object = None,
            |r| r.event.new_object = Some("x".into()),
            |r| r.event.reason = None,
            |r| r.prev_hash = [1; 32],
        ];
        for change in variants {
            let mut r = base.clone();
            change(&mut r);
            assert_ne!(chain_hash(&r), base.hash);
        }
        // Moving text from one field to the next is a different record too.
        let a = AuditRecord::chained(1, base.at, AuditEvent::new(303).new_object("ab").reason("c"), GENESIS);
        let b = AuditRecord::chained(1, base.at, AuditEvent::new(303).new_object("a").reason("bc"), GENESIS);
        assert_ne!(a.hash, b.hash);
    }
}
