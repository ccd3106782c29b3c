//! What the log files and the remote syslog sender share as followers of the server log: when to wake, the logging
//! settings they read, and the growing pause after a failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tresor_core::audit::{AuditRecord, LoggingSettings};
use tresor_core::{AuditLog, Store, StoreError};

/// The most records read, and written, at a time.
pub(crate) const PAGE: u32 = 1000;
/// How often the log is read even without a wake-up: records appended by another node sharing the store do not
/// wake this one.
pub(crate) const POLL: Duration = Duration::from_secs(5);
/// How long a follower lets appends gather after being woken, so that it writes (and syncs, and stores its
/// position) once for many records instead of once for each: at thousands of events a second, a sync per append
/// would cost more than the appends themselves. Records reach the files and the receiver this much later.
pub(crate) const LINGER: Duration = Duration::from_millis(200);
/// How often the settings are read again without a change through this node (another node may have saved them).
const SETTINGS_REFRESH: Duration = Duration::from_secs(60);

/// Why a follower woke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Records were appended, or the poll interval passed: read the log.
    Log,
    /// The logging settings were saved, or are due to be read again.
    Settings,
}

/// A follower's view of the log: its wake-ups and its settings.
#[derive(Debug)]
pub(crate) struct Follow {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    /// Who follows, for the warnings.
    who: &'static str,
    appended: watch::Receiver<u64>,
    settings_changed: watch::Receiver<u64>,
    settings_read: Instant,
}

impl Follow {
    pub(crate) fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, who: &'static str) -> Self {
        let appended = audit.subscribe();
        let settings_changed = audit.settings_changes();
        Self { audit, store, who, appended, settings_changed, settings_read: Instant::now() }
    }

    /// Marks every append so far as seen: call before reading the log, so that a record appended while reading
    /// wakes the next wait.
    pub(crate) fn mark_read(&mut self) {
        self.appended.borrow_and_update();
    }

    /// Waits for an append, a settings change or the poll interval.
    pub(crate) async fn wait(&mut self) -> Wake {
        if self.settings_read.elapsed() >= SETTINGS_REFRESH {
            return Wake::Settings;
        }
        tokio::select! {
            // Settings first: records appended after a change are handled under the new settings.
            biased;
            changed = self.settings_changed.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(POLL).await;
                }
                Wake::Settings
            }
            changed = self.appended.changed() => {
                if changed.is_err() {
                    // The writer has stopped (the server is going down): only the poll is left.
                    tokio::time::sleep(POLL).await;
                    return Wake::Log;
                }
                // Appends gather a moment; settings saved meanwhile are read before the records are written.
                tokio::select! {
                    biased;
                    changed = self.settings_changed.changed() => {
                        if changed.is_err() {
                            tokio::time::sleep(LINGER).await;
                            return Wake::Log;
                        }
                        Wake::Settings
                    }
                    () = tokio::time::sleep(LINGER) => Wake::Log,
                }
            }
            () = tokio::time::sleep(POLL) => Wake::Log,
        }
    }

    /// Pauses for `pause` after a failure; a settings change cuts it short (it may be the fix).
    pub(crate) async fn pause(&mut self, pause: Duration) -> Wake {
        tokio::select! {
            changed = self.settings_changed.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(pause).await;
                }
                Wake::Settings
            }
            () = tokio::time::sleep(pause) => Wake::Log,
        }
    }

    /// The logging settings as stored, read until they read: a follower cannot work without them.
    pub(crate) async fn settings(&mut self) -> LoggingSettings {
        let mut backoff = Backoff::new();
        loop {
            self.settings_changed.borrow_and_update();
            match LoggingSettings::load(self.store.as_ref()).await {
                Ok(s) => {
                    self.settings_read = Instant::now();
                    return s;
                }
                Err(e) => {
                    tracing::warn!(worker = self.who, error = %e, "could not read the logging settings; trying again");
                    tokio::time::sleep(backoff.next()).await;
                }
            }
        }
    }

    /// Up to [`PAGE`] records after `after`, oldest first.
    pub(crate) async fn page(&self, after: u64) -> Result<Vec<Arc<AuditRecord>>, StoreError> {
        self.audit.follow(after, PAGE).await
    }

    /// The number of the last record in the log (0 when it is empty).
    pub(crate) async fn head(&self) -> Result<u64, StoreError> {
        Ok(self.audit.store().audit_head().await?.map_or(0, |(seq, _)| seq))
    }

    pub(crate) fn audit(&self) -> &AuditLog {
        &self.audit
    }
}

/// Pauses after failures in a row: 200 ms, doubling up to 30 s.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(30);

    pub(crate) fn new() -> Self {
        Self { next: Self::FIRST }
    }

    /// The pause after this failure.
    pub(crate) fn next(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        pause
    }

    /// Whether the last attempt failed (a success resets).
    pub(crate) fn failing(&self) -> bool {
        self.next > Self::FIRST
    }

    pub(crate) fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut b = Backoff::new();
        assert!(!b.failing());
        let pauses: Vec<u128> = (0..10).map(|_| b.next().as_millis()).collect();
        assert_eq!(pauses, [200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
        assert!(b.failing());
        b.reset();
        assert_eq!(b.next(), Duration::from_millis(200));
    }
}
