-- U1: the console's server-side sessions. Only a hash of the session id is kept (the cookie holds
-- the id); a session is valid only while its token and its user are (T1), and until it expires.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_id TEXT NOT NULL REFERENCES tokens (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_token_id ON console_sessions (token_id);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
