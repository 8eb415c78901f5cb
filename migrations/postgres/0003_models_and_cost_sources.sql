-- Models as data (issue 11): the same columns as migrations/sqlite/0002_models_and_cost_sources.sql.
-- cost_source: 'gateway' (the gateway's own figure), 'tokens' (usage x the model's rates),
-- 'table' (the model's per-image price), '' (not settled, or settled before this column).
ALTER TABLE usage ADD COLUMN cost_source TEXT NOT NULL DEFAULT ''
    CHECK (cost_source IN ('', 'gateway', 'tokens', 'table'));

-- allowed_models: comma-separated model names a scope may choose; max_pixels caps free sizes.
ALTER TABLE limits ADD COLUMN allowed_models TEXT;
ALTER TABLE limits ADD COLUMN max_pixels BIGINT CHECK (max_pixels >= 0);
