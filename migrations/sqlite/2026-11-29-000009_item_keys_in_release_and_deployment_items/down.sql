-- The tables as they were, naming their item by its UUID text, with the same indexes.

CREATE TABLE release_items_old (
    release_id TEXT NOT NULL REFERENCES releases(id),
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT,
    version INTEGER,
    position BIGINT NOT NULL,
    PRIMARY KEY (release_id, item_id, locale)
);
INSERT INTO release_items_old (release_id, item_id, locale, action, version, position)
SELECT r.release_id, i.id, r.locale, r.action, r.version, r.position
FROM release_items r LEFT JOIN items i ON i.key = r.item_key;
DROP TABLE release_items;
ALTER TABLE release_items_old RENAME TO release_items;
CREATE INDEX release_items_position ON release_items (release_id, position);

CREATE TABLE deployment_items_old (
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
INSERT INTO deployment_items_old (deployment_id, position, item_id, locale, action, version, prior_version,
    outcome, skip_reason, event_id, warnings)
SELECT d.deployment_id, d.position, i.id, d.locale, d.action, d.version, d.prior_version, d.outcome,
    d.skip_reason, d.event_id, d.warnings
FROM deployment_items d LEFT JOIN items i ON i.key = d.item_key;
DROP TABLE deployment_items;
ALTER TABLE deployment_items_old RENAME TO deployment_items;
CREATE INDEX deployment_items_outcome ON deployment_items (deployment_id, outcome, position);
