DROP INDEX webhook_deliveries_recent;
DROP INDEX releases_rollbacks_recent;
