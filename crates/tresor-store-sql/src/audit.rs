//! [`SqlStore`] as the core's [`AuditStore`] port: the chained server log, its head, the workers' positions and
//! the notifications.

use std::fmt::Write as _;
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};
use tresor_core::audit::{
    AuditEvent, AuditRecord, AuditStore, ChainHead, LogCursor, LogFilter, Named, Notification, NotificationDraft,
    Scope, Trigger,
};
use tresor_core::events::Severity;
use tresor_core::{StoreError, Timestamp};

use crate::error::{GENERIC, Names, corrupt};
use crate::search::like_pattern;
use crate::{Engine, SqlStore};

const NOTIFICATION: Names = Names { duplicate: "a notification with this number", missing: "notification" };

const COLUMNS: &str = "seq, at, event, severity, description, user_id, user_name, address, database_id, \
                       database_name, object_id, object_name, new_object, reason, prev_hash, hash";
/// Records inserted by one statement of the pool's appends (PostgreSQL's; SQLite's run on their own connection, see
/// [`LogAppender`]). More rows per statement save round trips to the engine, but sqlx's SQLite driver looks bound
/// parameters up by name, which grows with the statement: 8 rows (128 values) measured best there.
const ROWS_PER_INSERT: usize = 8;

/// `INSERT INTO audit_log (…) VALUES (…), (…) …` for `rows` records, numbered from `$1`: each record's values in
/// the column order of the table (seq, at, event, severity, description, user id and name, address, database id
/// and name, object id and name, new object, reason, previous hash, hash).
pub fn audit_log_insert(rows: usize) -> String {
    const COLUMN_COUNT: usize = 16;
    let mut sql = format!("INSERT INTO audit_log ({COLUMNS}) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMN_COUNT {
            let _ = write!(sql, "{}${}", if column == 0 { "" } else { ", " }, row * COLUMN_COUNT + column + 1);
        }
        sql.push(')');
    }
    sql
}

