//! E-mail notifications (seed manual, Notifications): the notifier follows the server log and, for every record
//! that triggers a notification, mails its recipients through the server's one [`Mailer`].
//!
//! Its position is kept in the store (`notifications`), moved after each record's mails are sent or given up, so a
//! restart resumes where it stopped. A failed delivery is tried again with growing pauses; after the last try the
//! failure is recorded in the log (646) and the notifier goes on. Nothing of this runs inside a request: a slow or
//! absent mail server never slows the action that caused the event.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tresor_core::audit::{AuditEvent, AuditRecord, Notification};
use tresor_core::mail::{MailError, MailMessage, Mailer, SmtpSettings};
use tresor_core::permissions::Memberships;
use tresor_core::{AuditLog, GroupGraph, GroupId, Keyring, Store, UserId};

/// The worker's name for its position in the store.
const POSITION: &str = "notifications";
/// The event recorded when a notification's message is given up.
const UNDELIVERED: u16 = 646;
/// Records read at a time.
const PAGE: u32 = 500;
/// How often the log is read even without a wake-up: records appended by another node sharing the store do not
/// wake this one.
const POLL: Duration = Duration::from_secs(5);

/// The pauses between the tries of one message.
#[derive(Debug, Clone)]
pub struct Retry {
    pub pauses: Vec<Duration>,
}

impl Default for Retry {
    /// Five tries over about a minute and a half.
    fn default() -> Self {
        Self { pauses: [2, 5, 15, 60].map(Duration::from_secs).to_vec() }
    }
}

/// What the notifier has done since it started, for the server's status.
#[derive(Debug, Default)]
pub struct NotifierStatus {
    /// Whether the notifier has found its starting position: records appended from then on are handled.
    pub started: std::sync::atomic::AtomicBool,
    /// The last record read.
    pub position: AtomicU64,
    /// Messages delivered.
    pub sent: AtomicU64,
    /// Tries that failed (each is retried until the last).
    pub failed_tries: AtomicU64,
    /// Messages given up after the last try.
    pub given_up: AtomicU64,
}

/// Follows the log and mails the notifications its records trigger.
#[derive(Debug)]
pub struct Notifier {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    mailer: Arc<dyn Mailer>,
    retry: Retry,
    status: Arc<NotifierStatus>,
}

