ALTER TABLE releases DROP COLUMN item_count;