fn hash_column(row: &AnyRow, column: &str) -> Result<[u8; 32], StoreError> {
    let raw: String = row.try_get(column).map_err(|_| corrupt("audit_log", column, "?"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(&raw, &mut out).map_err(|_| corrupt("audit_log", column, &raw))?;
    Ok(out)
}

fn severity_of(code: i64) -> Option<Severity> {
    [Severity::Error, Severity::Warning, Severity::Notice, Severity::Informational]
        .into_iter()
        .find(|s| i64::from(s.code()) == code)
}

fn record(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    const T: &str = "audit_log";
    let bad = |c: &str| corrupt(T, c, "?");
    let text = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| bad(c));
    let named = |id: &str, name: &str| -> Result<Option<Named>, StoreError> {
        Ok(match (text(id)?, text(name)?) {
            (Some(id), Some(name)) => Some(Named { id, name }),
            (None, None) => None,
            _ => return Err(bad(id)),
        })
    };
    let seq: i64 = row.try_get("seq").map_err(|_| bad("seq"))?;
    let event: i64 = row.try_get("event").map_err(|_| bad("event"))?;
    let severity: i64 = row.try_get("severity").map_err(|_| bad("severity"))?;
    let address = match text("address")? {
        Some(a) => Some(std::net::IpAddr::from_str(&a).map_err(|_| bad("address"))?),
        None => None,
    };
    Ok(AuditRecord {
        seq: u64::try_from(seq).map_err(|_| bad("seq"))?,
        at: Timestamp::from_millis(row.try_get("at").map_err(|_| bad("at"))?),
        severity: severity_of(severity).ok_or_else(|| bad("severity"))?,
        description: text("description")?.ok_or_else(|| bad("description"))?,
        event: AuditEvent {
            event: u16::try_from(event).map_err(|_| bad("event"))?,
            user: named("user_id", "user_name")?,
            address,
            database: named("database_id", "database_name")?,
            object: named("object_id", "object_name")?,
            new_object: text("new_object")?,
            reason: text("reason")?,
        },
        prev_hash: hash_column(row, "prev_hash")?,
        hash: hash_column(row, "hash")?,
    })
}

/// The WHERE clause of `filter` with its values, numbered from `$1`.
fn filter_clause(filter: &LogFilter) -> (String, Vec<FilterValue>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut values = Vec::new();
    let mut next = |v: FilterValue| {
        values.push(v);
        values.len()
    };
    if let Some(s) = filter.severity {
        let n = next(FilterValue::Int(i64::from(s.code())));
        let _ = write!(sql, " AND severity <= ${n}");
    }
    if let Some(t) = filter.from {
        let n = next(FilterValue::Int(t.as_millis()));
        let _ = write!(sql, " AND at >= ${n}");
    }
    if let Some(t) = filter.to {
        let n = next(FilterValue::Int(t.as_millis()));
        let _ = write!(sql, " AND at < ${n}");
    }
    if let Some(u) = &filter.user {
        let a = next(FilterValue::Text(u.to_lowercase()));
        let b = next(FilterValue::Text(u.clone()));
        let _ = write!(sql, " AND (lower(user_name) = ${a} OR user_id = ${b})");
    }
    if let Some(a) = &filter.address {
        let n = next(FilterValue::Text(a.clone()));
        let _ = write!(sql, " AND address = ${n}");
    }
    if !filter.events.is_empty() {
        sql.push_str(" AND event IN (");
        for (i, e) in filter.events.iter().enumerate() {
            let n = next(FilterValue::Int(i64::from(*e)));
            let _ = write!(sql, "{}${n}", if i == 0 { "" } else { ", " });
        }
        sql.push(')');
    }
    if let Some(d) = &filter.database {
        let a = next(FilterValue::Text(d.to_lowercase()));
        let b = next(FilterValue::Text(d.clone()));
        let _ = write!(sql, " AND (lower(database_name) = ${a} OR database_id = ${b})");
    }
    if let Some(o) = &filter.object {
        let a = next(FilterValue::Text(like_pattern(Some(o))));
        let b = next(FilterValue::Text(o.clone()));
        let _ = write!(sql, " AND (lower(object_name) LIKE ${a} ESCAPE '\\' OR object_id = ${b})");
    }
    if let Some(q) = &filter.text {
        let n = next(FilterValue::Text(like_pattern(Some(q))));
        let columns = ["description", "user_name", "address", "database_name", "object_name", "new_object", "reason"];
        let any = columns.map(|c| format!("lower(COALESCE({c}, '')) LIKE ${n} ESCAPE '\\'")).join(" OR ");
        let _ = write!(sql, " AND ({any})");
    }
    (sql, values)
}

enum FilterValue {
    Int(i64),
    Text(String),
}

fn bind_all<'q>(mut q: Query<'q, Any, AnyArguments>, values: &'q [FilterValue]) -> Query<'q, Any, AnyArguments> {
    for v in values {
        q = match v {
            FilterValue::Int(i) => q.bind(*i),
            FilterValue::Text(s) => q.bind(s.as_str()),
        };
    }
    q
}

fn ids_text<T: ToString>(ids: &[T]) -> String {
    ids.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn parse_ids<T: FromStr>(raw: &str, column: &str) -> Result<Vec<T>, StoreError> {
    raw.lines().map(|l| T::from_str(l).map_err(|_| corrupt("notifications", column, "?"))).collect()
}

fn notification(row: &AnyRow) -> Result<Notification, StoreError> {
    const T: &str = "notifications";
    let bad = |c: &str| corrupt(T, c, "?");
    let int = |c: &str| row.try_get::<i64, _>(c).map_err(|_| bad(c));
    let text = |c: &str| row.try_get::<String, _>(c).map_err(|_| bad(c));
    let trigger = if int("trigger_all")? == 1 {
        Trigger::Everyone
    } else {
        Trigger::Selected {
            users: parse_ids(&text("trigger_users")?, "trigger_users")?,
            groups: parse_ids(&text("trigger_groups")?, "trigger_groups")?,
        }
    };
    let ids = text("scope_ids")?;
    let scope = match text("scope")?.as_str() {
        "all" => Scope::AllDatabases,
        "databases" => Scope::Databases(parse_ids(&ids, "scope_ids")?),
        "entries" => Scope::Entries(parse_ids(&ids, "scope_ids")?),
        _ => return Err(bad("scope")),
    };
    Ok(Notification {
        id: u64::try_from(int("id")?).map_err(|_| bad("id"))?,
        draft: NotificationDraft {
            event: u16::try_from(int("event")?).map_err(|_| bad("event"))?,
            notes: text("notes")?,
            recipients: text("recipients")?.lines().map(str::to_owned).collect(),
            send_email: int("send_email")? == 1,
            trigger,
            scope,
        },
    })
}

/// Binds a notification's id and settings as `$1` … `$10`, in the column order of the INSERT and UPDATE below.
fn bind_notification<'q>(
    query: Query<'q, Any, AnyArguments>,
    id: i64,
    d: &'q NotificationDraft,
) -> Query<'q, Any, AnyArguments> {
    let (all, users, groups) = match &d.trigger {
        Trigger::Everyone => (1, String::new(), String::new()),
        Trigger::Selected { users, groups } => (0, ids_text(users), ids_text(groups)),
    };
    let (scope, ids) = match &d.scope {
        Scope::AllDatabases => ("all", String::new()),
        Scope::Databases(ids) => ("databases", ids_text(ids)),
        Scope::Entries(ids) => ("entries", ids_text(ids)),
    };
    query
        .bind(id)
        .bind(i64::from(d.event))
        .bind(d.notes.as_str())
        .bind(d.recipients.join("\n"))
        .bind(i64::from(d.send_email))
        .bind(all)
        .bind(users)
        .bind(groups)
        .bind(scope)
        .bind(ids)
}

