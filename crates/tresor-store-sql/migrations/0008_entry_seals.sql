-- Sealed entries (seed manual: Permissions → Sealed access). One seal per (entry, recipient): the recipient sees
-- the entry but not its secrets until an authorised person approves. The state is one of the manual's five; an
-- approval may run until `approved_until` (exclusive), after which the seal reads as sealed again (decided when
-- it is read). `revision` counts changes, so that two changes based on the same reading never both apply.
-- `sealed_by` and `changed_by` have no foreign key: a seal outlives the account that set it.
CREATE TABLE entry_seals (
    entry_id       TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    recipient_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    database_id    TEXT NOT NULL,
    state          TEXT NOT NULL
        CHECK (state IN ('sealed', 'unsealed', 'waiting_for_approval', 'approved', 'broken')),
    reason         TEXT,
    approved_until BIGINT,
    sealed_by      TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    changed_by     TEXT NOT NULL,
    changed_at     BIGINT NOT NULL,
    revision       BIGINT NOT NULL,
    PRIMARY KEY (entry_id, recipient_id)
);
-- The authorised persons of a seal, in the order they were named (`position`).
CREATE TABLE entry_seal_authorized (
    entry_id     TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    PRIMARY KEY (entry_id, recipient_id, user_id),
    FOREIGN KEY (entry_id, recipient_id) REFERENCES entry_seals (entry_id, recipient_id) ON DELETE CASCADE
);
-- Users being deleted cascade here.
CREATE INDEX entry_seal_authorized_by_user ON entry_seal_authorized (user_id);
