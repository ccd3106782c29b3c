//! The server log (seed manual, Log; Event IDs): every event with its number, chained by hashes, kept in the store
//! and read back by Server Administrators and Event Log Readers; and the notifications that e-mail chosen events.
//!
//! Services report what happened with [`AuditLog::record`], which returns once the record is durably in the store.
//! A single writer task takes whatever records are waiting and appends them in one transaction (group commit), so
//! that many requests share one disk flush. Whatever else reads the log — the local files, the remote syslog
//! receiver, the notification mailer (`tresor-jobs`), `tail -f` — follows the store from a position of its own,
//! woken by [`AuditLog::subscribe`]. The store is thus the spool: a receiver that is away misses nothing.

mod notify;
mod recent;
mod record;
pub mod rfc5424;
mod settings;
mod store;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

pub use notify::{Notification, NotificationDraft, Scope, Trigger, is_mail_address};
pub use record::{
    AuditEvent, AuditRecord, ChainCheck, ChainProblem, ChainVerdict, GENESIS, Named, chain_hash, hex_of, verify_chain,
};
pub use settings::{DEFAULT_SPOOL_MB, LoggingSettings, NewFile, RemoteLog, Transport};
pub use store::{AuditStore, ChainHead, LogCursor, LogFilter};

use crate::caller::{Caller, ManageServer, ReadLog};
use crate::clock::{Clock, Timestamp};
use crate::error::CoreError;
use crate::store::{Store, StoreError};

/// The most records one append takes.
const BATCH: usize = 512;
/// The most records one page of the log holds.
pub const MAX_PAGE: u32 = 1000;

struct Pending {
    at: Timestamp,
    event: AuditEvent,
    done: oneshot::Sender<Result<u64, StoreError>>,
}

/// The log service. Cheap to share behind an `Arc`; the writer task ends when the last handle is dropped.
pub struct AuditLog {
    store: Arc<dyn AuditStore>,
    settings_store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    queue: mpsc::Sender<Pending>,
    appended: watch::Receiver<u64>,
    settings_changed: watch::Sender<u64>,
    recent: Arc<recent::Recent>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("last_appended", &*self.appended.borrow()).finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Starts the writer on the current tokio runtime.
    pub fn start(store: Arc<dyn AuditStore>, settings_store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Arc<Self> {
        let (queue, rx) = mpsc::channel(8 * BATCH);
        let (appended_tx, appended) = watch::channel(0);
        let recent = Arc::new(recent::Recent::default());
        tokio::spawn(write_loop(Arc::clone(&store), rx, appended_tx, Arc::clone(&recent)));
        let settings_changed = watch::channel(0).0;
        Arc::new(Self { store, settings_store, clock, queue, appended, settings_changed, recent })
    }

    /// Records `event` now and returns its number once it is durably written. Fails with
    /// [`CoreError::AuditUnavailable`] when the log cannot be written: what depends on the record (releasing a
    /// secret) must not happen then.
    pub async fn record(&self, event: AuditEvent) -> Result<u64, CoreError> {
        let (done, wait) = oneshot::channel();
        let pending = Pending { at: self.clock.now(), event, done };
        if self.queue.send(pending).await.is_err() {
            return Err(CoreError::AuditUnavailable);
        }
        match wait.await {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the server log could not be written");
                Err(CoreError::AuditUnavailable)
            }
            Err(_) => Err(CoreError::AuditUnavailable),
        }
    }

    /// Records an event about something that has happened already: a failure to write the record is logged to
    /// the diagnostics, and the request that caused it still succeeds (its change is made and cannot be undone).
    pub async fn note(&self, event: AuditEvent) {
        let id = event.event;
        if let Err(e) = self.record(event).await {
            tracing::error!(event = id, error = %e, "an event is missing from the server log");
        }
    }

