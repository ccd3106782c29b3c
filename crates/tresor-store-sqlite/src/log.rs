//! The server log's appends on SQLite, on a connection and a thread of their own.
//!
//! A read of an entry in a database that monitors accesses waits until its record is durably written, so an
//! append's cost is paid by the reads. Through the pool, each statement of an append is a round trip between the
//! log's writer task and sqlx's worker thread for that connection, and each value is looked up by name as it is
//! bound. Here the whole transaction (take the write lock, read the head, insert the records with one prepared
//! statement, move the head, commit) runs in one call on one thread: one hand-over per batch, however many
//! records it holds. The pool's connections still read the log; SQLite's write lock (`BEGIN IMMEDIATE`, with the
//! pool's busy timeout) makes this connection and the pool's writers take turns.

use std::path::Path;
use std::sync::{Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

use async_trait::async_trait;
use rusqlite::{Connection, TransactionBehavior, params};
use tokio::sync::oneshot;
use tresor_core::audit::{AuditEvent, AuditRecord, hex_of};
use tresor_core::{StoreError, Timestamp};
use tresor_store_sql::{LogAppender, audit_log_insert};

use crate::PRAGMAS;

type Events = Vec<(Timestamp, AuditEvent)>;

/// SQLite's busy handler for the log's connection: `attempt` counts the tries so far.
fn retry_soon(attempt: i32) -> bool {
    std::thread::sleep(std::time::Duration::from_micros(100));
    attempt < 50_000
}
type Answer = Result<Vec<AuditRecord>, StoreError>;

struct Job {
    events: Events,
    done: oneshot::Sender<Answer>,
}

/// The appending thread's handle. Dropping the last one (or [`LogAppender::close`]) ends the thread once it has
/// answered what was handed over.
#[derive(Debug)]
pub(crate) struct Appender {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Appender {
    /// Opens the migrated database at `path` with the pool's settings and starts the thread.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(failed)?;
        for pragma in PRAGMAS {
            // `journal_mode` answers with a row; the others with none.
            conn.query_row(pragma, [], |_| Ok(())).or_else(ignore_no_rows).map_err(failed)?;
        }
        // When the pool's writer holds the write lock (a commit takes about a millisecond), try again every 100 µs
        // rather than in SQLite's default steps of 1, 2, 5 … 100 ms; give up after 5 s like the pool.
        conn.busy_handler(Some(retry_soon)).map_err(failed)?;
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tresor-log-append".into())
            .spawn(move || run(conn, &queue))
            .map_err(|e| StoreError::Unavailable(format!("the log's thread could not start: {e}")))?;
        Ok(Self { jobs: Mutex::new(Some(jobs)), thread: Mutex::new(Some(thread)) })
    }
}

#[async_trait]
impl LogAppender for Appender {
    async fn append(&self, events: Events) -> Answer {
        let (done, answer) = oneshot::channel();
        let sent = match &*self.jobs.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(jobs) => jobs.send(Job { events, done }).is_ok(),
            None => false,
        };
        if !sent {
            return Err(closed());
        }
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    async fn close(&self) {
        drop(self.jobs.lock().unwrap_or_else(PoisonError::into_inner).take());
        let thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(thread) = thread {
            // The thread answers what is queued, then closes its connection.
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn run(mut conn: Connection, queue: &mpsc::Receiver<Job>) {
    // The pool's statement for one record (`$1` … `$16`, bound here by position).
    let insert = audit_log_insert(1);
    while let Ok(job) = queue.recv() {
        let _ = job.done.send(append(&mut conn, &insert, job.events));
    }
}

/// One transaction: the head, the records chained on from it, the new head.
fn append(conn: &mut Connection, insert: &str, events: Events) -> Answer {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
    let (seq, hash): (i64, String) = tx
        .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")
        .and_then(|mut head| head.query_row([], |row| Ok((row.get(0)?, row.get(1)?))))
        .map_err(failed)?;
    let bad_head = || StoreError::Corrupt("audit_head of row 1 is not valid".into());
    let seq = u64::try_from(seq).map_err(|_| bad_head())?;
    let mut prev = [0u8; 32];
    hex::decode_to_slice(&hash, &mut prev).map_err(|_| bad_head())?;
    let records = AuditRecord::chain_on((seq, prev), events);
    {
        let mut insert = tx.prepare_cached(insert).map_err(failed)?;
        let (mut prev_hex, mut hash_hex) = ([0u8; 64], [0u8; 64]);
        for r in &records {
            let e = &r.event;
            insert
                .execute(params![
                    number(r.seq)?,
                    r.at.as_millis(),
                    e.event,
                    r.severity.code(),
                    r.description,
                    e.user.as_ref().map(|u| &u.id),
                    e.user.as_ref().map(|u| &u.name),
                    e.address.map(|a| a.to_string()),
                    e.database.as_ref().map(|d| &d.id),
                    e.database.as_ref().map(|d| &d.name),
                    e.object.as_ref().map(|o| &o.id),
                    e.object.as_ref().map(|o| &o.name),
                    e.new_object,
                    e.reason,
                    hex_of(&r.prev_hash, &mut prev_hex),
                    hex_of(&r.hash, &mut hash_hex),
                ])
                .map_err(failed)?;
        }
    }
    if let Some(last) = records.last() {
        let (seq, mut hex) = (number(last.seq)?, [0u8; 64]);
        tx.prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")
            .and_then(|mut head| head.execute(params![seq, hex_of(&last.hash, &mut hex)]))
            .map_err(failed)?;
    }
    tx.commit().map_err(failed)?;
    Ok(records)
}

fn number(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Other("the log is full".into()))
}

fn ignore_no_rows(e: rusqlite::Error) -> rusqlite::Result<()> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(()),
        other => Err(other),
    }
}

/// SQLite's message names the failure (locked, full, I/O), never a bound value.
fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("the server log could not be appended: {e}"))
}

fn closed() -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}
