-- X2: the key user names are compared by (RFC 8265's UsernameCaseMapped profile), computed by the
-- service: for new users as they are created, for existing ones by `rewind migrate` and `serve`.
-- Null where a stored name is refused by the profile or collides with another's key.
ALTER TABLE users ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX users_by_name_key ON users (name_key);
