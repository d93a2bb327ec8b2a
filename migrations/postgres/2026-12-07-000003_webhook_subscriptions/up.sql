-- W1: an endpoint's events and environments as rows matched by key; they were `,a,b,` lists
-- matched with LIKE. `all_environments` is what a null list meant.
CREATE TABLE webhook_endpoint_events (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, event)
);
CREATE TABLE webhook_endpoint_environments (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
    environment_id TEXT NOT NULL REFERENCES environments(id),
    PRIMARY KEY (endpoint_id, environment_id)
);
INSERT INTO webhook_endpoint_events (endpoint_id, event)
    SELECT DISTINCT e.id, w FROM webhook_endpoints e, unnest(string_to_array(e.events, ',')) AS w WHERE w <> '';
INSERT INTO webhook_endpoint_environments (endpoint_id, environment_id)
    SELECT DISTINCT e.id, w FROM webhook_endpoints e, unnest(string_to_array(e.environments, ',')) AS w
    WHERE w IN (SELECT id FROM environments);
ALTER TABLE webhook_endpoints ADD COLUMN all_environments BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE webhook_endpoints SET all_environments = (environments IS NULL);
ALTER TABLE webhook_endpoints DROP COLUMN events;
ALTER TABLE webhook_endpoints DROP COLUMN environments;
