-- A1: an environment's approval rule: how many approvals a release's deployment needs there
-- (null: none), and whether its deployer may give one.
ALTER TABLE environments ADD COLUMN approvals_required INTEGER;
ALTER TABLE environments ADD COLUMN allow_self_approval BOOLEAN NOT NULL DEFAULT FALSE;
-- A2: the rule in force when the deployment was created (null: it needs no approval).
ALTER TABLE deployments ADD COLUMN approvals_required INTEGER;
ALTER TABLE deployments ADD COLUMN allow_self_approval BOOLEAN NOT NULL DEFAULT FALSE;

-- A2: approvals given and the rejection, one of each kind per user and deployment.
CREATE TABLE deployment_verdicts (
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    verdict TEXT NOT NULL,
    comment TEXT,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (deployment_id, verdict, user_id)
);

-- M2: the environments a promotion came from and went to, and the time of its snapshot.
ALTER TABLE releases ADD COLUMN promoted_from TEXT REFERENCES environments(id);
ALTER TABLE releases ADD COLUMN promoted_to TEXT REFERENCES environments(id);
ALTER TABLE releases ADD COLUMN promoted_at TIMESTAMP;
