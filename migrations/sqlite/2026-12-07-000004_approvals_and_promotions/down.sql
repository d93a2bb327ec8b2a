ALTER TABLE releases DROP COLUMN promoted_at;
ALTER TABLE releases DROP COLUMN promoted_to;
ALTER TABLE releases DROP COLUMN promoted_from;
DROP TABLE deployment_verdicts;
ALTER TABLE deployments DROP COLUMN allow_self_approval;
ALTER TABLE deployments DROP COLUMN approvals_required;
ALTER TABLE environments DROP COLUMN allow_self_approval;
ALTER TABLE environments DROP COLUMN approvals_required;
