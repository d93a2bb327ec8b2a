DROP INDEX deployments_release_recent;
DROP INDEX deployments_environment_recent;
DROP INDEX publish_events_recent;
DROP INDEX publish_states_recent;
