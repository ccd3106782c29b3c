//! Every record of the server log to a remote syslog receiver (seed manual, Server Settings → Logging → Remote log),
//! as RFC 5424 messages: UDP (RFC 5426, a datagram a record), TCP (RFC 6587 octet counting) or TLS (RFC 5425).
//!
//! The position is kept in the store (`syslog`) and moved after each batch of up to 1000 records is written and
//! flushed. Over TCP and TLS a receiver that is away loses nothing: the sender reconnects with growing pauses
//! (200 ms to 30 s) and sends again from its position, so a record arrives at least once — the ones in flight when
//! a connection breaks may arrive twice, and since syslog over TCP has no acknowledgement, a receiver that
//! vanishes without closing its connection can lose what was written into it before the break is noticed. A
//! receiver that closes its end is noticed before the next batch. Over UDP a record is sent once and the position
//! moves on whether it arrives or not.
//!
//! The store is the spool. When the records not yet sent would take more than `spool_mb` (estimated from the
//! average line sent so far), the oldest are skipped so that the backlog fits, and a warning says how many were
//! dropped for the receiver.
//!
//! A receiver configured while the server runs gets the log from then on (the history is in the files); changing
//! the receiver keeps the position, so the new one gets what the old one had not.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tresor_core::audit::rfc5424::{self, Origin};
use tresor_core::audit::{LoggingSettings, RemoteLog};
use tresor_core::{AuditLog, Store, StoreError};

use crate::JobsConfig;
use crate::follow::{Backoff, Follow, PAGE, Wake};
use crate::link::Link;

/// The sender's name for its position in the store.
const POSITION: &str = "syslog";
/// The line size the spool bound assumes before any line was sent.
const ASSUMED_LINE_BYTES: u64 = 512;

/// What the sender has done since it started.
#[derive(Debug, Default)]
pub struct RemoteSyslogStatus {
    /// Whether the sender knows its position: records appended from then on are handled.
    pub started: AtomicBool,
    /// The last record sent (or skipped).
    pub position: AtomicU64,
    /// Whether a connection to the receiver is open.
    pub connected: AtomicBool,
    /// Records sent.
    pub sent: AtomicU64,
    /// Records dropped for the receiver: skipped to keep within the spool, or UDP datagrams the system refused.
    pub dropped: AtomicU64,
    /// Failed connections and sends (each is tried again).
    pub failures: AtomicU64,
}

/// Follows the log to the remote receiver.
#[derive(Debug)]
pub struct RemoteSyslog {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    config: JobsConfig,
    status: Arc<RemoteSyslogStatus>,
}

impl RemoteSyslog {
    pub fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, config: JobsConfig) -> Self {
        Self { audit, store, config, status: Arc::default() }
    }

    pub fn status(&self) -> Arc<RemoteSyslogStatus> {
        Arc::clone(&self.status)
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let mut follow = Follow::new(self.audit, self.store, "remote syslog");
        let mut settings = follow.settings().await;
        let mut sender = Sender {
            origin: Origin::this_process(self.config.hostname.clone()),
            position: 0,
            link: None,
            lines: LineSize::default(),
            status: self.status,
        };
        sender.start(&follow, settings.remote.is_some()).await;
        let mut backoff = Backoff::new();
        loop {
            follow.mark_read();
            let wake = match sender.step(&follow, &settings).await {
                Ok(more) => {
                    backoff.reset();
                    if more {
                        continue;
                    }
                    follow.wait().await
                }
                Err(e) => {
                    sender.disconnect();
                    sender.status.failures.fetch_add(1, Ordering::Relaxed);
                    let receiver = settings.remote.as_ref().map(receiver).unwrap_or_default();
                    tracing::warn!(%receiver, error = %e, "remote syslog: {}; trying again", e.doing());
                    follow.pause(backoff.next()).await
                }
            };
            if wake == Wake::Settings {
                let before = settings.remote.take();
                settings = follow.settings().await;
                sender.settings_changed(&follow, before.as_ref(), settings.remote.as_ref()).await;
            }
        }
    }
}

fn receiver(r: &RemoteLog) -> String {
    format!("{}:{} ({})", r.host, r.port, r.transport.as_str())
}

/// Why a batch was not sent.
#[derive(Debug)]
enum Failure {
    Store(StoreError),
    Connect(std::io::Error),
    Send(std::io::Error),
}

