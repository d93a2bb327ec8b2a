-- Issue 8: integer keys inside, UUIDs outside. Environments and items get a surrogate integer
-- key, so that the hot tables can hold small integers in their indexes instead of 36-character
-- UUID text; the API keeps answering the UUID `id`.
-- On SQLite the key is the table's INTEGER PRIMARY KEY, the rowid itself: existing rows keep
-- their rowid as key, and a new row that leaves it out takes max(key) + 1 under the database's
-- write lock, so inserts need no per-backend code. The UUID `id` keeps a unique index (it had
-- one already: a TEXT primary key of a rowid table is a unique index).
-- Adding an INTEGER PRIMARY KEY rebuilds the tables. Other tables reference them by `id`, so
-- the foreign keys are deferred to the commit: dropping the old table counts its children as
-- violations, and inserting the same ids into the new table counts them back.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE environments_old AS
SELECT rowid AS key, id, name, last_event_id, created_at FROM environments;
DROP TABLE environments;
CREATE TABLE environments (
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    -- the highest publish event id of this environment; every write to its publish state
    -- updates this row first, so the row lock serializes them
    last_event_id BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    key INTEGER PRIMARY KEY NOT NULL
);
INSERT INTO environments (id, name, last_event_id, created_at, key)
SELECT id, name, last_event_id, created_at, key FROM environments_old ORDER BY key;
DROP TABLE environments_old;

CREATE TEMP TABLE items_old AS
SELECT rowid AS key, id, kind, content_type, created_at FROM items;
DROP TABLE items;
CREATE TABLE items (
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('entry', 'asset')),
    content_type TEXT,
    created_at TIMESTAMP NOT NULL,
    key INTEGER PRIMARY KEY NOT NULL
);
INSERT INTO items (id, kind, content_type, created_at, key)
SELECT id, kind, content_type, created_at, key FROM items_old ORDER BY key;
DROP TABLE items_old;
