-- How many keys each environment publishes, kept as it changes (so nothing counts them per
-- request), in 16 shards: a manual write adds its change to the shard of its key, so manual
-- writes of different keys rarely wait for one row; a deployment (which holds its environment's
-- lock alone) adds its whole change to shard 0. The count is the sum of the shards.
CREATE TABLE published_counts (
    environment_key BIGINT NOT NULL,
    shard INTEGER NOT NULL,
    published BIGINT NOT NULL,
    PRIMARY KEY (environment_key, shard)
);
INSERT INTO published_counts (environment_key, shard, published)
SELECT environment_key, 0, count(*) FROM publish_states WHERE version IS NOT NULL GROUP BY environment_key;
