-- C1: what a rollback deployment does with keys changed after the deployment it undoes:
-- `skip` them (B7, E4), or `fail` and write no publish state.
ALTER TABLE deployments ADD COLUMN on_conflict TEXT NOT NULL DEFAULT 'skip' CHECK (on_conflict IN ('skip', 'fail'));
