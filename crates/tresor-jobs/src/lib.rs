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

use tokio::task::JoinHandle;
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
        let tasks = vec![
            tokio::spawn(LogFiles::new(Arc::clone(&audit), Arc::clone(&store), config.clone()).run()),
            tokio::spawn(RemoteSyslog::new(Arc::clone(&audit), Arc::clone(&store), config).run()),
            tokio::spawn(Notifier::new(audit, store, keyring, mailer).run()),
        ];
        Self { tasks }
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
