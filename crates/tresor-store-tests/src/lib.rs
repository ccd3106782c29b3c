//! The store contract suite: what every [`Store`](tresor_core::Store) must do, written once and run on each
//! engine by [`contract_suite!`] (see `tests/sqlite.rs` and `tests/postgres.rs`).
//!
//! A case is an `async fn(TestDb)` in [`cases`]; it uses the store through `Arc<dyn Store>`, exactly as the
//! services do. Adding a case means writing it and naming it once in [`contract_suite!`].

// Test support: a failed expectation is a panic with a message, which is what a test wants.
#![allow(clippy::unwrap_used)]

pub mod cases;
mod fixtures;
pub mod sample;

pub use fixtures::{TestDb, postgres, run, sqlite};

/// Stamps one `#[tokio::test]` per contract case, each on a fresh database from `$open` (a path to an
/// `async fn() -> Option<TestDb>`; `None` skips).
#[macro_export]
macro_rules! contract_suite {
    ($open:path) => {
        $crate::contract_suite!(@cases $open;
            ping_and_engine_name,
            user_insert_and_lookup,
            user_fields_round_trip,
            user_insert_with_memberships,
            seat_limit_is_enforced,
            concurrent_inserts_cannot_overshoot_seats,
            user_update_and_membership_replacement,
            user_delete_cascades,
            password_hash_set_and_get,
            group_crud,
            user_memberships,
            group_memberships,
            group_graph_lists_groups_and_nesting,
            user_memberships_list_every_seat_user,
            cycles_are_refused_through_the_check,
            concurrent_opposite_additions_cannot_cycle,
            session_lifecycle,
            end_user_sessions_and_live_listing,
            settings_insert_if_absent,
            user_listing_filters_pages_and_escapes,
            group_listing_filters_pages_and_escapes,
            schema_newer_than_known_is_refused,
            vault_database_crud,
            vault_database_listing_counts_entries,
            vault_database_delete_cascades,
            vault_database_last_access,
            vault_folder_tree,
            vault_concurrent_folder_moves_cannot_cycle,
            vault_folder_delete,
            vault_entry_lifecycle_and_history,
            vault_concurrent_updates_one_wins,
            vault_current_entries_in_batches,
            vault_tampered_ciphertexts_fail_to_open,
            vault_attachments_round_trip_in_chunks,
            vault_attachments_stay_in_their_database,
            vault_attachments_go_with_entry_folder_and_database,
            vault_locks_take_renew_release,
            vault_locks_die_with_time_and_session,
            vault_locks_refuse_other_sessions_writes,
            vault_concurrent_lock_takers_one_wins,
            vault_seals_round_trip_and_change_by_revision,
            vault_concurrent_seal_changes_one_wins,
            vault_guarded_entries_name_second_passwords_and_seals_of_one_database,
            vault_second_passwords_set_replace_remove,
            vault_grants_round_trip,
            vault_server_policy_round_trip,
            vault_resolver_is_fed_from_the_store,
            signin_failures_count_and_lock_the_account_once,
            signin_concurrent_failures_are_all_counted,
            signin_password_history_keeps_replaced_verifiers,
            signin_totp_steps_advance_once_and_recovery_codes_work_once,
            signin_challenges_complete_once_and_devices_expire,
            signin_reset_forgets_everything_of_that_user,
            audit_appends_extend_one_chain_with_its_head,
            audit_concurrent_appends_never_fork_the_chain,
            audit_filters_and_pages,
            audit_worker_positions_and_notifications,
            audit_tampering_in_the_store_is_found,
        );
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::run($open, $crate::cases::$case).await;
            }
        )*
    };
}
