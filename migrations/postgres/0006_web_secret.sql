-- The key that signs the web face's links and sessions when IMAGINE_SECRET_KEY is unset,
-- as on SQLite (migrations/sqlite/0005_web_secret.sql). At most one row.
CREATE TABLE web_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
