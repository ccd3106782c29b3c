//! The wire contract of Tresor's REST API: request and response bodies, error codes and the OpenAPI schemas.
//!
//! This crate knows JSON shapes and nothing else: no HTTP framework, no domain logic. The server (`tresor-http`)
//! and every client (`tresor-client`, the CLI, the load driver) speak through these types, so a change here is a
//! change of the public API.

mod accounts;
mod auth;
mod error;
mod server;

pub use accounts::*;
pub use auth::*;
pub use error::*;
pub use server::*;

/// The path prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";
