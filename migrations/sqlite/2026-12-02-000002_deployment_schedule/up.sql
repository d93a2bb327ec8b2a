-- Q1 (`GET /v1/deployments`): each status is read on an index in the list's own order, so a
-- page costs O(limit) however many deployments there are:
-- scheduled ones soonest first, ties by id (also the worker's "due" claim and the queue gauges);
DROP INDEX deployments_due;
CREATE INDEX deployments_soonest ON deployments (status, scheduled_at, id);
-- the same in one environment;
CREATE INDEX deployments_environment_soonest ON deployments (environment_id, status, scheduled_at, id);
-- any other status, newest first, also in one environment;
CREATE INDEX deployments_status_recent ON deployments (status, id);
CREATE INDEX deployments_environment_status_recent ON deployments (environment_id, status, id);
-- by trigger, newest first.
CREATE INDEX deployments_trigger_recent ON deployments (trigger, id);
-- S1, S2: the streams' watcher reads the deployments that ended lately.
CREATE INDEX deployments_finished ON deployments (finished_at);
