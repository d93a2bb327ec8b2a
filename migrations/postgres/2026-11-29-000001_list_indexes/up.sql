-- Pages of an environment's publish state and publish log, newest first, read through an index
-- in their own order: a page costs O(limit) however many keys and events the environment has.
CREATE INDEX publish_states_recent ON publish_states (environment_id, last_event_id);
CREATE INDEX publish_events_recent ON publish_events (environment_id, id);
