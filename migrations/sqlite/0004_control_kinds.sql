-- Creative controls (issue 15): zoom, pan, upscale and blend are ledger kinds of their own;
-- Vary (Subtle) and Vary (Strong) stay kind 'vary', the strength in options_json.control.
-- SQLite cannot change a CHECK in place, so usage is rebuilt (its rows, counters and ids
-- unchanged): kept_results, which references it, is set aside and put back, and usage's
-- indexes and day-counter triggers (as of 0003) are made again.
-- Also the limit allow_low_moderation: whether `--moderation low` may be asked for here.

CREATE TABLE kept_results_aside AS SELECT * FROM kept_results;
DROP TABLE kept_results;

CREATE TABLE usage_new (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('generate', 'edit', 'vary', 'zoom', 'pan', 'upscale', 'blend')),
    model TEXT NOT NULL,
    size TEXT NOT NULL,
    quality TEXT NOT NULL,
    n INTEGER NOT NULL CHECK (n >= 1),
    status TEXT NOT NULL CHECK (status IN ('reserved', 'succeeded', 'failed', 'abandoned')),
    images_delivered INTEGER NOT NULL DEFAULT 0 CHECK (images_delivered >= 0),
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    est_cost_usd REAL NOT NULL DEFAULT 0,
    error_kind TEXT,
    prompt TEXT,
    options_json TEXT NOT NULL DEFAULT '{}',
    parent_id TEXT,
    created_at TEXT NOT NULL,
    settled_at TEXT,
    deadline TEXT NOT NULL,
    cost_source TEXT NOT NULL DEFAULT ''
        CHECK (cost_source IN ('', 'gateway', 'tokens', 'table')),
    delivery TEXT CHECK (delivery IN ('pending', 'delivered', 'undelivered')),
    delivery_at TEXT
);

INSERT INTO usage_new (
    id, idempotency_key, platform, workspace_id, channel_id, user_id, kind, model, size,
    quality, n, status, images_delivered, input_tokens, output_tokens, est_cost_usd,
    error_kind, prompt, options_json, parent_id, created_at, settled_at, deadline,
    cost_source, delivery, delivery_at
)
SELECT
    id, idempotency_key, platform, workspace_id, channel_id, user_id, kind, model, size,
    quality, n, status, images_delivered, input_tokens, output_tokens, est_cost_usd,
    error_kind, prompt, options_json, parent_id, created_at, settled_at, deadline,
    cost_source, delivery, delivery_at
FROM usage;

DROP TABLE usage;
ALTER TABLE usage_new RENAME TO usage;

CREATE INDEX usage_user_day ON usage (platform, workspace_id, user_id, created_at);
CREATE INDEX usage_channel_day ON usage (platform, workspace_id, channel_id, created_at);
CREATE INDEX usage_status_deadline ON usage (status, deadline);
CREATE INDEX usage_created ON usage (created_at, id);
CREATE INDEX usage_delivery_pending ON usage (delivery_at) WHERE delivery = 'pending';

CREATE TABLE kept_results (
    usage_id TEXT NOT NULL REFERENCES usage (id),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (usage_id, idx)
);

CREATE INDEX kept_results_created ON kept_results (created_at);

INSERT INTO kept_results SELECT * FROM kept_results_aside;
DROP TABLE kept_results_aside;

CREATE TRIGGER usage_day_insert AFTER INSERT ON usage
BEGIN
    INSERT INTO usage_day_user VALUES (
        NEW.platform, NEW.workspace_id, NEW.user_id, substr(NEW.created_at, 1, 10),
        CASE WHEN NEW.status = 'succeeded' AND NEW.delivery IS NOT 'undelivered'
            THEN NEW.images_delivered WHEN NEW.status = 'reserved' THEN NEW.n ELSE 0 END,
        CASE WHEN NEW.status = 'reserved' OR (NEW.status = 'succeeded'
            AND NEW.delivery IS NOT 'undelivered') THEN NEW.est_cost_usd ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO usage_day_channel VALUES (
        NEW.platform, NEW.workspace_id, NEW.channel_id, substr(NEW.created_at, 1, 10),
        CASE WHEN NEW.status = 'succeeded' AND NEW.delivery IS NOT 'undelivered'
            THEN NEW.images_delivered WHEN NEW.status = 'reserved' THEN NEW.n ELSE 0 END,
        CASE WHEN NEW.status = 'reserved' OR (NEW.status = 'succeeded'
            AND NEW.delivery IS NOT 'undelivered') THEN NEW.est_cost_usd ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TRIGGER usage_day_update
AFTER UPDATE OF status, n, images_delivered, est_cost_usd, delivery ON usage
BEGIN
    INSERT INTO usage_day_user VALUES (
        NEW.platform, NEW.workspace_id, NEW.user_id, substr(NEW.created_at, 1, 10),
        CASE WHEN NEW.status = 'succeeded' AND NEW.delivery IS NOT 'undelivered'
            THEN NEW.images_delivered WHEN NEW.status = 'reserved' THEN NEW.n ELSE 0 END
        - CASE WHEN OLD.status = 'succeeded' AND OLD.delivery IS NOT 'undelivered'
            THEN OLD.images_delivered WHEN OLD.status = 'reserved' THEN OLD.n ELSE 0 END,
        CASE WHEN NEW.status = 'reserved' OR (NEW.status = 'succeeded'
            AND NEW.delivery IS NOT 'undelivered') THEN NEW.est_cost_usd ELSE 0.0 END
        - CASE WHEN OLD.status = 'reserved' OR (OLD.status = 'succeeded'
            AND OLD.delivery IS NOT 'undelivered') THEN OLD.est_cost_usd ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO usage_day_channel VALUES (
        NEW.platform, NEW.workspace_id, NEW.channel_id, substr(NEW.created_at, 1, 10),
        CASE WHEN NEW.status = 'succeeded' AND NEW.delivery IS NOT 'undelivered'
            THEN NEW.images_delivered WHEN NEW.status = 'reserved' THEN NEW.n ELSE 0 END
        - CASE WHEN OLD.status = 'succeeded' AND OLD.delivery IS NOT 'undelivered'
            THEN OLD.images_delivered WHEN OLD.status = 'reserved' THEN OLD.n ELSE 0 END,
        CASE WHEN NEW.status = 'reserved' OR (NEW.status = 'succeeded'
            AND NEW.delivery IS NOT 'undelivered') THEN NEW.est_cost_usd ELSE 0.0 END
        - CASE WHEN OLD.status = 'reserved' OR (OLD.status = 'succeeded'
            AND OLD.delivery IS NOT 'undelivered') THEN OLD.est_cost_usd ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
END;

ALTER TABLE limits ADD COLUMN allow_low_moderation INTEGER
    CHECK (allow_low_moderation IN (0, 1));
