-- The server log without its index by user: a filter by user matches the user's name (case-insensitively) or id,
-- which neither engine can answer from an index on the id alone, so the index was never read, while every append
-- wrote to it, at a page of its own for each user (SQLite and PostgreSQL alike).
-- Append-only: never edit a migration that has shipped; add the next version instead.
DROP INDEX audit_log_by_user;