    /// [`AuditLog::note`] for many events of one act (the entries deleted with a folder): all are queued before any
    /// is waited for, so that they share appends instead of taking one each.
    pub async fn note_all(&self, events: Vec<AuditEvent>) {
        let mut waiting = Vec::with_capacity(events.len());
        for event in events {
            let (done, wait) = oneshot::channel();
            let id = event.event;
            if self.queue.send(Pending { at: self.clock.now(), event, done }).await.is_err() {
                tracing::error!(event = id, "an event is missing from the server log: the writer has stopped");
                continue;
            }
            waiting.push((id, wait));
        }
        for (id, wait) in waiting {
            if !matches!(wait.await, Ok(Ok(_))) {
                tracing::error!(event = id, "an event is missing from the server log");
            }
        }
    }

    /// The number of the last record appended by this node, changing with every append: the workers and `tail`
    /// wait on it.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.appended.clone()
    }

    /// Changes whenever the log's settings are saved through this node.
    pub fn settings_changes(&self) -> watch::Receiver<u64> {
        self.settings_changed.subscribe()
    }

    /// Up to `limit` records after `after`, oldest first, for the workers that follow the log: from the records this
    /// node appended last when they hold the next ones (shared with the other followers), from the store otherwise.
    pub async fn follow(&self, after: u64, limit: u32) -> Result<Vec<Arc<AuditRecord>>, StoreError> {
        if let Some(records) = self.recent.after(after, limit as usize) {
            return Ok(records);
        }
        let page = self.store.audit_page(&LogFilter::default(), LogCursor::After { after }, limit).await?;
        Ok(page.into_iter().map(Arc::new).collect())
    }

    /// The number of the last record (0 for an empty log), for a dashboard of the workers that follow it.
    pub async fn head(&self, _cap: &crate::caller::ViewServer) -> Result<u64, CoreError> {
        Ok(self.store.audit_head().await?.map_or(0, |(seq, _)| seq))
    }

    /// The store, for the workers that follow the log.
    pub fn store(&self) -> &Arc<dyn AuditStore> {
        &self.store
    }

    /// A page of the log (seed manual, Log). Reading from the newest end records that the log was sent (628);
    /// following it (`tail`) does not, or every poll would add a record.
    pub async fn page(
        &self,
        caller: &Caller,
        _cap: ReadLog,
        filter: &LogFilter,
        cursor: LogCursor,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, CoreError> {
        let records = self.store.audit_page(filter, cursor, limit.clamp(1, MAX_PAGE)).await?;
        if matches!(cursor, LogCursor::Newest { before: None }) {
            self.note(AuditEvent::new(628).by(caller)).await;
        }
        Ok(records)
    }

    /// An export read a page at a time by the caller, who can then write each page out before reading the next
    /// (a streamed download). Records that the export was made (628) now.
    pub async fn export_pages(&self, caller: &Caller, _cap: ReadLog, filter: LogFilter) -> ExportPages {
        self.note(AuditEvent::new(628).by(caller).new_object("export")).await;
        ExportPages::new(Arc::clone(&self.store), filter)
    }

    /// Walks the whole chain from the first record and compares its end with the head stored apart.
    pub async fn verify(&self, _cap: ReadLog) -> Result<ChainVerdict, CoreError> {
        let head = self.store.audit_head().await?;
        let mut check = ChainCheck::new();
        // Paging runs by number; a record moved out of place still shows up, in number order, as a broken link.
        let mut pages = ExportPages::new(Arc::clone(&self.store), LogFilter::default());
        while let Some(page) = pages.next_page().await? {
            if !page.iter().all(|r| check.next(r)) {
                break;
            }
        }
        Ok(check.finish(head))
    }

    pub async fn settings(&self, _cap: ReadLog) -> Result<LoggingSettings, CoreError> {
        LoggingSettings::load(self.settings_store.as_ref()).await
    }

    /// Saves the log's settings (617, "The server options were modified") and wakes the workers.
    pub async fn set_settings(
        &self,
        caller: &Caller,
        _cap: ManageServer,
        settings: &LoggingSettings,
    ) -> Result<(), CoreError> {
        settings.validate()?;
        settings.save(self.settings_store.as_ref()).await?;
        self.settings_changed.send_modify(|n| *n += 1);
        self.note(AuditEvent::new(617).by(caller).object("logging", "Logging")).await;
        Ok(())
    }

    /// The notifications, in the order they were added (630).
    pub async fn notifications(&self, caller: &Caller, _cap: ManageServer) -> Result<Vec<Notification>, CoreError> {
        let list = self.store.notifications().await?;
        self.note(AuditEvent::new(630).by(caller)).await;
        Ok(list)
    }

    /// One notification (630, as for the list).
    pub async fn notification(&self, caller: &Caller, _cap: ManageServer, id: u64) -> Result<Notification, CoreError> {
        let list = self.store.notifications().await?;
        let n =
            list.into_iter().find(|n| n.id == id).ok_or_else(|| CoreError::not_found(format!("notification {id}")))?;
        self.note(AuditEvent::new(630).by(caller).object(n.id, n.label())).await;
        Ok(n)
    }

    /// Adds a notification (607).
    pub async fn add_notification(
        &self,
        caller: &Caller,
        _cap: ManageServer,
        draft: &NotificationDraft,
    ) -> Result<Notification, CoreError> {
        draft.validate()?;
        let n = self.store.insert_notification(draft).await?;
        self.note(AuditEvent::new(607).by(caller).object(n.id, n.label())).await;
        Ok(n)
    }

    /// Replaces a notification's settings (607).
    pub async fn change_notification(
        &self,
        caller: &Caller,
        _cap: ManageServer,
        id: u64,
        draft: &NotificationDraft,
    ) -> Result<Notification, CoreError> {
        draft.validate()?;
        let n = self.store.update_notification(id, draft).await.map_err(|e| missing_notification(e, id))?;
        self.note(AuditEvent::new(607).by(caller).object(n.id, n.label())).await;
        Ok(n)
    }

    /// Deletes a notification (612).
    pub async fn delete_notification(&self, caller: &Caller, _cap: ManageServer, id: u64) -> Result<(), CoreError> {
        self.store.delete_notification(id).await.map_err(|e| missing_notification(e, id))?;
        self.note(AuditEvent::new(612).by(caller).object(id, format!("notification {id}"))).await;
        Ok(())
    }
}

