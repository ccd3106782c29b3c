-- The server log: chained records, the chain's head, the positions of the workers that follow the log, and the
-- notifications (SQLite and PostgreSQL alike: this migration uses only what both engines read the same way).
-- Append-only: never edit a migration that has shipped; add the next version instead.

-- One row per record, numbered 1, 2, 3 … without gaps. Hashes are hex TEXT; `prev_hash` is the hash of the record
-- before (zeros for the first), `hash` covers it and every column (tresor_core::audit::chain_hash).
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY NOT NULL,
    at            BIGINT NOT NULL,
    event         BIGINT NOT NULL,
    severity      BIGINT NOT NULL,
    description   TEXT NOT NULL,
    user_id       TEXT NULL,
    user_name     TEXT NULL,
    address       TEXT NULL,
    database_id   TEXT NULL,
    database_name TEXT NULL,
    object_id     TEXT NULL,
    object_name   TEXT NULL,
    new_object    TEXT NULL,
    reason        TEXT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_event ON audit_log (event, seq);
CREATE INDEX audit_log_by_user ON audit_log (user_id, seq);

-- The last record's number and hash, moved by every append in the same transaction: a log cut off at the end no
-- longer reaches it. Seq 0 with the zero hash is the empty log.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- How far each worker that follows the log (remote syslog, notifications) has read.
CREATE TABLE audit_cursors (
    name TEXT PRIMARY KEY NOT NULL,
    seq  BIGINT NOT NULL CHECK (seq >= 0)
);

-- Notifications (seed manual, Notifications). Lists are newline-separated; `scope` is all, databases or entries.
CREATE TABLE notifications (
    id             BIGINT PRIMARY KEY NOT NULL,
    event          BIGINT NOT NULL,
    notes          TEXT NOT NULL,
    recipients     TEXT NOT NULL,
    send_email     BIGINT NOT NULL CHECK (send_email IN (0, 1)),
    trigger_all    BIGINT NOT NULL CHECK (trigger_all IN (0, 1)),
    trigger_users  TEXT NOT NULL,
    trigger_groups TEXT NOT NULL,
    scope          TEXT NOT NULL CHECK (scope IN ('all', 'databases', 'entries')),
    scope_ids      TEXT NOT NULL
);
