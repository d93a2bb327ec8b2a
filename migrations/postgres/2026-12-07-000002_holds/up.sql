-- H2: whether a rollback that succeeds here holds the environment (off unless a team opts in).
ALTER TABLE environments ADD COLUMN hold_after_rollback BOOLEAN NOT NULL DEFAULT FALSE;
-- H2: a rollback request's own choice (`hold`), null where it left it to the environment.
ALTER TABLE deployments ADD COLUMN hold BOOLEAN;

-- H1, H2: every hold, present and past. At most one is open (not lifted) per environment; the
-- unique index makes a second placed at once a conflict rather than a second row.
CREATE TABLE holds (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environments(id),
    cause TEXT NOT NULL,
    reason TEXT NOT NULL,
    held_by TEXT NOT NULL REFERENCES users(id),
    held_at TIMESTAMP NOT NULL,
    deployment_id TEXT REFERENCES deployments(id),
    lifted_by TEXT REFERENCES users(id),
    lifted_at TIMESTAMP
);
CREATE UNIQUE INDEX holds_open ON holds (environment_id) WHERE lifted_at IS NULL;
CREATE INDEX holds_history ON holds (environment_id, id);

-- H4: freeze windows, open by time alone.
CREATE TABLE freezes (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environments(id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX freezes_by_end ON freezes (environment_id, ends_at);

-- B10: the keys a partial rollback selected (none: all of them).
CREATE TABLE deployment_keys (
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    item_key BIGINT NOT NULL,
    locale TEXT NOT NULL,
    PRIMARY KEY (deployment_id, item_key, locale)
);

-- H5: a message about an environment (a hold placed or lifted) names no deployment.
ALTER TABLE webhook_deliveries ALTER COLUMN deployment_id DROP NOT NULL;
