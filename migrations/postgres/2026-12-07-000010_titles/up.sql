-- U6: a version's title, computed once when it is written (`domain::titles::title_of`): its
-- content's `title`, else `name`, else `label`, the first that is a non-empty JSON string, cut to
-- 200 characters. An item's title is that of its latest version in its first locale, kept on the
-- item when a version is added, and searched through a trigram index on its lowercased form.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE versions ADD COLUMN title TEXT;
UPDATE versions SET title = substr(CASE
    WHEN jsonb_typeof(content::jsonb -> 'title') = 'string' AND content::jsonb ->> 'title' <> '' THEN content::jsonb ->> 'title'
    WHEN jsonb_typeof(content::jsonb -> 'name') = 'string' AND content::jsonb ->> 'name' <> '' THEN content::jsonb ->> 'name'
    WHEN jsonb_typeof(content::jsonb -> 'label') = 'string' AND content::jsonb ->> 'label' <> '' THEN content::jsonb ->> 'label'
END, 1, 200);
ALTER TABLE items ADD COLUMN title TEXT;
UPDATE items SET title = (
    SELECT v.title FROM versions v
    WHERE v.item_id = items.id AND v.locale = (SELECT min(f.locale COLLATE "C") FROM versions f WHERE f.item_id = items.id)
    ORDER BY v.version DESC LIMIT 1
);
CREATE INDEX items_title_trgm ON items USING gin (lower(title) gin_trgm_ops);
