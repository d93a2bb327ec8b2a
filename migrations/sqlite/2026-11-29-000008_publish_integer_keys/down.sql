-- The tables as they were, keyed by the text ids, with the indexes of migrations 000001 and 000006.

CREATE TABLE publish_events_old (
    id INTEGER PRIMARY KEY,
    environment_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    cause TEXT NOT NULL,
    deployment_id TEXT,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
INSERT INTO publish_events_old (id, environment_id, item_id, locale, from_version, to_version, cause,
    deployment_id, actor, at)
SELECT e.id, en.id, i.id, e.locale, e.from_version, e.to_version, e.cause, e.deployment_id, e.actor, e.at
FROM publish_events e JOIN environments en ON en.key = e.environment_key JOIN items i ON i.key = e.item_key
ORDER BY e.id;
DROP TABLE publish_events;
ALTER TABLE publish_events_old RENAME TO publish_events;
CREATE INDEX publish_events_key ON publish_events (environment_id, item_id, locale, id);
CREATE INDEX publish_events_recent ON publish_events (environment_id, id);
CREATE INDEX publish_events_at_id ON publish_events (environment_id, at, id);

CREATE TABLE publish_states_old (
    environment_id TEXT NOT NULL REFERENCES environments(id),
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    version INTEGER,
    last_event_id BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (environment_id, item_id, locale)
);
INSERT INTO publish_states_old (environment_id, item_id, locale, version, last_event_id, updated_at)
SELECT en.id, i.id, s.locale, s.version, s.last_event_id, s.updated_at
FROM publish_states s JOIN environments en ON en.key = s.environment_key JOIN items i ON i.key = s.item_key;
DROP TABLE publish_states;
ALTER TABLE publish_states_old RENAME TO publish_states;
CREATE INDEX publish_states_recent ON publish_states (environment_id, last_event_id);