const NEXT_NOTIFICATION: &str = "notifications.next_id";

/// An engine's own way of appending to the log, used by [`SqlStore`] in place of the shared statements when the
/// engine crate sets one ([`SqlStore::with_log_appender`]): SQLite's appends run on a connection and a thread of
/// their own. It must keep the port's contract: one transaction per call, chained on from the stored head.
#[async_trait]
pub trait LogAppender: Send + Sync + std::fmt::Debug {
    async fn append(&self, events: Vec<(Timestamp, AuditEvent)>) -> Result<Vec<AuditRecord>, StoreError>;
    /// Finishes the appends handed over and closes; later appends fail with [`StoreError::Unavailable`].
    async fn close(&self);
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, batch: Vec<(Timestamp, AuditEvent)>) -> Result<Vec<AuditRecord>, StoreError> {
        if let Some(appender) = self.log_appender() {
            return appender.append(batch).await;
        }
        let mut tx = self.begin_write().await?;
        // SQLite's BEGIN IMMEDIATE already makes appends take turns; PostgreSQL locks the head row, so that nodes
        // sharing the database extend one chain.
        let head_query = match self.engine_kind() {
            Engine::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
            Engine::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let head = sqlx::query(head_query).fetch_one(&mut *tx).await.map_err(self.fail(GENERIC))?;
        let seq = u64::try_from(head.try_get::<i64, _>("seq").map_err(|_| corrupt("audit_head", "seq", "1"))?)
            .map_err(|_| corrupt("audit_head", "seq", "1"))?;
        let prev = hash_column(&head, "hash").map_err(|_| corrupt("audit_head", "hash", "1"))?;
        let written = AuditRecord::chain_on((seq, prev), batch);
        // Many rows per statement: the cost of a statement (a round trip to the engine) is paid once per chunk.
        for chunk in written.chunks(ROWS_PER_INSERT) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(audit_log_insert(chunk.len())));
            for r in chunk {
                let e = &r.event;
                q = q
                    .bind(i64::try_from(r.seq).map_err(|_| StoreError::Other("the log is full".into()))?)
                    .bind(r.at.as_millis())
                    .bind(i64::from(e.event))
                    .bind(i64::from(r.severity.code()))
                    .bind(r.description.as_str())
                    .bind(e.user.as_ref().map(|u| u.id.as_str()))
                    .bind(e.user.as_ref().map(|u| u.name.as_str()))
                    .bind(e.address.map(|a| a.to_string()))
                    .bind(e.database.as_ref().map(|d| d.id.as_str()))
                    .bind(e.database.as_ref().map(|d| d.name.as_str()))
                    .bind(e.object.as_ref().map(|o| o.id.as_str()))
                    .bind(e.object.as_ref().map(|o| o.name.as_str()))
                    .bind(e.new_object.as_deref())
                    .bind(e.reason.as_deref())
                    .bind(hex::encode(r.prev_hash))
                    .bind(hex::encode(r.hash));
            }
            q.execute(&mut *tx).await.map_err(self.fail(GENERIC))?;
        }
        if let Some(last) = written.last() {
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(i64::try_from(last.seq).unwrap_or(i64::MAX))
                .bind(hex::encode(last.hash))
                .execute(&mut *tx)
                .await
                .map_err(self.fail(GENERIC))?;
        }
        tx.commit().await.map_err(self.fail(GENERIC))?;
        Ok(written)
    }

    async fn audit_page(
        &self,
        filter: &LogFilter,
        cursor: LogCursor,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (mut sql, mut values) = filter_clause(filter);
        let order = match cursor {
            LogCursor::Newest { before } => {
                if let Some(b) = before {
                    values.push(FilterValue::Int(i64::try_from(b).unwrap_or(i64::MAX)));
                    let _ = write!(sql, " AND seq < ${}", values.len());
                }
                "DESC"
            }
            LogCursor::After { after } => {
                values.push(FilterValue::Int(i64::try_from(after).unwrap_or(i64::MAX)));
                let _ = write!(sql, " AND seq > ${}", values.len());
                "ASC"
            }
        };
        values.push(FilterValue::Int(i64::from(limit)));
        let statement = format!("SELECT {COLUMNS} FROM audit_log{sql} ORDER BY seq {order} LIMIT ${}", values.len());
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(statement)), &values)
            .fetch_all(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        rows.iter().map(record).collect()
    }

    async fn audit_head(&self) -> Result<Option<ChainHead>, StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        let seq: i64 = row.try_get("seq").map_err(|_| corrupt("audit_head", "seq", "1"))?;
        if seq == 0 {
            return Ok(None);
        }
        let seq = u64::try_from(seq).map_err(|_| corrupt("audit_head", "seq", "1"))?;
        Ok(Some((seq, hash_column(&row, "hash").map_err(|_| corrupt("audit_head", "hash", "1"))?)))
    }

    async fn audit_cursor(&self, name: &str) -> Result<u64, StoreError> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM audit_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        u64::try_from(seq.unwrap_or(0)).map_err(|_| corrupt("audit_cursors", "seq", name))
    }

    async fn set_audit_cursor(&self, name: &str, seq: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_cursors (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
        )
        .bind(name)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .execute(self.pool())
        .await
        .map_err(self.fail(GENERIC))?;
        Ok(())
    }

    async fn notifications(&self) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query("SELECT * FROM notifications ORDER BY id")
            .fetch_all(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        rows.iter().map(notification).collect()
    }

    async fn insert_notification(&self, draft: &NotificationDraft) -> Result<Notification, StoreError> {
        let mut tx = self.begin_write().await?;
        // Numbers follow the order of adding and are never given twice, even after a delete.
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO settings (key, value) VALUES ($1, '2') ON CONFLICT (key) DO UPDATE \
             SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT) RETURNING CAST(value AS BIGINT) - 1",
        )
        .bind(NEXT_NOTIFICATION)
        .fetch_one(&mut *tx)
        .await
        .map_err(self.fail(GENERIC))?;
        let insert = sqlx::query(
            "INSERT INTO notifications (id, event, notes, recipients, send_email, trigger_all, trigger_users, \
             trigger_groups, scope, scope_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        );
        bind_notification(insert, next, draft).execute(&mut *tx).await.map_err(self.fail(NOTIFICATION))?;
        tx.commit().await.map_err(self.fail(GENERIC))?;
        let id = u64::try_from(next).map_err(|_| corrupt("settings", "value", NEXT_NOTIFICATION))?;
        Ok(Notification { id, draft: draft.clone() })
    }

    async fn update_notification(&self, id: u64, draft: &NotificationDraft) -> Result<Notification, StoreError> {
        let update = sqlx::query(
            "UPDATE notifications SET event = $2, notes = $3, recipients = $4, send_email = $5, trigger_all = $6, \
             trigger_users = $7, trigger_groups = $8, scope = $9, scope_ids = $10 WHERE id = $1",
        );
        let done = bind_notification(update, i64::try_from(id).unwrap_or(i64::MAX), draft)
            .execute(self.pool())
            .await
            .map_err(self.fail(NOTIFICATION))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("notification {id}")));
        }
        Ok(Notification { id, draft: draft.clone() })
    }

    async fn delete_notification(&self, id: u64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM notifications WHERE id = $1")
            .bind(i64::try_from(id).unwrap_or(i64::MAX))
            .execute(self.pool())
            .await
            .map_err(self.fail(GENERIC))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("notification {id}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_severity_reads_back() {
        for s in [Severity::Error, Severity::Warning, Severity::Notice, Severity::Informational] {
            assert_eq!(severity_of(i64::from(s.code())), Some(s));
        }
        assert_eq!(severity_of(7), None);
        assert!(tresor_core::events::EVENTS.iter().all(|e| severity_of(i64::from(e.severity.code())).is_some()));
    }
}
