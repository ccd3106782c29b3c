//! Every record of the server log to a remote syslog receiver (seed manual, Server Settings → Logging → Remote log).

use std::sync::Arc;

use tresor_core::{AuditLog, Store};

use crate::JobsConfig;

/// Follows the log to the remote receiver.
#[derive(Debug)]
pub struct RemoteSyslog {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    config: JobsConfig,
}

impl RemoteSyslog {
    pub fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, config: JobsConfig) -> Self {
        Self { audit, store, config }
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let _ = (&self.audit, &self.store, &self.config);
    }
}
