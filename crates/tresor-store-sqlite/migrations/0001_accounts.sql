-- Accounts, groups, memberships, sessions and server settings (SQLite).
-- Append-only: never edit a migration that has shipped; add the next version instead, in both engines.
-- Representation shared by both engines: ids are hyphenated uuid TEXT, times are BIGINT unix
-- milliseconds, flags are BIGINT 0/1. `*_key` and `search_text` are written by the store (lowercased in Rust) so
-- that uniqueness, ordering and search behave the same on both engines.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id                      TEXT PRIMARY KEY NOT NULL,
    account                 TEXT NOT NULL,
    account_key             TEXT NOT NULL UNIQUE,
    kind                    TEXT NOT NULL,
    full_name               TEXT NOT NULL DEFAULT '',
    email                   TEXT NOT NULL DEFAULT '',
    phone                   TEXT NOT NULL DEFAULT '',
    department              TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL DEFAULT '',
    search_text             TEXT NOT NULL DEFAULT '',
    deactivated             BIGINT NOT NULL DEFAULT 0,
    may_not_change_password BIGINT NOT NULL DEFAULT 0,
    must_change_password    BIGINT NOT NULL DEFAULT 0,
    two_factor_disabled     BIGINT NOT NULL DEFAULT 0,
    roles                   TEXT NOT NULL DEFAULT '',
    allowed_addresses       TEXT NOT NULL DEFAULT '',
    password_hash           TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
-- The seat count.
CREATE INDEX users_by_kind ON users (kind);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT 'standard',
    disabled    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE group_users (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
-- A user's groups (the primary key serves a group's users).
CREATE INDEX group_users_by_user ON group_users (user_id);

CREATE TABLE group_groups (
    parent_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    child_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, child_id),
    CHECK (parent_id <> child_id)
);
-- A group's parents (the primary key serves a group's member groups).
CREATE INDEX group_groups_by_child ON group_groups (child_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client       TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ended_at     BIGINT NULL,
    end_reason   TEXT NULL
);
-- Ending a user's sessions, and the cascade when a user is deleted.
CREATE INDEX sessions_by_user ON sessions (user_id);
-- The live-session listing, oldest first.
CREATE INDEX sessions_live ON sessions (created_at) WHERE ended_at IS NULL;
