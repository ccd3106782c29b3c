-- Sign-in security: failed-login counters, password history, authenticator enrolments with recovery codes,
-- second-factor challenges and trusted devices (PostgreSQL).
-- Append-only: never edit a migration that has shipped; add the next version instead, in both engines.
-- Same representation as 0001 (TEXT ids, BIGINT milliseconds); hashes are hex TEXT, secrets BYTEA ciphertext.

-- Failed logins per account name (lowercased), known or not, so that a wrong password costs the same for both.
-- Rows of names that are not accounts are purged with the other expired sign-in state.
CREATE TABLE login_failures (
    account_key    TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    failures       BIGINT NOT NULL CHECK (failures >= 0),
    last_failed_at BIGINT NOT NULL
);

-- Verifiers of passwords a user had before, and when each was replaced.
CREATE TABLE password_history (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    replaced_at   BIGINT NOT NULL
);
CREATE INDEX password_history_by_user ON password_history (user_id, replaced_at);

CREATE TABLE totp_enrolments (
    user_id       TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret BYTEA NOT NULL,
    last_step     BIGINT NOT NULL,
    enrolled_at   BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE login_challenges (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    code_hash     TEXT NULL,
    sealed_secret BYTEA NULL,
    client        TEXT NOT NULL,
    address       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX login_challenges_by_user ON login_challenges (user_id);
CREATE INDEX login_challenges_by_expiry ON login_challenges (expires_at);

CREATE TABLE trusted_devices (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX trusted_devices_by_user ON trusted_devices (user_id);
CREATE INDEX trusted_devices_by_expiry ON trusted_devices (expires_at);
