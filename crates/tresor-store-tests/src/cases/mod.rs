//! The contract cases, by the part of the port they exercise. Each takes a fresh [`TestDb`](crate::TestDb).

mod audit;
mod groups;
mod listing;
mod server;
mod sessions;
mod signin;
mod users;
mod vault;
mod vault_attachments;
mod vault_entries;
mod vault_grants;
mod vault_locks;
mod vault_seals;
mod vault_second_passwords;
mod vault_tree;

pub use audit::*;
pub use groups::*;
pub use listing::*;
pub use server::*;
pub use sessions::*;
pub use signin::*;
pub use users::*;
pub use vault::*;
pub use vault_attachments::*;
pub use vault_entries::*;
pub use vault_grants::*;
pub use vault_locks::*;
pub use vault_seals::*;
pub use vault_second_passwords::*;
pub use vault_tree::*;

use tresor_core::StoreError;

/// Asserts the error's kind, and that no password verifier leaked into its text.
#[track_caller]
pub(crate) fn assert_err<T: std::fmt::Debug>(result: Result<T, StoreError>, expected: impl Fn(&StoreError) -> bool) {
    match result {
        Err(e) => {
            assert!(expected(&e), "unexpected error: {e:?}");
            assert!(!e.to_string().contains(crate::sample::HASH), "a password verifier leaked into {e}");
        }
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
    }
}
