-- Every list is read through an index in its own order, so a page costs O(limit) however large
-- the table: an environment's publish state (most recently changed first) and publish log, and
-- the deployments of an environment and of a release (newest first).
CREATE INDEX publish_states_recent ON publish_states (environment_id, last_event_id);
CREATE INDEX publish_events_recent ON publish_events (environment_id, id);
CREATE INDEX deployments_environment_recent ON deployments (environment_id, id);
CREATE INDEX deployments_release_recent ON deployments (release_id, id);
