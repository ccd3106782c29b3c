-- Second passwords of entries (seed manual: Permissions → Entries and folders, "Set second password"): an entry
-- that carries one releases its secrets only to a request that gives it. The store keeps an Argon2id verifier (PHC
-- string), never the password; the row goes with its entry.
CREATE TABLE entry_second_passwords (
    entry_id    TEXT PRIMARY KEY NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    database_id TEXT NOT NULL,
    verifier    TEXT NOT NULL,
    set_by      TEXT NOT NULL,
    set_at      BIGINT NOT NULL
);
