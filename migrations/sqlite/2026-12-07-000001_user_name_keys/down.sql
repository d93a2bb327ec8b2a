DROP INDEX users_by_name_key;
ALTER TABLE users DROP COLUMN name_key;
