-- Entry locks (seed manual 001: the entry being edited is locked; Server Settings → Additional → Edit entries).
-- A row binds only while it has not expired and its session is live (not ended, not expired): logging out, a
-- disconnection and the time limit release a lock on every node without touching this table. Dead rows are
-- removed by a sweep that records their release.
CREATE TABLE entry_locks (
    entry_id    TEXT PRIMARY KEY NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    database_id TEXT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    taken_at    BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
-- A database's locks, for its administrators.
CREATE INDEX entry_locks_by_database ON entry_locks (database_id);
-- Sessions ending cascade here.
CREATE INDEX entry_locks_by_session ON entry_locks (session_id);
