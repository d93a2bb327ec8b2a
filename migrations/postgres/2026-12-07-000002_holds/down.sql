DELETE FROM webhook_deliveries WHERE deployment_id IS NULL;
ALTER TABLE webhook_deliveries ALTER COLUMN deployment_id SET NOT NULL;
DROP TABLE deployment_keys;
DROP TABLE freezes;
DROP TABLE holds;
ALTER TABLE deployments DROP COLUMN hold;
ALTER TABLE environments DROP COLUMN hold_after_rollback;
