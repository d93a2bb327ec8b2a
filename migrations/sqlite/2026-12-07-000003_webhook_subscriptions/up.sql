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
-- Each list split at its commas: `,a,b,` gives `a` and `b`.
WITH RECURSIVE split(id, word, rest) AS (
    SELECT id, '', substr(events, 2) FROM webhook_endpoints
    UNION ALL
    SELECT id, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> ''
)
INSERT INTO webhook_endpoint_events (endpoint_id, event) SELECT DISTINCT id, word FROM split WHERE word <> '';
WITH RECURSIVE split(id, word, rest) AS (
    SELECT id, '', substr(environments, 2) FROM webhook_endpoints WHERE environments IS NOT NULL
    UNION ALL
    SELECT id, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> ''
)
INSERT INTO webhook_endpoint_environments (endpoint_id, environment_id)
    SELECT DISTINCT id, word FROM split WHERE word IN (SELECT id FROM environments);
ALTER TABLE webhook_endpoints ADD COLUMN all_environments BOOLEAN NOT NULL DEFAULT 1;
UPDATE webhook_endpoints SET all_environments = (environments IS NULL);
ALTER TABLE webhook_endpoints DROP COLUMN events;
ALTER TABLE webhook_endpoints DROP COLUMN environments;
