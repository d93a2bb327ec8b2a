-- W1: endpoints. `events` and `environments` are comma-delimited with a leading and trailing comma
-- (`,deployment.started,deployment.failed,`; environment ids), so that one set-based INSERT … SELECT
-- can match them with LIKE on both backends; `environments` NULL means every environment.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    environments TEXT,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);

-- W2–W4: the outbox. `seq` is the order the messages were written in; `id` is the `webhook-id`.
-- A claim sets `lease_id` and `lease_until`: while the lease runs no other worker sends it.
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_type TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_id TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
-- the claim: pending deliveries by due time, and an endpoint's pending ones in order
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, status, seq);
