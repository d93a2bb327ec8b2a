DROP INDEX tokens_user_id;
ALTER TABLE users DROP COLUMN deactivated_at;
ALTER TABLE tokens DROP COLUMN revoked_at, DROP COLUMN last_used_at, DROP COLUMN expires_at;
