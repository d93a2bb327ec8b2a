DROP TRIGGER items_title_search_update;
DROP TRIGGER items_title_search_insert;
DROP TABLE items_title_search;
ALTER TABLE items DROP COLUMN title;
ALTER TABLE versions DROP COLUMN title;
