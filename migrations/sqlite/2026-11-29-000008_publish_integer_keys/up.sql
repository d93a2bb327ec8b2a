-- Issue 8, step 2: publish states and the publish log are keyed by the integer keys of their
-- environment and item, `(environment_key, item_key, locale)`, instead of two UUID texts: their
-- primary key and indexes hold small integers. The API still answers item ids: reads join
-- `items` by key. The tables are rebuilt with their data, and every index is recreated on the
-- integer columns.

CREATE TABLE publish_events_new (
    id INTEGER PRIMARY KEY,
    environment_key BIGINT NOT NULL,
    item_key BIGINT NOT NULL,
    locale TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    cause TEXT NOT NULL,
    deployment_id TEXT,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
INSERT INTO publish_events_new (id, environment_key, item_key, locale, from_version, to_version, cause,
    deployment_id, actor, at)
SELECT e.id, en.key, i.key, e.locale, e.from_version, e.to_version, e.cause, e.deployment_id, e.actor, e.at
FROM publish_events e JOIN environments en ON en.id = e.environment_id JOIN items i ON i.id = e.item_id
ORDER BY e.id;
DROP TABLE publish_events;
ALTER TABLE publish_events_new RENAME TO publish_events;
-- the state of a key at any event id: the last event of the key at or below it
CREATE INDEX publish_events_key ON publish_events (environment_key, item_key, locale, id);
-- the environment's publish log, newest first
CREATE INDEX publish_events_recent ON publish_events (environment_key, id);
-- the last event at or before a time, ties (one deployment's events share a time) by id
CREATE INDEX publish_events_at_id ON publish_events (environment_key, at, id);

-- Without a rowid: every write is an upsert by the primary key, which is then the table itself.
CREATE TABLE publish_states_new (
    environment_key BIGINT NOT NULL REFERENCES environments(key),
    item_key BIGINT NOT NULL,
    locale TEXT NOT NULL,
    version INTEGER,
    last_event_id BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (environment_key, item_key, locale)
) WITHOUT ROWID;
INSERT INTO publish_states_new (environment_key, item_key, locale, version, last_event_id, updated_at)
SELECT en.key, i.key, s.locale, s.version, s.last_event_id, s.updated_at
FROM publish_states s JOIN environments en ON en.id = s.environment_id JOIN items i ON i.id = s.item_id;
DROP TABLE publish_states;
ALTER TABLE publish_states_new RENAME TO publish_states;
-- an environment's publish state, most recently changed first
CREATE INDEX publish_states_recent ON publish_states (environment_key, last_event_id);
