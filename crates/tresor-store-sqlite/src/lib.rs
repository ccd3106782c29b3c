//! The SQLite engine: opens a database file with durable settings on every connection and migrates it. The
//! queries themselves are `tresor-store-sql`'s, shared with PostgreSQL.

mod log;

use std::path::Path;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Executor};
use tresor_core::StoreError;
use tresor_store_sql::{EmbeddedMigration, Engine, Migrator, SqlStore, driver_error, schema};

/// Connections in the pool. SQLite runs one writer at a time; readers run beside it in WAL mode.
pub const MAX_CONNECTIONS: u32 = 8;

/// Set on every connection as it opens (DESIGN §5: an acknowledged write survives a crash or power loss).
pub const PRAGMAS: [&str; 5] = [
    // Readers do not block the writer, nor the writer readers.
    "PRAGMA journal_mode = WAL",
    // Sync the WAL at every commit: WAL's usual NORMAL can lose the last commits on power loss.
    "PRAGMA synchronous = FULL",
    // The schema's ON DELETE CASCADE relies on it; SQLite leaves it off per connection by default.
    "PRAGMA foreign_keys = ON",
    // Wait for the write lock rather than failing at once.
    "PRAGMA busy_timeout = 5000",
    // 1 MiB of page cache per connection instead of 2: the vault keeps what it reads often above the store, and
    // the operating system caches the file, so eight connections need not hold 16 MiB of it again.
    "PRAGMA cache_size = -1024",
];

/// The schema history, append-only; the same versions as `tresor-store-postgres`.
const MIGRATIONS: &[EmbeddedMigration] = &[
    EmbeddedMigration { version: 1, description: "accounts", sql: include_str!("../migrations/0001_accounts.sql") },
    EmbeddedMigration { version: 2, description: "vault", sql: include_str!("../migrations/0002_vault.sql") },
    EmbeddedMigration {
        version: 3,
        description: "attachments",
        sql: include_str!("../migrations/0003_attachments.sql"),
    },
    EmbeddedMigration { version: 4, description: "signin", sql: include_str!("../migrations/0004_signin.sql") },
    schema::portable::AUDIT,
    schema::portable::AUDIT_USER_INDEX,
    schema::portable::ENTRY_LOCKS,
    schema::portable::ENTRY_SEALS,
    schema::portable::ENTRY_SECOND_PASSWORDS,
];

/// The embedded migrations of this engine.
pub fn migrator() -> Migrator {
    tresor_store_sql::migrator(MIGRATIONS)
}

/// Opens (creating it if missing) the database file at `path` and brings its schema up to date. Fails with
/// [`StoreError::SchemaTooNew`] when a newer Tresor has migrated it. The directory must exist.
pub async fn open(path: &Path) -> Result<SqlStore, StoreError> {
    sqlx::any::install_default_drivers();
    let fail = |e| driver_error(Engine::Sqlite, e);
    // The `Any` driver takes a URL; SQLite's own options build it, percent-encoding the path.
    let url = SqliteConnectOptions::new().filename(path).create_if_missing(true).to_url_lossy();
    let options = AnyConnectOptions::from_url(&url).map_err(fail)?;
    let connect = |connections: u32| {
        AnyPoolOptions::new()
            .max_connections(connections)
            // A connection to a local file does not go stale: no round trip to test it before each query.
            .test_before_acquire(false)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    for pragma in PRAGMAS {
                        conn.execute(pragma).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
    };
    let pool = connect(MAX_CONNECTIONS).await.map_err(fail)?;
    schema::migrate(&pool, Engine::Sqlite, &migrator()).await?;
    // SQLite has one writer at a time: write transactions queue for one connection of their own.
    let writer = connect(1).await.map_err(fail)?;
    let appender = log::Appender::open(path)?;
    tracing::debug!(path = %path.display(), "SQLite store open");
    Ok(SqlStore::new(pool, Engine::Sqlite).with_write_pool(writer).with_log_appender(Arc::new(appender)))
}
