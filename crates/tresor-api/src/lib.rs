//! The wire contract of Tresor's REST API: request and response bodies, error codes and the OpenAPI schemas.
//!
//! This crate knows JSON shapes and nothing else: no HTTP framework, no domain logic. The server (`tresor-http`)
//! and every client (`tresor-client`, the CLI, the load driver) speak through these types, so a change here is a
//! change of the public API.

mod accounts;
mod audit;
mod audit_admin;
mod auth;
mod error;
mod live;
mod seals;
mod second_password;
mod server;
mod sharing;
mod signin;
mod vault;
mod vault_admin;

pub use accounts::*;
pub use audit::*;
pub use audit_admin::*;
pub use auth::*;
pub use error::*;
pub use live::*;
pub use seals::*;
pub use second_password::*;
pub use server::*;
pub use sharing::*;
pub use signin::*;
pub use vault::*;
pub use vault_admin::*;

/// The path prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";

/// Reads a nested object only from a JSON object (or `null` for an optional one). serde's derive would also read
/// a struct from an array of its fields in order, which no client means and the OpenAPI document does not allow.
fn object_only<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize;
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        v @ (serde_json::Value::Object(_) | serde_json::Value::Null) => T::deserialize(v).map_err(D::Error::custom),
        _ => Err(D::Error::custom("expected a JSON object")),
    }
}
