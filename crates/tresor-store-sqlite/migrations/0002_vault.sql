-- The vault: databases, folders, entries with their versions, grants and the server policy (SQLite).
-- Append-only: never edit a migration that has shipped; add the next version instead, in both engines.
-- Same representation as 0001 (TEXT ids, BIGINT milliseconds, BIGINT 0/1 flags); ciphertexts are BLOBs.
-- Folders, entries and grants carry their database's id and reference their parent through
-- (database_id, id), so a folder, entry or grant can never point into another database.

CREATE TABLE databases (
    id                        TEXT PRIMARY KEY NOT NULL,
    name                      TEXT NOT NULL,
    name_key                  TEXT NOT NULL UNIQUE,
    comments                  TEXT NOT NULL DEFAULT '',
    wrapped_key               BLOB NOT NULL,
    monitor_accesses          BIGINT NOT NULL DEFAULT 0,
    reason_required_on_delete BIGINT NOT NULL DEFAULT 0,
    custom_password_hash      TEXT NULL,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL
);

CREATE TABLE folders (
    id          TEXT PRIMARY KEY NOT NULL,
    database_id TEXT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
    parent_id   TEXT NULL,
    sealed_name BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (database_id, id),
    FOREIGN KEY (database_id, parent_id) REFERENCES folders (database_id, id) ON DELETE CASCADE,
    CHECK (parent_id <> id)
);
-- A folder's children (emptiness check, cascade).
CREATE INDEX folders_by_parent ON folders (database_id, parent_id);

CREATE TABLE entries (
    id          TEXT PRIMARY KEY NOT NULL,
    database_id TEXT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
    folder_id   TEXT NULL,
    kind        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (database_id, id),
    FOREIGN KEY (database_id, folder_id) REFERENCES folders (database_id, id) ON DELETE CASCADE
);
-- A folder's entries (emptiness check, cascade).
CREATE INDEX entries_by_folder ON entries (database_id, folder_id);

-- Every version of every entry; entries.version names the current one. The author is kept as an id without a
-- foreign key: history outlives the account that wrote it.
CREATE TABLE entry_versions (
    entry_id   TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    ciphertext BLOB NOT NULL,
    author_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (entry_id, version)
);

-- One row per (object, subject, permission) set to Allow or Deny; Undefined is the absence of a row.
-- object_key is 'database', 'folder:<id>' or 'entry:<id>'; subject_key is 'user:<id>' or 'group:<id>'.
CREATE TABLE grants (
    database_id TEXT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
    object_key  TEXT NOT NULL,
    folder_id   TEXT NULL,
    entry_id    TEXT NULL,
    subject_key TEXT NOT NULL,
    user_id     TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id    TEXT NULL REFERENCES groups (id) ON DELETE CASCADE,
    permission  TEXT NOT NULL,
    setting     TEXT NOT NULL,
    valid_from  BIGINT NULL,
    valid_to    BIGINT NULL,
    PRIMARY KEY (database_id, object_key, subject_key, permission),
    FOREIGN KEY (database_id, folder_id) REFERENCES folders (database_id, id) ON DELETE CASCADE,
    FOREIGN KEY (database_id, entry_id) REFERENCES entries (database_id, id) ON DELETE CASCADE,
    CHECK (folder_id IS NULL OR entry_id IS NULL),
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    CHECK (setting IN ('allow', 'deny'))
);
-- Cascades from folders, entries, users and groups, and "which databases may this user open".
CREATE INDEX grants_by_folder ON grants (folder_id);
CREATE INDEX grants_by_entry ON grants (entry_id);
CREATE INDEX grants_by_user ON grants (user_id);
CREATE INDEX grants_by_group ON grants (group_id);

-- The server policy (seed 003: Default Database Permissions): one row per permission it sets.
CREATE TABLE server_policy (
    permission TEXT PRIMARY KEY NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('undefined', 'enabled', 'disabled'))
);
