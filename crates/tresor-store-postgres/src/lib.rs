//! The PostgreSQL engine: connects to a server (optionally inside one schema) and migrates it. The queries
//! themselves are `tresor-store-sql`'s, shared with SQLite.
//!
//! [`PgTarget`] keeps where the store connects, for the PostgreSQL-only features to come (LISTEN/NOTIFY between
//! nodes needs its own connection to the same place).

mod live;

use std::fmt;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AssertSqlSafe, Executor};
use tresor_core::StoreError;
use tresor_store_sql::{EmbeddedMigration, Engine, Migrator, SqlStore, driver_error, schema};

pub use live::PgLiveBus;

/// Connections in the pool of one node.
pub const MAX_CONNECTIONS: u32 = 10;

/// The schema history, append-only; the same versions as `tresor-store-sqlite`.
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

/// Connects to the database at `url` (`postgres://user:password@host:port/database`) and brings its schema up to
/// date. Fails with [`StoreError::SchemaTooNew`] when a newer Tresor has migrated it.
pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
    PgTarget::new(url).open().await
}

/// Like [`open`], with every table in `schema` (created if absent): each connection's `search_path` is set to
/// it. Lets tests, or several Tresor installations, share one database.
pub async fn open_in_schema(url: &str, schema: &str) -> Result<SqlStore, StoreError> {
    PgTarget::new(url).in_schema(schema)?.open().await
}

/// Where a store connects: a server URL and optionally a schema. Its `Debug` hides the URL, which may hold a
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    url: String,
    schema: Option<String>,
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgTarget").field("url", &"<redacted>").field("schema", &self.schema).finish()
    }
}

impl PgTarget {
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), schema: None }
    }

    /// Places the tables in `schema`: lowercase ASCII letters, digits and `_`, not starting with a digit, at most
    /// 63 bytes (it is written into statements, so nothing else is accepted).
    pub fn in_schema(self, schema: &str) -> Result<Self, StoreError> {
        let mut chars = schema.chars();
        let valid = schema.len() <= 63
            && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(StoreError::Other(format!("'{schema}' is not a valid schema name (use a-z, 0-9 and _)")));
        }
        Ok(Self { schema: Some(schema.to_owned()), ..self })
    }

    /// The connection URL; it may hold a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The statement that puts a connection into the schema, if there is one.
    fn search_path(&self) -> Option<String> {
        self.schema.as_ref().map(|s| format!("SET search_path TO \"{s}\""))
    }

    /// Connects, creates the schema if asked for one, and migrates.
    pub async fn open(&self) -> Result<SqlStore, StoreError> {
        sqlx::any::install_default_drivers();
        let fail = |e| driver_error(Engine::Postgres, e);
        let options: AnyConnectOptions = self.url.parse().map_err(fail)?;
        let search_path: Option<Arc<str>> = self.search_path().map(Arc::from);
        let pool = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .after_connect(move |conn, _meta| {
                let search_path = search_path.clone();
                Box::pin(async move {
                    if let Some(statement) = search_path {
                        // The schema name was checked to hold only [a-z0-9_] in `in_schema`.
                        conn.execute(AssertSqlSafe(statement.to_string())).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(fail)?;
        if let Some(schema) = &self.schema {
            // Checked in `in_schema`, as above.
            pool.execute(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))).await.map_err(fail)?;
        }
        schema::migrate(&pool, Engine::Postgres, &migrator()).await?;
        tracing::debug!(schema = ?self.schema, "PostgreSQL store open");
        Ok(SqlStore::new(pool, Engine::Postgres))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_restricted_to_plain_identifiers() {
        let target = PgTarget::new("postgres://u:secret@h/db");
        assert!(target.clone().in_schema("tresor_test_0a1b").is_ok());
        for bad in ["", "1abc", "Abc", "a-b", "a\"b", "a b", &"a".repeat(64)] {
            assert!(target.clone().in_schema(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn debug_hides_the_url() {
        let shown = format!("{:?}", PgTarget::new("postgres://u:secret@h/db"));
        assert!(!shown.contains("secret"), "{shown}");
    }
}
