//! The `tresor` binary's library half: configuration and server start-up, shared by the command line and the
//! test kit.

//!
//! Without the default `server` feature the crate builds a client-only `tresor` for desktops.

#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod server;
