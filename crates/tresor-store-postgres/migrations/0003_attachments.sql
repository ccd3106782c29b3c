-- Attachments in sealed chunks, and when each database was last opened (PostgreSQL).
-- Append-only: never edit a migration that has shipped; add the next version instead, in both engines.
-- Same representation as 0002 (TEXT ids, BIGINT milliseconds); names and contents are BYTEA ciphertext.
-- An attachment references its entry through (database_id, entry_id), so it can never point into another
-- database; it goes with its entry, and so with a folder deleted recursively or with its database.

CREATE TABLE attachments (
    id          TEXT PRIMARY KEY NOT NULL,
    database_id TEXT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
    entry_id    TEXT NOT NULL,
    sealed_name BYTEA NOT NULL,
    size        BIGINT NOT NULL CHECK (size >= 0),
    chunks      BIGINT NOT NULL CHECK (chunks >= 0),
    -- Kept as an id without a foreign key, as entry_versions.author_id: the file outlives its uploader.
    author_id   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    FOREIGN KEY (database_id, entry_id) REFERENCES entries (database_id, id) ON DELETE CASCADE
);
-- An entry's attachments, oldest first (listing, cascade from entries).
CREATE INDEX attachments_by_entry ON attachments (database_id, entry_id, created_at);

-- Chunk idx of an attachment's contents, numbered from 0; each is sealed on its own, so a download streams.
CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    idx           BIGINT NOT NULL CHECK (idx >= 0),
    ciphertext    BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, idx)
);

-- The administrators' listing shows the last access (seed manual, Databases); NULL until someone opens it.
ALTER TABLE databases ADD COLUMN last_accessed_at BIGINT NULL;
