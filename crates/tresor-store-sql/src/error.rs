//! The one mapping from sqlx errors to [`StoreError`].
//!
//! Messages are built from error kinds, codes, constraint and column names only. Driver messages are not
//! copied: some quote the offending value ("invalid input syntax for type bigint: …", "expected BIGINT, got
//! Text(…)"), and a bound value may be a password verifier or a token hash.

use sqlx::error::{DatabaseError, ErrorKind};
use tresor_core::StoreError;

use crate::Engine;

/// What the rows of an operation are, for the messages of constraint violations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Names {
    /// What already exists when a unique constraint fails, e.g. "a user with this account name".
    pub duplicate: &'static str,
    /// What does not exist when a foreign key fails, e.g. "group".
    pub missing: &'static str,
}

/// For operations where a constraint violation would be a bug rather than a caller's mistake.
pub(crate) const GENERIC: Names = Names { duplicate: "the record", missing: "a referenced record" };

pub(crate) fn map(engine: Engine, e: sqlx::Error, names: Names) -> StoreError {
    let mapped = match e {
        sqlx::Error::Database(db) => database(engine, db.as_ref(), names),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::ColumnDecode { index, .. } => StoreError::Corrupt(format!("column {index} could not be decoded")),
        sqlx::Error::ColumnNotFound(column) => StoreError::Corrupt(format!("column {column} is missing")),
        sqlx::Error::Decode(_) | sqlx::Error::TypeNotFound { .. } | sqlx::Error::ColumnIndexOutOfBounds { .. } => {
            StoreError::Corrupt("a row could not be decoded".to_owned())
        }
        sqlx::Error::Migrate(m) => StoreError::Other(format!("migration failed: {m}")),
        other => StoreError::Other(other.to_string()),
    };
    if matches!(mapped, StoreError::Unavailable(_) | StoreError::Corrupt(_) | StoreError::Other(_)) {
        tracing::warn!(engine = engine.as_str(), error = %mapped, "database operation failed");
    }
    mapped
}

fn database(engine: Engine, db: &dyn DatabaseError, names: Names) -> StoreError {
    match db.kind() {
        ErrorKind::UniqueViolation => return StoreError::Duplicate(names.duplicate.to_owned()),
        ErrorKind::ForeignKeyViolation => return StoreError::NotFound(names.missing.to_owned()),
        _ => {}
    }
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let mut what = format!("database error {code}");
    if let Some(table) = db.table() {
        what.push_str(&format!(" on table {table}"));
    }
    if let Some(constraint) = db.constraint() {
        what.push_str(&format!(" (constraint {constraint})"));
    }
    if is_environmental(engine, &code) {
        what.push_str(": ");
        what.push_str(db.message());
    }
    if is_transient(engine, &code) { StoreError::Unavailable(what) } else { StoreError::Other(what) }
}

/// Errors about the database's surroundings (cannot open, authentication, disk full, shutting down). Their
/// messages help an operator and quote no statement's values, so they are kept.
fn is_environmental(engine: Engine, code: &str) -> bool {
    match engine {
        // SQLITE_BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN, NOTADB.
        Engine::Sqlite => code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 8 | 10 | 13 | 14 | 26)),
        // Connection exception, invalid authorisation, unknown database, insufficient resources, operator
        // intervention.
        Engine::Postgres => ["08", "28", "3D", "53", "57"].iter().any(|class| code.starts_with(class)),
    }
}

/// Errors that say "not now" rather than "never": a busy or locked database, a lost connection, a server
/// shutting down or out of resources, a deadlock or serialisation failure that a retry would get past.
fn is_transient(engine: Engine, code: &str) -> bool {
    match engine {
        // Primary result codes are the low byte of the extended code: SQLITE_BUSY = 5, SQLITE_LOCKED = 6.
        Engine::Sqlite => code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
        Engine::Postgres => {
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "40001"
                || code == "40P01"
        }
    }
}

/// A value read from a row that the domain cannot accept; names the column, never the value.
pub(crate) fn corrupt(table: &str, column: &str, id: &str) -> StoreError {
    StoreError::Corrupt(format!("{table}.{column} of row {id} is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_locked_are_transient_on_sqlite() {
        assert!(is_transient(Engine::Sqlite, "5"));
        assert!(is_transient(Engine::Sqlite, "517")); // SQLITE_BUSY_SNAPSHOT
        assert!(is_transient(Engine::Sqlite, "262")); // SQLITE_LOCKED_SHAREDCACHE
        assert!(!is_transient(Engine::Sqlite, "19")); // SQLITE_CONSTRAINT
        assert!(!is_transient(Engine::Sqlite, ""));
    }

    #[test]
    fn connection_and_concurrency_failures_are_transient_on_postgres() {
        for code in ["08006", "53300", "57P01", "40001", "40P01"] {
            assert!(is_transient(Engine::Postgres, code), "{code}");
        }
        for code in ["23505", "42P01", "22P02"] {
            assert!(!is_transient(Engine::Postgres, code), "{code}");
        }
    }
}
