//! The store contract on PostgreSQL: runs when `TRESOR_TEST_POSTGRES_URL` names a server, each case in a fresh
//! schema; skips otherwise, unless `TRESOR_REQUIRE_PEERS=1`.

tresor_store_tests::contract_suite!(tresor_store_tests::postgres);
