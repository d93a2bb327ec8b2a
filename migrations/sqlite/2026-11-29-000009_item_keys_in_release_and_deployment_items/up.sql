-- Issue 8, step 3: release items and deployment items name their item by its integer key
-- (`items.key`) instead of its UUID text, like publish states and the log (migration 000008): a
-- deployment reads its release's keys and writes its events and states without looking each
-- item up by UUID, and the release items' primary key holds a small integer. The API still
-- answers item ids: reads join `items` by key. The tables are rebuilt with their data and
-- their indexes; a row whose item does not exist fails the migration (its key would be null)
-- rather than being left out.

CREATE TABLE release_items_new (
    release_id TEXT NOT NULL REFERENCES releases(id),
    item_key BIGINT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT,
    version INTEGER,
    position BIGINT NOT NULL,
    PRIMARY KEY (release_id, item_key, locale)
);
INSERT INTO release_items_new (release_id, item_key, locale, action, version, position)
SELECT r.release_id, i.key, r.locale, r.action, r.version, r.position
FROM release_items r LEFT JOIN items i ON i.id = r.item_id;
DROP TABLE release_items;
ALTER TABLE release_items_new RENAME TO release_items;
-- a release's items in release order
CREATE INDEX release_items_position ON release_items (release_id, position);

CREATE TABLE deployment_items_new (
    deployment_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    item_key BIGINT NOT NULL,
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
INSERT INTO deployment_items_new (deployment_id, position, item_key, locale, action, version, prior_version,
    outcome, skip_reason, event_id, warnings)
SELECT d.deployment_id, d.position, i.key, d.locale, d.action, d.version, d.prior_version, d.outcome,
    d.skip_reason, d.event_id, d.warnings
FROM deployment_items d LEFT JOIN items i ON i.id = d.item_id;
DROP TABLE deployment_items;
ALTER TABLE deployment_items_new RENAME TO deployment_items;
-- a deployment's items of one outcome, in release order (`GET /v1/deployments/{id}/items?outcome=`)
CREATE INDEX deployment_items_outcome ON deployment_items (deployment_id, outcome, position);
