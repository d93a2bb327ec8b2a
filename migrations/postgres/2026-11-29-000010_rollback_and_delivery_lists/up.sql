-- Two more lists read through an index in their own order, so a page costs O(limit):
-- a release's rollback releases, newest first (`GET /v1/releases/{id}/rollbacks`), which sorted
-- every rollback release of the release (each user's, deleted ones too) on `releases_rollback_of`;
CREATE INDEX releases_rollbacks_recent ON releases (rollback_of, id);
-- an endpoint's deliveries, newest first (`GET /v1/webhooks/{id}/deliveries`), which sorted all
-- of the endpoint's deliveries on `webhook_deliveries_endpoint (endpoint_id, status, seq)`.
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (endpoint_id, seq);
