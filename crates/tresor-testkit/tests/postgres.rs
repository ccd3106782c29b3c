//! The representative cases of `common::cases` on each store engine: SQLite always, PostgreSQL when
//! `TRESOR_TEST_POSTGRES_URL` names one (and required when `TRESOR_REQUIRE_PEERS=1`).
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use tresor_testkit::{Engine, Options, TestServer, postgres_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn representative_cases_on_sqlite() {
    let mut server = TestServer::start().await;
    common::cases::run_all(&mut server, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn representative_cases_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let mut server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 3 }).await;
    common::cases::run_all(&mut server, "postgres").await;
}
