-- The key that signs the web face's links and sessions (bot/web/signing.py) when
-- IMAGINE_SECRET_KEY is unset: made by the first process that needs one and kept here, so
-- every process of an installation accepts the links of the others. At most one row.
CREATE TABLE web_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);
