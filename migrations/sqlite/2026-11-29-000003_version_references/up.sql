-- R1: the items each version references, one row per reference, so a plan finds the references
-- of the versions it publishes and the published versions that reference a key it unpublishes
-- with indexed joins over the whole plan. `versions.refs` stays the answer's source.
CREATE TABLE version_references (
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    version INTEGER NOT NULL,
    referenced_item_id TEXT NOT NULL,
    PRIMARY KEY (item_id, locale, version, referenced_item_id),
    FOREIGN KEY (item_id, locale, version) REFERENCES versions (item_id, locale, version)
);
-- who references a key: the versions that point at an item in a locale
CREATE INDEX version_references_referenced ON version_references (referenced_item_id, locale);

INSERT INTO version_references (item_id, locale, version, referenced_item_id)
SELECT DISTINCT v.item_id, v.locale, v.version, r.value
FROM versions v, json_each(v.refs) AS r;

-- what a deployment warned about, per item (a JSON array of {code, item_id, locale}) and in all
ALTER TABLE deployment_items ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE deployments ADD COLUMN warned_items INTEGER NOT NULL DEFAULT 0;