impl Notifier {
    pub fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, keyring: Arc<Keyring>, mailer: Arc<dyn Mailer>) -> Self {
        Self { audit, store, keyring, mailer, retry: Retry::default(), status: Arc::default() }
    }

    /// Uses other pauses between tries.
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    pub fn status(&self) -> Arc<NotifierStatus> {
        Arc::clone(&self.status)
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let mut wake = self.audit.subscribe();
        let mut position = self.start_position().await;
        self.status.position.store(position, Ordering::Relaxed);
        self.status.started.store(true, Ordering::Release);
        loop {
            match self.catch_up(position).await {
                Ok(p) => position = p,
                Err(e) => tracing::warn!(error = %e, "notifications: could not read the server log"),
            }
            // A wake-up or the poll interval, whichever comes first; a closed channel leaves the poll. After a
            // wake-up, appends gather a moment, so that one read and one stored position serve many records.
            if let Ok(Ok(())) = tokio::time::timeout(POLL, wake.changed()).await {
                tokio::time::sleep(crate::follow::LINGER).await;
            }
        }
    }

    /// Where to start: the stored position, or — on the very first start — the current end of the log, so that
    /// history from before notifications existed is not mailed.
    async fn start_position(&self) -> u64 {
        let log = self.audit.store();
        loop {
            let stored = log.audit_cursor(POSITION).await;
            let head = log.audit_head().await;
            match (stored, head) {
                (Ok(p), _) if p > 0 => return p,
                (Ok(_), Ok(head)) => {
                    let start = head.map_or(0, |(seq, _)| seq);
                    if log.set_audit_cursor(POSITION, start).await.is_ok() {
                        return start;
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "notifications: could not read the position; trying again");
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Handles every record after `position`; returns the new position.
    async fn catch_up(&self, mut position: u64) -> Result<u64, tresor_core::StoreError> {
        let log = self.audit.store();
        loop {
            let page = self.audit.follow(position, PAGE).await?;
            if page.is_empty() {
                return Ok(position);
            }
            let notifications = log.notifications().await?;
            let mut groups = GroupCache::default();
            for record in &page {
                let mut mailed = false;
                for n in &notifications {
                    if self.triggers(n, record, &mut groups).await {
                        self.deliver(n, record).await;
                        mailed = true;
                    }
                }
                position = record.seq;
                // The position is stored after each record that was mailed about (a restart must not mail it
                // again) and at the end of each page; records that trigger nothing cost no write each.
                if mailed {
                    log.set_audit_cursor(POSITION, position).await?;
                }
                self.status.position.store(position, Ordering::Relaxed);
            }
            log.set_audit_cursor(POSITION, position).await?;
        }
    }

    async fn triggers(&self, n: &Notification, record: &AuditRecord, groups: &mut GroupCache) -> bool {
        if !n.needs_groups() {
            return n.matches(record, &[]);
        }
        match groups.of(self.store.as_ref(), record).await {
            Ok(g) => n.matches(record, g),
            Err(e) => {
                tracing::warn!(error = %e, notification = n.id, "notifications: could not read the user's groups");
                n.matches(record, &[])
            }
        }
    }

    /// Mails every recipient of `n` about `record`, each with its own tries.
    async fn deliver(&self, n: &Notification, record: &AuditRecord) {
        let (subject, body) = (subject(record), body(n, record));
        for to in &n.draft.recipients {
            let message = MailMessage { to: to.clone(), subject: subject.clone(), body: body.clone() };
            let mut pauses = self.retry.pauses.iter();
            let outcome = loop {
                let error = match self.settings().await {
                    Ok(settings) => match self.mailer.send(&settings, &message).await {
                        Ok(()) => break Ok(()),
                        Err(e) => e,
                    },
                    Err(e) => e,
                };
                self.status.failed_tries.fetch_add(1, Ordering::Relaxed);
                match pauses.next() {
                    Some(pause) => {
                        tracing::warn!(notification = n.id, record = record.seq, error = %error,
                            "notifications: a message was not sent; trying again in {pause:?}");
                        tokio::time::sleep(*pause).await;
                    }
                    None => break Err(error),
                }
            };
            match outcome {
                Ok(()) => {
                    self.status.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => {
                    self.status.given_up.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(notification = n.id, record = record.seq, error = %error,
                        "notifications: a message was given up after its last try");
                    if record.event.event == UNDELIVERED {
                        // A notification about undelivered notifications that cannot be delivered either: recording
                        // it again would trigger it again, without end.
                        continue;
                    }
                    let failed = AuditEvent::new(UNDELIVERED)
                        .object(n.id, n.label())
                        .new_object(format!("record {}", record.seq))
                        .reason(error.to_string());
                    self.audit.note(failed).await;
                }
            }
        }
    }

    async fn settings(&self) -> Result<SmtpSettings, MailError> {
        let settings = SmtpSettings::load(self.store.as_ref(), &self.keyring)
            .await
            .map_err(|e| MailError::Config(e.to_string()))?;
        if !settings.is_configured() {
            return Err(MailError::Config("no outgoing mail server is set (tresor admin mail set)".into()));
        }
        Ok(settings)
    }
}

/// The effective groups (nested ones included) of the users of one page of records, as of now: the group graph is
/// read once a page, each user's own groups once a page.
#[derive(Default)]
struct GroupCache {
    graph: Option<GroupGraph>,
    by_user: HashMap<String, Vec<GroupId>>,
}

impl GroupCache {
    async fn of(&mut self, store: &dyn Store, record: &AuditRecord) -> Result<&[GroupId], tresor_core::StoreError> {
        let Some(user) = record.event.user.as_ref().and_then(|u| UserId::from_str(&u.id).ok()) else {
            return Ok(&[]);
        };
        let key = user.to_string();
        if !self.by_user.contains_key(&key) {
            let graph = match self.graph.take() {
                Some(graph) => graph,
                None => store.group_graph().await?,
            };
            let direct: Vec<GroupId> = store.user_groups(user).await?.into_iter().map(|g| g.id).collect();
            let effective = Memberships::from_graph(&graph, user, &direct).effective_groups(user);
            self.graph = Some(graph);
            self.by_user.insert(key.clone(), effective.into_iter().collect());
        }
        Ok(self.by_user.get(&key).map_or(&[], Vec::as_slice))
    }
}

fn subject(record: &AuditRecord) -> String {
    format!("Tresor: {} (event {})", record.description, record.event.event)
}

/// The message: the notification's notes, then the record's fields (never a secret: records hold none).
fn body(n: &Notification, record: &AuditRecord) -> String {
    let e = &record.event;
    let mut lines = Vec::new();
    if !n.draft.notes.is_empty() {
        lines.push(n.draft.notes.clone());
        lines.push(String::new());
    }
    lines.push(format!("Event:       {} {}", e.event, record.description));
    lines.push(format!("Severity:    {}", record.severity.as_str()));
    lines.push(format!("Date/time:   {}", record.at.to_rfc3339()));
    let fields = [
        ("User:        ", e.user.as_ref().map(|u| u.name.clone())),
        ("Address:     ", e.address.map(|a| a.to_string())),
        ("Database:    ", e.database.as_ref().map(|d| d.name.clone())),
        ("Object:      ", e.object.as_ref().map(|o| o.name.clone())),
        ("New object:  ", e.new_object.clone()),
        ("Reason:      ", e.reason.clone()),
    ];
    for (label, value) in fields {
        if let Some(v) = value {
            lines.push(format!("{label}{v}"));
        }
    }
    lines.push(String::new());
    lines.push(format!("Record {} of the server log. Notification {}.", record.seq, n.id));
    lines.join("\n")
}