/// The pages of the records a filter matches, oldest first, each of at most [`MAX_PAGE`] records: what an export
/// streams ([`AuditLog::export_pages`]) and what the chain check walks.
#[derive(Debug)]
pub struct ExportPages {
    store: Arc<dyn AuditStore>,
    filter: LogFilter,
    after: u64,
    done: bool,
}

impl ExportPages {
    fn new(store: Arc<dyn AuditStore>, filter: LogFilter) -> Self {
        Self { store, filter, after: 0, done: false }
    }

    /// The next page; `None` once every matching record was read.
    pub async fn next_page(&mut self) -> Result<Option<Vec<AuditRecord>>, CoreError> {
        if self.done {
            return Ok(None);
        }
        let page = self.store.audit_page(&self.filter, LogCursor::After { after: self.after }, MAX_PAGE).await?;
        match page.last() {
            Some(last) => self.after = last.seq,
            None => {
                self.done = true;
                return Ok(None);
            }
        }
        Ok(Some(page))
    }
}

fn missing_notification(e: StoreError, id: u64) -> CoreError {
    match e {
        StoreError::NotFound(_) => CoreError::not_found(format!("notification {id}")),
        other => other.into(),
    }
}

/// The writer: takes what is waiting (up to [`BATCH`]), appends it in one transaction, answers each waiter.
async fn write_loop(
    store: Arc<dyn AuditStore>,
    mut rx: mpsc::Receiver<Pending>,
    appended: watch::Sender<u64>,
    recent: Arc<recent::Recent>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let (events, waiters): (Vec<_>, Vec<_>) = batch.drain(..).map(|p| ((p.at, p.event), p.done)).unzip();
        match store.append_audit(events).await {
            Ok(records) => {
                let records: Vec<Arc<AuditRecord>> = records.into_iter().map(Arc::new).collect();
                recent.extend(&records);
                if let Some(last) = records.last() {
                    appended.send_replace(last.seq);
                }
                for (done, r) in waiters.into_iter().zip(&records) {
                    let _ = done.send(Ok(r.seq));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for done in waiters {
                    let _ = done.send(Err(StoreError::Other(message.clone())));
                }
            }
        }
    }
}
