-- Ids are UUID v7 text and times are UTC timestamps, the same on both backends (see db/schema.rs).
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    label TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE environments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- the highest publish event id of this environment; every write to its publish state
    -- updates this row first, so the row lock serializes them
    last_event_id BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE grants (
    user_id TEXT NOT NULL REFERENCES users(id),
    environment_id TEXT NOT NULL REFERENCES environments(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, environment_id)
);

CREATE TABLE items (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('entry', 'asset')),
    content_type TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE versions (
    item_id TEXT NOT NULL REFERENCES items(id),
    locale TEXT NOT NULL,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    refs TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (item_id, locale, version)
);

CREATE TABLE publish_events (
    id BIGSERIAL PRIMARY KEY,
    environment_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    cause TEXT NOT NULL,
    deployment_id TEXT,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
-- the state of a key at any event id: the last event of the key at or below it
CREATE INDEX publish_events_key ON publish_events (environment_id, item_id, locale, id);
-- the last event id at or before a time
CREATE INDEX publish_events_at ON publish_events (environment_id, at);

CREATE TABLE publish_states (
    environment_id TEXT NOT NULL REFERENCES environments(id),
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    version INTEGER,
    last_event_id BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (environment_id, item_id, locale)
);

CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('standard', 'rollback')),
    rollback_of TEXT REFERENCES releases(id),
    owner TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX releases_rollback_of ON releases (rollback_of, owner);

CREATE TABLE release_items (
    release_id TEXT NOT NULL REFERENCES releases(id),
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT,
    version INTEGER,
    position BIGINT NOT NULL,
    PRIMARY KEY (release_id, item_id, locale)
);
CREATE INDEX release_items_position ON release_items (release_id, position);

CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    release_id TEXT REFERENCES releases(id),
    environment_id TEXT NOT NULL REFERENCES environments(id),
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    deployed_by TEXT NOT NULL REFERENCES users(id),
    reason TEXT,
    scheduled_at TIMESTAMP,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    progress_total INTEGER NOT NULL DEFAULT 0,
    progress_done INTEGER NOT NULL DEFAULT 0,
    published INTEGER NOT NULL DEFAULT 0,
    unpublished INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    rolled_back_to_deployment_id TEXT REFERENCES deployments(id),
    -- the environment's highest publish event id when the deployment succeeded (E4's H)
    high_event_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX deployments_due ON deployments (status, scheduled_at);
CREATE INDEX deployments_environment ON deployments (environment_id, status, finished_at);
CREATE INDEX deployments_release ON deployments (release_id, deployed_by);

CREATE TABLE deployment_items (
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    locale TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER,
    prior_version INTEGER,
    outcome TEXT NOT NULL,
    skip_reason TEXT,
    event_id BIGINT,
    PRIMARY KEY (deployment_id, position)
);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
