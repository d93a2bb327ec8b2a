DROP INDEX publish_events_recent;
DROP INDEX publish_states_recent;
