ALTER TABLE deployments DROP COLUMN on_conflict;
