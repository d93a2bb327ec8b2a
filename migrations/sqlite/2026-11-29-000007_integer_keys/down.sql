-- The tables as they were, keyed by their text id; see up.sql for the deferred foreign keys.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE items_new AS SELECT id, kind, content_type, created_at FROM items ORDER BY key;
DROP TABLE items;
CREATE TABLE items (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('entry', 'asset')),
    content_type TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO items (id, kind, content_type, created_at) SELECT id, kind, content_type, created_at FROM items_new;
DROP TABLE items_new;

CREATE TEMP TABLE environments_new AS
SELECT id, name, last_event_id, created_at FROM environments ORDER BY key;
DROP TABLE environments;
CREATE TABLE environments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- the highest publish event id of this environment; every write to its publish state
    -- updates this row first, so the row lock serializes them
    last_event_id BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO environments (id, name, last_event_id, created_at)
SELECT id, name, last_event_id, created_at FROM environments_new;
DROP TABLE environments_new;
