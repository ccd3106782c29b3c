//! The server itself: first start, the dashboard (seed manual, Server Manager) and health.

use std::sync::Arc;

use crate::accounts::service::live_sessions;
use crate::audit::AuditEvent;
use crate::caller::ViewServer;
use crate::clock::{Clock, Timestamp};
use crate::error::CoreError;
use crate::store::Store;

const FIRST_STARTED_AT: &str = "first_started_at";

/// What the dashboard shows that core knows; the HTTP layer adds addresses, port and version.
#[derive(Debug, Clone)]
pub struct ServerSnapshot {
    /// When the server was put into operation for the first time.
    pub running_since: Timestamp,
    pub seats_licensed: u64,
    pub seats_used: u64,
    /// Users of kind `User` (the super administrator is not a registered user).
    pub registered_users: u64,
    /// Distinct users with a live, non-idle session.
    pub connected_users: u64,
    pub installed_databases: u64,
    pub store_engine: &'static str,
}

#[derive(Debug)]
pub struct ServerService {
    store: Arc<dyn Store>,
    vault: Arc<dyn crate::vault::VaultStore>,
    clock: Arc<dyn Clock>,
    seat_limit: u64,
    /// Reads the idle timeout in force, which decides who counts as connected.
    auth: Arc<crate::auth::AuthService>,
}

impl ServerService {
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<dyn crate::vault::VaultStore>,
        clock: Arc<dyn Clock>,
        seat_limit: u64,
        auth: Arc<crate::auth::AuthService>,
    ) -> Self {
        Self { store, vault, clock, seat_limit, auth }
    }

    /// Records the first start; later starts keep the original date. Every start is in the server log (621, "The
    /// server was restarted"), with no user: nobody asked for it through the server.
    pub async fn record_start(&self) -> Result<(), CoreError> {
        let now = self.clock.now().as_millis().to_string();
        let first = self.store.insert_setting_if_absent(FIRST_STARTED_AT, &now).await?;
        let event = AuditEvent::new(621).new_object(if first { "first start" } else { "started" });
        self.auth.audit().note(event).await;
        Ok(())
    }

    /// The dashboard (627, "Information on the server was sent to the admin").
    pub async fn snapshot(&self, cap: &ViewServer) -> Result<ServerSnapshot, CoreError> {
        let now = self.clock.now();
        let running_since = self
            .store
            .setting(FIRST_STARTED_AT)
            .await?
            .and_then(|s| s.parse::<i64>().ok())
            .map_or(now, Timestamp::from_millis);
        let seats_used = self.store.count_seat_users().await?;
        let idle = self.auth.signin_settings().await?.idle_timeout();
        let sessions = live_sessions(self.store.as_ref(), now, idle).await?;
        let mut users: Vec<_> = sessions.iter().map(|s| s.session.user_id).collect();
        users.sort();
        users.dedup();
        self.auth.audit().note(AuditEvent::new(627).by(cap.caller())).await;
        Ok(ServerSnapshot {
            running_since,
            seats_licensed: self.seat_limit,
            seats_used,
            registered_users: seats_used,
            connected_users: users.len() as u64,
            installed_databases: self.vault.count_databases().await?,
            store_engine: self.store.engine(),
        })
    }

    /// Whether the store answers; for `/healthz`.
    pub async fn healthy(&self) -> bool {
        self.store.ping().await.is_ok()
    }
}
