-- The tables as they were, naming their item by its UUID text, with the same indexes.

ALTER TABLE release_items RENAME TO release_items_new;
ALTER TABLE release_items_new RENAME CONSTRAINT release_items_pkey TO release_items_new_pkey;
ALTER TABLE release_items_new RENAME CONSTRAINT release_items_release_id_fkey TO release_items_new_release_id_fkey;
ALTER INDEX release_items_position RENAME TO release_items_new_position;
ALTER TABLE deployment_items RENAME TO deployment_items_new;
ALTER TABLE deployment_items_new RENAME CONSTRAINT deployment_items_pkey TO deployment_items_new_pkey;
ALTER INDEX deployment_items_outcome RENAME TO deployment_items_new_outcome;

CREATE TABLE release_items (
    release_id TEXT NOT NULL REFERENCES releases(id),
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT,
    version INTEGER,
    position BIGINT NOT NULL,
    PRIMARY KEY (release_id, item_id, locale)
);
INSERT INTO release_items (release_id, item_id, locale, action, version, position)
SELECT r.release_id, i.id, r.locale, r.action, r.version, r.position
FROM release_items_new r LEFT JOIN items i ON i.key = r.item_key;
DROP TABLE release_items_new;
CREATE INDEX release_items_position ON release_items (release_id, position);

CREATE TABLE deployment_items (
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
INSERT INTO deployment_items (deployment_id, position, item_id, locale, action, version, prior_version,
    outcome, skip_reason, event_id, warnings)
SELECT d.deployment_id, d.position, i.id, d.locale, d.action, d.version, d.prior_version, d.outcome,
    d.skip_reason, d.event_id, d.warnings
FROM deployment_items_new d LEFT JOIN items i ON i.key = d.item_key;
DROP TABLE deployment_items_new;
CREATE INDEX deployment_items_outcome ON deployment_items (deployment_id, outcome, position);
