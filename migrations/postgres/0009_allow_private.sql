-- The limit allow_private: the same column as migrations/sqlite/0008_allow_private.sql,
-- which documents it.
ALTER TABLE limits ADD COLUMN allow_private BOOLEAN;
