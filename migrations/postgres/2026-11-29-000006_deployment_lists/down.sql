ALTER TABLE deployment_items ADD CONSTRAINT deployment_items_deployment_id_fkey
    FOREIGN KEY (deployment_id) REFERENCES deployments(id);
DROP INDEX deployments_succeeded;
CREATE INDEX deployments_environment ON deployments (environment_id, status, finished_at);
DROP INDEX publish_events_at_id;
CREATE INDEX publish_events_at ON publish_events (environment_id, at);
DROP INDEX deployment_items_outcome;