impl Failure {
    fn doing(&self) -> &'static str {
        match self {
            Failure::Store(_) => "could not read the server log",
            Failure::Connect(_) => "could not connect to the receiver",
            Failure::Send(_) => "could not send to the receiver",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Store(e) => write!(f, "{e}"),
            Failure::Connect(e) | Failure::Send(e) => write!(f, "{e}"),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

struct Sender {
    origin: Origin,
    position: u64,
    /// The open connection and the receiver it goes to.
    link: Option<(RemoteLog, Link)>,
    lines: LineSize,
    status: Arc<RemoteSyslogStatus>,
}

impl Sender {
    /// Finds the position: the stored one; for a receiver that has never been sent to, the end of the log.
    async fn start(&mut self, follow: &Follow, configured: bool) {
        let mut backoff = Backoff::new();
        loop {
            match follow.audit().store().audit_cursor(POSITION).await {
                Ok(0) if configured => return self.start_at_head(follow).await,
                Ok(p) => return self.moved_to(p),
                Err(e) => {
                    tracing::warn!(error = %e, "remote syslog: could not read the position; trying again");
                    tokio::time::sleep(backoff.next()).await;
                }
            }
        }
    }

    /// Starts after the last record of the log, and stores that position.
    async fn start_at_head(&mut self, follow: &Follow) {
        let mut backoff = Backoff::new();
        loop {
            match follow.head().await {
                Ok(head) => {
                    self.moved_to(head);
                    self.store_position(follow).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "remote syslog: could not read the end of the log; trying again");
                    tokio::time::sleep(backoff.next()).await;
                }
            }
        }
    }

    async fn settings_changed(&mut self, follow: &Follow, before: Option<&RemoteLog>, now: Option<&RemoteLog>) {
        match (before, now) {
            (None, Some(_)) => self.start_at_head(follow).await,
            (Some(a), Some(b)) if a == b => {}
            _ => self.disconnect(),
        }
    }

    /// Sends one batch; returns whether more records are waiting.
    async fn step(&mut self, follow: &Follow, settings: &LoggingSettings) -> Result<bool, Failure> {
        let Some(remote) = &settings.remote else {
            self.disconnect();
            return Ok(false);
        };
        if let Some((target, link)) = &mut self.link
            && (target != remote || link.closed_by_peer().await)
        {
            self.disconnect();
        }
        if self.link.is_none() {
            let link = Link::connect(remote).await.map_err(Failure::Connect)?;
            tracing::info!(receiver = %receiver(remote), "remote syslog: connected");
            self.status.connected.store(true, Ordering::Relaxed);
            self.link = Some((remote.clone(), link));
        }
        let head = follow.head().await?;
        let spool = u64::from(remote.spool_mb) * 1024 * 1024;
        let skip = overflow(self.position, head, self.lines.average(), spool);
        if skip > 0 {
            tracing::warn!(
                receiver = %receiver(remote),
                dropped = skip,
                "remote syslog: the receiver is more than the spool ({} MiB) behind; {skip} records were dropped for it",
                remote.spool_mb
            );
            self.status.dropped.fetch_add(skip, Ordering::Relaxed);
            self.moved_to(self.position + skip);
            self.store_position(follow).await;
        }
        let page = follow.page(self.position).await?;
        let Some(last) = page.last().map(|r| r.seq) else { return Ok(false) };
        let lines: Vec<String> = page.iter().map(|r| rfc5424::format(r, &self.origin)).collect();
        let Some((_, link)) = self.link.as_mut() else { return Ok(false) };
        let sent = link.send(&lines).await.map_err(Failure::Send)?;
        self.lines.add(lines.len() as u64, sent.bytes);
        self.status.sent.fetch_add(lines.len() as u64 - sent.lost, Ordering::Relaxed);
        if sent.lost > 0 {
            self.status.dropped.fetch_add(sent.lost, Ordering::Relaxed);
            tracing::warn!(receiver = %receiver(remote), lost = sent.lost, "remote syslog: datagrams could not be sent");
        }
        self.moved_to(last);
        self.store_position(follow).await;
        Ok(page.len() == PAGE as usize)
    }

    fn moved_to(&mut self, position: u64) {
        self.position = position;
        self.status.position.store(position, Ordering::Relaxed);
        self.status.started.store(true, Ordering::Release);
    }

    /// Stores the position. A failure is only logged: the position in memory goes on, and a restart before the
    /// next store sends those records again (at least once).
    async fn store_position(&self, follow: &Follow) {
        if let Err(e) = follow.audit().store().set_audit_cursor(POSITION, self.position).await {
            tracing::warn!(error = %e, "remote syslog: could not store the position");
        }
    }

    fn disconnect(&mut self) {
        self.link = None;
        self.status.connected.store(false, Ordering::Relaxed);
    }
}

/// How many of the oldest records to skip so that what is left after `position` up to `head` fits in
/// `spool_bytes`, at `line_bytes` a record.
fn overflow(position: u64, head: u64, line_bytes: u64, spool_bytes: u64) -> u64 {
    let backlog = head.saturating_sub(position);
    let fits = spool_bytes / line_bytes.max(1);
    backlog.saturating_sub(fits)
}

/// The average size of the lines sent so far.
#[derive(Debug, Default)]
struct LineSize {
    lines: u64,
    bytes: u64,
}

impl LineSize {
    fn add(&mut self, lines: u64, bytes: u64) {
        self.lines += lines;
        self.bytes += bytes;
    }

    fn average(&self) -> u64 {
        if self.lines == 0 || self.bytes == 0 { ASSUMED_LINE_BYTES } else { self.bytes.div_ceil(self.lines) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backlog_is_cut_to_what_the_spool_holds() {
        let mib = 1024 * 1024;
        // 1 MiB at 512 bytes a line holds 2048 records.
        assert_eq!(overflow(0, 2048, 512, mib), 0);
        assert_eq!(overflow(0, 5000, 512, mib), 5000 - 2048);
        assert_eq!(overflow(1000, 5000, 512, mib), 4000 - 2048);
        assert_eq!(overflow(5000, 5000, 512, mib), 0);
        // A position past the head (another node's records not seen yet) is no backlog.
        assert_eq!(overflow(6000, 5000, 512, mib), 0);
        assert_eq!(overflow(0, 10, 0, 0), 10);
    }

    #[test]
    fn the_line_size_is_assumed_until_lines_were_sent() {
        let mut size = LineSize::default();
        assert_eq!(size.average(), ASSUMED_LINE_BYTES);
        size.add(3, 1000);
        assert_eq!(size.average(), 334);
    }
}
