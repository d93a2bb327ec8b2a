-- Manual writes no longer update their environment's row (they hold its lock shared, so that
-- publishes of different keys commit side by side); a deployment reads its E4 H as the highest
-- event id of the environment, on `publish_events_recent`. The column is kept by nothing.
ALTER TABLE environments DROP COLUMN last_event_id;
