//! Integration tests for tresor-crypto's public API, one test binary to keep linking cheap.

mod envelope_props;
mod keys;
mod password;
mod redaction;
