//! The `tresor` binary's library half: configuration and server start-up, shared by the command line and the
//! test kit.

pub mod config;
pub mod server;
