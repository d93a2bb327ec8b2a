-- U6: a version's title, computed once when it is written (`domain::titles::title_of`): its
-- content's `title`, else `name`, else `label`, the first that is a non-empty JSON string, cut to
-- 200 characters. An item's title is that of its latest version in its first locale, kept on the
-- item when a version is added, and searched through a trigram full-text index (FTS5's `trigram`
-- tokenizer, case-insensitive), which the triggers keep in step with `items.title`.
ALTER TABLE versions ADD COLUMN title TEXT;
UPDATE versions SET title = substr(CASE
    WHEN json_type(content, '$.title') = 'text' AND json_extract(content, '$.title') <> '' THEN json_extract(content, '$.title')
    WHEN json_type(content, '$.name') = 'text' AND json_extract(content, '$.name') <> '' THEN json_extract(content, '$.name')
    WHEN json_type(content, '$.label') = 'text' AND json_extract(content, '$.label') <> '' THEN json_extract(content, '$.label')
END, 1, 200);
ALTER TABLE items ADD COLUMN title TEXT;
UPDATE items SET title = (
    SELECT v.title FROM versions v
    WHERE v.item_id = items.id AND v.locale = (SELECT min(f.locale) FROM versions f WHERE f.item_id = items.id)
    ORDER BY v.version DESC LIMIT 1
);
CREATE VIRTUAL TABLE items_title_search USING fts5(title, tokenize = 'trigram');
INSERT INTO items_title_search (rowid, title) SELECT key, title FROM items WHERE title IS NOT NULL;
CREATE TRIGGER items_title_search_insert AFTER INSERT ON items WHEN new.title IS NOT NULL BEGIN
    INSERT INTO items_title_search (rowid, title) VALUES (new.key, new.title);
END;
CREATE TRIGGER items_title_search_update AFTER UPDATE OF title ON items BEGIN
    DELETE FROM items_title_search WHERE rowid = old.key;
    INSERT INTO items_title_search (rowid, title) SELECT new.key, new.title WHERE new.title IS NOT NULL;
END;
