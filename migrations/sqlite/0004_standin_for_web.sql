-- Stand-in so that branch `web` migrates on its own: this number belongs to another branch's
-- migration. Drop this file when merging (see the web branch's report).
SELECT 1;
