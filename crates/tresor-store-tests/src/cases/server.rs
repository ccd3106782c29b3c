//! Cases for the server's own data: liveness, settings, and the schema version guard.

use tresor_core::StoreError;

use super::assert_err;
use crate::TestDb;

pub async fn ping_and_engine_name(db: TestDb) {
    let store = db.store();
    store.ping().await.unwrap();
    assert_eq!(store.engine(), db.engine());
}

pub async fn settings_insert_if_absent(db: TestDb) {
    let store = db.store();
    assert_eq!(store.setting("first_started_at").await.unwrap(), None);
    assert!(store.insert_setting_if_absent("first_started_at", "2026-01-01").await.unwrap());
    assert!(!store.insert_setting_if_absent("first_started_at", "2027-01-01").await.unwrap());
    assert_eq!(store.setting("first_started_at").await.unwrap().as_deref(), Some("2026-01-01"));

    store.put_setting("first_started_at", "2028-01-01").await.unwrap();
    assert_eq!(store.setting("first_started_at").await.unwrap().as_deref(), Some("2028-01-01"));
    store.put_setting("instance", "a'b\"c").await.unwrap();
    assert_eq!(store.setting("instance").await.unwrap().as_deref(), Some("a'b\"c"));
    assert_eq!(store.setting("First_Started_At").await.unwrap(), None, "keys are exact");

    // Several at once: new and existing keys alike.
    store.put_settings(&[("instance", "b".to_owned()), ("region", "eu".to_owned())]).await.unwrap();
    assert_eq!(store.setting("instance").await.unwrap().as_deref(), Some("b"));
    assert_eq!(store.setting("region").await.unwrap().as_deref(), Some("eu"));
    store.put_settings(&[]).await.unwrap();
}

pub async fn schema_newer_than_known_is_refused(db: TestDb) {
    // Reopening a current database works and changes nothing.
    let again = db.reopen().await.unwrap();
    again.close().await;

    // A newer Tresor has applied a migration this build does not know.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', $2, $3, 0)",
    )
    .bind(9_999_i64)
    .bind(true)
    .bind(vec![0u8; 48])
    .execute(db.sql().pool())
    .await
    .unwrap();
    let known = tresor_store_sql::schema::known_version(&tresor_store_sqlite::migrator());
    let reopened = db.reopen().await.map(|_| ());
    assert_err(reopened, |e| matches!(e, StoreError::SchemaTooNew { found: 9_999, known: k } if *k == known));
}
