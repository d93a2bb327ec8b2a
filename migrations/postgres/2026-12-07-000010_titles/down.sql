DROP INDEX items_title_trgm;
ALTER TABLE items DROP COLUMN title;
ALTER TABLE versions DROP COLUMN title;
