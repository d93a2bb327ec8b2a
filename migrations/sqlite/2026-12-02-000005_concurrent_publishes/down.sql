ALTER TABLE environments ADD COLUMN last_event_id BIGINT NOT NULL DEFAULT 0;
UPDATE environments SET last_event_id =
    (SELECT COALESCE(max(id), 0) FROM publish_events WHERE publish_events.environment_key = environments.key);
