DROP TABLE deployment_keys;
DROP TABLE freezes;
DROP TABLE holds;
ALTER TABLE deployments DROP COLUMN hold;
ALTER TABLE environments DROP COLUMN hold_after_rollback;
