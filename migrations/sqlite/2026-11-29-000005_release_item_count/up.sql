-- X4/L2: a release's item count is kept on its row, so that showing a release does not count
-- its items; every write that adds or removes release items changes it in the same transaction.
ALTER TABLE releases ADD COLUMN item_count BIGINT NOT NULL DEFAULT 0;
UPDATE releases SET item_count = (SELECT count(*) FROM release_items WHERE release_items.release_id = releases.id);
