//! Tresor's background workers, under one supervisor: the server log's local files and its remote syslog
//! receiver, and the e-mail notifications.
//!
//! Every worker follows the server log ([`tresor_core::AuditLog`]) from a position of its own, so a worker that is
//! slow or whose peer is away never slows a request, and picks up where it stopped after a restart.

mod files;
mod folder;
mod follow;
mod link;
mod notify;
mod syslog;

use std::path::PathBuf;
use std::sync::Arc;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::task::JoinHandle;
use tresor_core::jobs::{WorkerStatus, Workers};
use tresor_core::mail::Mailer;
use tresor_core::{AuditLog, Keyring, Store};

pub use files::{LogFiles, LogFilesStatus};
pub use notify::{Notifier, NotifierStatus, Retry};
pub use syslog::{RemoteSyslog, RemoteSyslogStatus};

/// What the workers need from the server.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// The data directory: the default logs folder is `logs` in it.
    pub data_dir: PathBuf,
    /// The host name written into syslog headers; `None` writes `-`.
    pub hostname: Option<String>,
}

/// The running workers. Dropping it stops them.
#[derive(Debug)]
pub struct Jobs {
    tasks: Vec<JoinHandle<()>>,
    status: Arc<Supervised>,
}

/// What the supervisor knows of its workers, shared with whoever reports it (the API).
#[derive(Debug)]
pub struct Supervised {
    files: Arc<LogFilesStatus>,
    syslog: Arc<RemoteSyslogStatus>,
    notifier: Arc<NotifierStatus>,
}

impl Jobs {
    /// Starts every worker on the current runtime.
    pub fn start(
        audit: Arc<AuditLog>,
        store: Arc<dyn Store>,
        keyring: Arc<Keyring>,
        mailer: Arc<dyn Mailer>,
        config: JobsConfig,
    ) -> Self {
        let files = LogFiles::new(Arc::clone(&audit), Arc::clone(&store), config.clone());
        let syslog = RemoteSyslog::new(Arc::clone(&audit), Arc::clone(&store), config);
        let notifier = Notifier::new(audit, store, keyring, mailer);
        let status =
            Arc::new(Supervised { files: files.status(), syslog: syslog.status(), notifier: notifier.status() });
        let tasks = vec![tokio::spawn(files.run()), tokio::spawn(syslog.run()), tokio::spawn(notifier.run())];
        Self { tasks, status }
    }

    /// The workers' status, for as long as anyone asks (after a stop it stays as it was).
    pub fn status(&self) -> Arc<Supervised> {
        Arc::clone(&self.status)
    }

    /// Stops every worker now; what they have not processed yet is processed after the next start.
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Workers for Supervised {
    fn status(&self) -> Vec<WorkerStatus> {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let started = |a: &AtomicBool| a.load(Ordering::Acquire);
        let (f, s, m) = (&self.files, &self.syslog, &self.notifier);
        let syslog_detail = format!(
            "{}; {} dropped to keep the spool within bounds",
            if started(&s.connected) { "connected" } else { "not connected" },
            n(&s.dropped)
        );
        vec![
            WorkerStatus {
                name: "log-files",
                description: "writes the server log as RFC 5424 lines into the logs folder",
                started: started(&f.started),
                position: n(&f.position),
                done: n(&f.written),
                failures: n(&f.failures),
                detail: None,
            },
            WorkerStatus {
                name: "remote-syslog",
                description: "sends the server log to the remote syslog receiver, when one is set",
                started: started(&s.started),
                position: n(&s.position),
                done: n(&s.sent),
                failures: n(&s.failures),
                detail: Some(syslog_detail),
            },
            WorkerStatus {
                name: "notifications",
                description: "mails the notifications that records of the server log trigger",
                started: started(&m.started),
                position: n(&m.position),
                done: n(&m.sent),
                failures: n(&m.failed_tries),
                detail: Some(format!("{} messages given up after their last try", n(&m.given_up))),
            },
        ]
    }
}
