//! Embedded migrations: building a sqlx [`Migrator`] from SQL compiled into the binary, and applying it after
//! refusing a database whose schema is newer than this build knows.
//!
//! Each engine crate keeps its own SQL files (the DDL differs where the engines do) under the same version list;
//! a contract test asserts that the lists are equal. Migrations are append-only.

use std::borrow::Cow;

use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyPool, SqlSafeStr};
use tresor_core::StoreError;

use crate::Engine;
use crate::error::{self, GENERIC};

/// Migrations written in the SQL both engines read alike, shared by both engine crates instead of copied.
pub mod portable {
    use super::EmbeddedMigration;

    /// The server log, its chain head, the workers' positions and the notifications.
    pub const AUDIT: EmbeddedMigration =
        EmbeddedMigration { version: 5, description: "audit", sql: include_str!("../migrations/0005_audit.sql") };

    /// The log's index by user dropped: no filter could use it, and every append paid for it.
    pub const AUDIT_USER_INDEX: EmbeddedMigration = EmbeddedMigration {
        version: 6,
        description: "audit user index",
        sql: include_str!("../migrations/0006_audit_user_index.sql"),
    };

    /// Entry locks, bound to their sessions.
    pub const ENTRY_LOCKS: EmbeddedMigration = EmbeddedMigration {
        version: 7,
        description: "entry locks",
        sql: include_str!("../migrations/0007_entry_locks.sql"),
    };

    /// Sealed entries and their authorised persons.
    pub const ENTRY_SEALS: EmbeddedMigration = EmbeddedMigration {
        version: 8,
        description: "entry seals",
        sql: include_str!("../migrations/0008_entry_seals.sql"),
    };

    /// Second passwords of entries (their Argon2id verifiers).
    pub const ENTRY_SECOND_PASSWORDS: EmbeddedMigration = EmbeddedMigration {
        version: 9,
        description: "entry second passwords",
        sql: include_str!("../migrations/0009_entry_second_passwords.sql"),
    };
}

/// One migration compiled into the binary, usually with `include_str!`.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

/// A migrator over embedded migrations, sorted by version.
pub fn migrator(migrations: &[EmbeddedMigration]) -> Migrator {
    Migrator::with_migrations(
        migrations
            .iter()
            .map(|m| {
                Migration::new(
                    m.version,
                    Cow::Borrowed(m.description),
                    MigrationType::Simple,
                    m.sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// The highest version the migrator knows, 0 when it knows none.
pub fn known_version(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings the schema up to date, after refusing with [`StoreError::SchemaTooNew`] a database that a newer
/// Tresor has migrated: an older server must not run on a schema it does not understand.
pub async fn migrate(pool: &AnyPool, engine: Engine, migrator: &Migrator) -> Result<(), StoreError> {
    let known = known_version(migrator);
    if let Some(found) = applied_version(pool, engine).await?
        && found > known
    {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    migrator.run(pool).await.map_err(|e| match e {
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => error::map(engine, e, GENERIC),
        other => StoreError::Other(format!("migration failed: {other}")),
    })
}

/// The highest migration version recorded in the database, `None` for a database never migrated.
pub async fn applied_version(pool: &AnyPool, engine: Engine) -> Result<Option<i64>, StoreError> {
    let fail = |e| error::map(engine, e, GENERIC);
    // sqlx creates its table unqualified, so on PostgreSQL it lives in the first schema of the search path.
    let exists = match engine {
        Engine::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        Engine::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'"
        }
    };
    let tables: i64 = sqlx::query_scalar(exists).fetch_one(pool).await.map_err(fail)?;
    if tables == 0 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(pool).await.map_err(fail)
}
