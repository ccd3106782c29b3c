//! A typed async client of Tresor's REST API, used by the CLI, the mirror, the tests and the benchmarks.
//!
//! [`Client`] speaks the `tresor-api` types over HTTPS with one of three kinds of [`Trust`]: an ssh-style pin of
//! the server's certificate (obtained on first use with [`fetch_fingerprint`]), a CA file, or plain HTTP for
//! `http://` URLs. TLS is rustls with the aws-lc-rs provider, always chosen explicitly.
//!
//! API boundary: this crate knows HTTP and the wire types; it never interprets them beyond error mapping.

mod client;
mod error;
mod fingerprint;
mod live;
mod routes;
mod routes_audit;
mod routes_seals;
mod routes_second_password;
mod routes_sharing;
mod routes_signin;
mod routes_vault;
mod routes_vault_admin;
mod trust;

pub use client::Client;
pub use error::ClientError;
pub use fingerprint::fetch_fingerprint;
pub use live::LiveStream;
/// The URL type the client's base URL is parsed into.
pub use reqwest::Url;
pub use routes_signin::LoginReply;
pub use routes_vault::Download;
pub use trust::{Trust, certificate_fingerprint, fingerprint_hex, parse_fingerprint, tls_config};

/// The wire types, re-exported so that users of the client need no second dependency.
pub use tresor_api as api;
