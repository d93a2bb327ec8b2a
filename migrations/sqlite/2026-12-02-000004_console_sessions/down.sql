DROP INDEX console_sessions_expires_at;
DROP INDEX console_sessions_token_id;
DROP TABLE console_sessions;
