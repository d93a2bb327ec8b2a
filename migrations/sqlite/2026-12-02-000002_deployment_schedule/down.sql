DROP INDEX deployments_finished;
DROP INDEX deployments_trigger_recent;
DROP INDEX deployments_environment_status_recent;
DROP INDEX deployments_status_recent;
DROP INDEX deployments_environment_soonest;
DROP INDEX deployments_soonest;
CREATE INDEX deployments_due ON deployments (status, scheduled_at);
