ALTER TABLE deployments DROP COLUMN warned_items;
ALTER TABLE deployment_items DROP COLUMN warnings;
DROP TABLE version_references;
