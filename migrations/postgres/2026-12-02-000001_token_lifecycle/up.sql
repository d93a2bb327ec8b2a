-- T1: tokens expire, are revoked and remember their last use; users are deactivated, never deleted.
ALTER TABLE tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE tokens ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE tokens ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
-- A user's tokens, newest first (GET /v1/users/{id}/tokens).
CREATE INDEX tokens_user_id ON tokens (user_id, id);
