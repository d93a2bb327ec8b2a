-- The table as it was: with the foreign key to `deployments`, and no outcome index.
CREATE TABLE deployment_items_old (
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER,
    prior_version INTEGER,
    outcome TEXT NOT NULL,
    skip_reason TEXT,
    event_id BIGINT,
    warnings TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (deployment_id, position)
);
INSERT INTO deployment_items_old (deployment_id, position, item_id, locale, action, version, prior_version,
    outcome, skip_reason, event_id, warnings)
SELECT deployment_id, position, item_id, locale, action, version, prior_version, outcome, skip_reason, event_id,
    warnings
FROM deployment_items;
DROP TABLE deployment_items;
ALTER TABLE deployment_items_old RENAME TO deployment_items;

DROP INDEX deployments_succeeded;
CREATE INDEX deployments_environment ON deployments (environment_id, status, finished_at);
DROP INDEX publish_events_at_id;
CREATE INDEX publish_events_at ON publish_events (environment_id, at);
