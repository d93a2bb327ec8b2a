-- Issue 8, step 3: release items and deployment items name their item by its integer key
-- (`items.key`) instead of its UUID text, like publish states and the log (migration 000008): a
-- deployment reads its release's keys and writes its events and states without looking each
-- item up by UUID, and the release items' primary key holds a small integer. The API still
-- answers item ids: reads join `items` by key. The tables are rebuilt with their data and
-- their indexes, the old ones renamed out of the way first (a renamed table keeps its
-- constraints' names); a row whose item does not exist fails the migration (its key would be
-- null) rather than being left out.

ALTER TABLE release_items RENAME TO release_items_old;
ALTER TABLE release_items_old RENAME CONSTRAINT release_items_pkey TO release_items_old_pkey;
ALTER TABLE release_items_old RENAME CONSTRAINT release_items_release_id_fkey TO release_items_old_release_id_fkey;
ALTER INDEX release_items_position RENAME TO release_items_old_position;
ALTER TABLE deployment_items RENAME TO deployment_items_old;
ALTER TABLE deployment_items_old RENAME CONSTRAINT deployment_items_pkey TO deployment_items_old_pkey;
ALTER INDEX deployment_items_outcome RENAME TO deployment_items_old_outcome;

CREATE TABLE release_items (
    release_id TEXT NOT NULL REFERENCES releases(id),
    item_key BIGINT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT,
    version INTEGER,
    position BIGINT NOT NULL,
    PRIMARY KEY (release_id, item_key, locale)
);
INSERT INTO release_items (release_id, item_key, locale, action, version, position)
SELECT r.release_id, i.key, r.locale, r.action, r.version, r.position
FROM release_items_old r LEFT JOIN items i ON i.id = r.item_id;
DROP TABLE release_items_old;
-- a release's items in release order
CREATE INDEX release_items_position ON release_items (release_id, position);

CREATE TABLE deployment_items (
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
INSERT INTO deployment_items (deployment_id, position, item_key, locale, action, version, prior_version,
    outcome, skip_reason, event_id, warnings)
SELECT d.deployment_id, d.position, i.key, d.locale, d.action, d.version, d.prior_version, d.outcome,
    d.skip_reason, d.event_id, d.warnings
FROM deployment_items_old d LEFT JOIN items i ON i.id = d.item_id;
DROP TABLE deployment_items_old;
-- a deployment's items of one outcome, in release order (`GET /v1/deployments/{id}/items?outcome=`)
CREATE INDEX deployment_items_outcome ON deployment_items (deployment_id, outcome, position);
