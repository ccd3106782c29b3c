//! One SQL implementation of [`tresor_core::Store`] and [`tresor_core::vault::VaultStore`], shared by SQLite and
//! PostgreSQL.
//!
//! [`SqlStore`] speaks to either engine through sqlx's `Any` driver with runtime queries written in the SQL both
//! engines accept (`$1` placeholders, TEXT ids, BIGINT milliseconds and 0/1 flags). The few places where the
//! engines differ ask [`Engine`]. The engine crates (`tresor-store-sqlite`, `tresor-store-postgres`) open the
//! pool, configure each connection and hand their embedded migrations to [`schema::migrate`].
//!
//! Architecture invariant: no bound value (a password verifier, a token hash) ever appears in an error message
//! or a log line; see [`error`].

mod audit;
mod error;
mod groups;
mod rows;
pub mod schema;
mod search;
mod sessions;
mod settings;
mod signin;
mod store_impl;
mod users;
mod vault_attachments;
mod vault_databases;
mod vault_entries;
mod vault_folders;
mod vault_grants;
mod vault_impl;
mod vault_locks;
mod vault_rows;
mod vault_seals;
mod vault_second_passwords;

use std::sync::Arc;

use sqlx::{Any, AnyPool, Transaction};
use tresor_core::StoreError;

pub use audit::{LogAppender, audit_log_insert};
pub use schema::{EmbeddedMigration, migrator};
pub use sqlx::migrate::Migrator;

/// The database engine behind a [`SqlStore`], for the few statements that differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The name reported by [`tresor_core::Store::engine`].
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// The store over a connection pool that an engine crate has opened and migrated.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// On SQLite, a pool of one connection that every write transaction uses: writers queue for it in the pool,
    /// in order and without sleeping, instead of meeting at SQLite's write lock, whose busy handler sleeps in
    /// steps of 1, 2, 5 … 100 ms.
    write_pool: Option<AnyPool>,
    engine: Engine,
    log_appender: Option<Arc<dyn LogAppender>>,
}

/// Maps a driver error from an engine crate's own statements (opening, connection setup) like the store's.
pub fn driver_error(engine: Engine, e: sqlx::Error) -> StoreError {
    error::map(engine, e, error::GENERIC)
}

/// A table whose writers a PostgreSQL transaction serialises before reading what it will check.
#[derive(Debug, Clone, Copy)]
enum Serialise {
    /// Seat-limited user creation.
    Users,
    /// Group-in-group additions, which are checked for cycles over all memberships.
    GroupGroups,
}

impl SqlStore {
    /// Wraps a pool. The caller has configured its connections and brought the schema up to date
    /// ([`schema::migrate`]).
    pub fn new(pool: AnyPool, engine: Engine) -> Self {
        Self { pool, write_pool: None, engine, log_appender: None }
    }

    /// Runs every write transaction on `pool` (SQLite: one connection) instead of the shared pool.
    #[must_use]
    pub fn with_write_pool(mut self, pool: AnyPool) -> Self {
        self.write_pool = Some(pool);
        self
    }

    /// Appends to the log through `appender` instead of the pool.
    #[must_use]
    pub fn with_log_appender(mut self, appender: Arc<dyn LogAppender>) -> Self {
        self.log_appender = Some(appender);
        self
    }

    fn log_appender(&self) -> Option<&Arc<dyn LogAppender>> {
        self.log_appender.as_ref()
    }

    /// The connection pool, for engine-specific features and for tests.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn engine_kind(&self) -> Engine {
        self.engine
    }

    /// Closes every connection; later calls fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        if let Some(appender) = &self.log_appender {
            appender.close().await;
        }
        if let Some(pool) = &self.write_pool {
            pool.close().await;
        }
        self.pool.close().await;
    }

    /// Begins a transaction that will write.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
    /// writes later cannot wait for the lock and fails with SQLITE_BUSY instead.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let pool = self.write_pool.as_ref().unwrap_or(&self.pool);
        let tx = match self.engine {
            Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => pool.begin().await,
        };
        tx.map_err(self.fail(error::GENERIC))
    }

    /// Begins a transaction that only reads, whose statements all see one snapshot: SQLite (WAL) takes it at the
    /// first read of a deferred transaction; PostgreSQL's READ COMMITTED would take one per statement, so it asks
    /// for REPEATABLE READ.
    async fn begin_snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin().await,
            Engine::Postgres => self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await,
        };
        tx.map_err(self.fail(error::GENERIC))
    }

    /// Makes concurrent transactions that check-then-write `table` take turns. SQLite transactions from
    /// [`Self::begin_write`] take turns already; PostgreSQL's READ COMMITTED does not, so it locks the table in a
    /// mode that conflicts with itself and with every writer, but not with readers. Must be the transaction's
    /// first statement, so that everything read afterwards sees the previous holder's commit.
    async fn serialise(&self, tx: &mut Transaction<'static, Any>, table: Serialise) -> Result<(), StoreError> {
        if self.engine != Engine::Postgres {
            return Ok(());
        }
        let statement = match table {
            Serialise::Users => "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE",
            Serialise::GroupGroups => "LOCK TABLE group_groups IN SHARE ROW EXCLUSIVE MODE",
        };
        sqlx::query(statement).execute(&mut **tx).await.map_err(self.fail(error::GENERIC))?;
        Ok(())
    }

    /// The mapping of driver errors for one operation: `names` says what a unique or foreign-key violation means.
    fn fail(&self, names: error::Names) -> impl Fn(sqlx::Error) -> StoreError + use<> {
        let engine = self.engine;
        move |e| error::map(engine, e, names)
    }
}
