-- V1, V3: the secret that signs content and sync cursors, one for every process sharing the
-- database, so that a cursor one process wrote reads back in another and a forged one does not.
-- Two random UUIDs: 244 random bits from the server's strong random source.
CREATE TABLE cursor_secrets (
    id INTEGER PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL
);
INSERT INTO cursor_secrets (id, secret)
VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
