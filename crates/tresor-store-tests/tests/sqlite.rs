//! The store contract on SQLite, and what only the SQLite engine promises: its pragmas on every connection.

// Test code: a failed expectation is a panic with a message.
#![allow(clippy::unwrap_used)]

use sqlx::Row;

tresor_store_tests::contract_suite!(tresor_store_tests::sqlite);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_pooled_connection_has_the_durable_pragmas() {
    let db = tresor_store_tests::sqlite().await.unwrap();
    let pool = db.sql().pool();
    // Hold every connection the pool can open at once, so that each one is checked, not the first one again.
    let mut held = Vec::new();
    for _ in 0..tresor_store_sqlite::MAX_CONNECTIONS {
        held.push(pool.acquire().await.unwrap());
    }
    assert_eq!(pool.size(), tresor_store_sqlite::MAX_CONNECTIONS);
    for conn in &mut held {
        let pragma = |name: &'static str| sqlx::query(name);
        let journal: String = pragma("PRAGMA journal_mode").fetch_one(&mut **conn).await.unwrap().get(0);
        let synchronous: i64 = pragma("PRAGMA synchronous").fetch_one(&mut **conn).await.unwrap().get(0);
        let foreign_keys: i64 = pragma("PRAGMA foreign_keys").fetch_one(&mut **conn).await.unwrap().get(0);
        let busy_timeout: i64 = pragma("PRAGMA busy_timeout").fetch_one(&mut **conn).await.unwrap().get(0);
        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "FULL");
        assert_eq!(foreign_keys, 1);
        assert_eq!(busy_timeout, 5000);
    }
}

#[tokio::test]
async fn open_creates_a_missing_file_but_not_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    tresor_store_sqlite::open(&path).await.unwrap().close().await;
    assert!(path.exists());
    let nowhere = dir.path().join("missing-dir").join("x.db");
    assert!(tresor_store_sqlite::open(&nowhere).await.is_err());
}
