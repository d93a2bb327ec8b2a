ALTER TABLE webhook_endpoints ADD COLUMN events TEXT NOT NULL DEFAULT ',';
ALTER TABLE webhook_endpoints ADD COLUMN environments TEXT;
UPDATE webhook_endpoints SET events = ',' || COALESCE((SELECT group_concat(event, ',') || ','
    FROM (SELECT event FROM webhook_endpoint_events s WHERE s.endpoint_id = webhook_endpoints.id ORDER BY event)), '');
UPDATE webhook_endpoints SET environments = ',' || COALESCE((SELECT group_concat(environment_id, ',') || ','
    FROM (SELECT environment_id FROM webhook_endpoint_environments v WHERE v.endpoint_id = webhook_endpoints.id
    ORDER BY environment_id)), '')
    WHERE NOT all_environments;
ALTER TABLE webhook_endpoints DROP COLUMN all_environments;
DROP TABLE webhook_endpoint_environments;
DROP TABLE webhook_endpoint_events;
