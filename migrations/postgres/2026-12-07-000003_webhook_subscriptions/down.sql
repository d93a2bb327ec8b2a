ALTER TABLE webhook_endpoints ADD COLUMN events TEXT NOT NULL DEFAULT ',';
ALTER TABLE webhook_endpoints ADD COLUMN environments TEXT;
UPDATE webhook_endpoints e SET events = ',' || COALESCE((SELECT string_agg(s.event, ',' ORDER BY s.event)
    FROM webhook_endpoint_events s WHERE s.endpoint_id = e.id) || ',', '');
UPDATE webhook_endpoints e SET environments = ',' || COALESCE((SELECT string_agg(v.environment_id, ',' ORDER BY v.environment_id)
    FROM webhook_endpoint_environments v WHERE v.endpoint_id = e.id) || ',', '')
    WHERE NOT e.all_environments;
ALTER TABLE webhook_endpoints ALTER COLUMN events DROP DEFAULT;
ALTER TABLE webhook_endpoints DROP COLUMN all_environments;
DROP TABLE webhook_endpoint_environments;
DROP TABLE webhook_endpoint_events;
