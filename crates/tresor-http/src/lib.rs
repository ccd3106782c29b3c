//! Tresor's HTTP adapter: the only crate that knows HTTP and JSON.
//!
//! Handlers follow one shape: extract (the caller, the capability the route needs, the validated body) → call a
//! `tresor-core` service → map the result to a `tresor-api` type. Every failure leaves through [`ApiError`], the
//! one mapping from domain errors to status codes and stable error codes.

mod error;
mod extract;
mod log_export;
mod openapi;
mod routes;
pub mod serve;
pub mod tls;
mod wire;
mod wire_audit;
mod wire_notify;
mod wire_signin;
mod wire_vault;

use std::sync::Arc;

pub use error::ApiError;
pub use openapi::openapi_json;
pub use routes::router;
use tresor_core::{AccountService, AuthService, ServerService, VaultService};

/// What the dashboard shows about this process that the domain does not know.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub addresses: Vec<String>,
    pub port: u16,
    pub version: String,
    pub started_at: tresor_core::Timestamp,
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub auth: Arc<AuthService>,
    pub accounts: Arc<AccountService>,
    pub server: Arc<ServerService>,
    pub vault: Arc<VaultService>,
    pub identity: Arc<ServerIdentity>,
    /// The background workers' supervisor, for `GET /admin/jobs`.
    pub workers: Arc<dyn tresor_core::jobs::Workers>,
}
