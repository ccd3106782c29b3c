//! The records this node appended last, kept in memory so that the workers following the log (files, syslog,
//! notifications) read what they have just been woken for without going back to the store. Only a run of
//! consecutive numbers is ever answered from here; a gap (records another node appended, or ones that fell out)
//! sends the reader to the store, which stays the one source of truth. Records are shared, not copied: the writer
//! and every follower hold the same one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::record::AuditRecord;

/// How many records are kept: a few seconds' worth at thousands a second.
const KEPT: usize = 8192;

#[derive(Debug, Default)]
pub(super) struct Recent(Mutex<VecDeque<Arc<AuditRecord>>>);

impl Recent {
    pub(super) fn extend(&self, records: &[Arc<AuditRecord>]) {
        let Ok(mut kept) = self.0.lock() else { return };
        for r in records.iter().rev().take(KEPT).rev() {
            if kept.len() == KEPT {
                kept.pop_front();
            }
            kept.push_back(Arc::clone(r));
        }
    }

    /// The records numbered `after + 1`, `after + 2` … without a gap, at most `limit`; `None` when `after + 1` is
    /// not kept here.
    pub(super) fn after(&self, after: u64, limit: usize) -> Option<Vec<Arc<AuditRecord>>> {
        let kept = self.0.lock().ok()?;
        let first = kept.partition_point(|r| r.seq <= after);
        let mut out = Vec::new();
        for (expected, r) in (after + 1..).zip(kept.iter().skip(first).take(limit)) {
            if r.seq != expected {
                break;
            }
            out.push(Arc::clone(r));
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{AuditEvent, GENESIS};
    use crate::clock::Timestamp;

    fn records(seqs: impl IntoIterator<Item = u64>) -> Vec<Arc<AuditRecord>> {
        seqs.into_iter()
            .map(|s| Arc::new(AuditRecord::chained(s, Timestamp::from_millis(0), AuditEvent::new(102), GENESIS)))
            .collect()
    }

    fn seqs(r: Option<Vec<Arc<AuditRecord>>>) -> Option<Vec<u64>> {
        r.map(|r| r.iter().map(|r| r.seq).collect())
    }

    #[test]
    fn only_runs_without_gaps_are_answered() {
        let recent = Recent::default();
        recent.extend(&records(1..=5));
        // Another node appended 6 and 7; this one 8 and 9.
        recent.extend(&records(8..=9));
        assert_eq!(seqs(recent.after(0, 100)), Some(vec![1, 2, 3, 4, 5]));
        assert_eq!(seqs(recent.after(2, 2)), Some(vec![3, 4]));
        assert_eq!(seqs(recent.after(5, 100)), None, "6 is not here: the store has it");
        assert_eq!(seqs(recent.after(7, 100)), Some(vec![8, 9]));
        assert_eq!(seqs(recent.after(9, 100)), None);
    }

    #[test]
    fn the_oldest_fall_out() {
        let recent = Recent::default();
        recent.extend(&records(1..=(KEPT as u64 + 10)));
        assert_eq!(seqs(recent.after(0, 1)), None);
        assert_eq!(seqs(recent.after(10, 1)), Some(vec![11]));
    }
}
