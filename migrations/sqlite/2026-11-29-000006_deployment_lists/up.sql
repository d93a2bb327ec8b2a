-- Every list is read through an index in its own order, so a page costs O(limit) however large
-- the table:
-- the last event at or before a time, ties (one deployment's events share a time) by id
-- (`GET /v1/environments/{env}/publish-state?at=`);
DROP INDEX publish_events_at;
CREATE INDEX publish_events_at_id ON publish_events (environment_id, at, id);
-- the environment's succeeded deployments, newest first, ties by id (its active deployment,
-- an environment rollback's default target).
DROP INDEX deployments_environment;
CREATE INDEX deployments_succeeded ON deployments (environment_id, status, finished_at, id);

-- Deployment items are written only by their deployment's own transaction, which has the
-- deployment's row in hand: the foreign key to `deployments` only re-checked it (0.33 s of a
-- 100,000-item deployment on PostgreSQL). SQLite cannot drop a foreign key, so the table is
-- rebuilt without it.
CREATE TABLE deployment_items_new (
    deployment_id TEXT NOT NULL,
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
INSERT INTO deployment_items_new (deployment_id, position, item_id, locale, action, version, prior_version,
    outcome, skip_reason, event_id, warnings)
SELECT deployment_id, position, item_id, locale, action, version, prior_version, outcome, skip_reason, event_id,
    warnings
FROM deployment_items;
DROP TABLE deployment_items;
ALTER TABLE deployment_items_new RENAME TO deployment_items;
-- a deployment's items of one outcome, in release order (`GET /v1/deployments/{id}/items?outcome=`)
CREATE INDEX deployment_items_outcome ON deployment_items (deployment_id, outcome, position);
