-- The usage ledger, limits per scope, their audit trail and Slack's channel managers.
-- Timestamps are ISO-8601 UTC text with microseconds (fixed width, so text order is time order).

CREATE TABLE usage (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('generate', 'edit', 'vary')),
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
    deadline TEXT NOT NULL
);

CREATE INDEX usage_user_day ON usage (platform, workspace_id, user_id, created_at);
CREATE INDEX usage_channel_day ON usage (platform, workspace_id, channel_id, created_at);
CREATE INDEX usage_status_deadline ON usage (status, deadline);
CREATE INDEX usage_created ON usage (created_at, id);

-- What each user and each channel is charged per UTC day (reserved rows count n images,
-- succeeded rows what was delivered), kept by the triggers below so that a reservation
-- reads one row per limit instead of the day's ledger. Expired reservations still in
-- here are subtracted by the reservation query until they are settled as abandoned.
CREATE TABLE usage_day_user (
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    day TEXT NOT NULL,
    images INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (platform, workspace_id, user_id, day)
) WITHOUT ROWID;

CREATE TABLE usage_day_channel (
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    day TEXT NOT NULL,
    images INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (platform, workspace_id, channel_id, day)
) WITHOUT ROWID;

CREATE TRIGGER usage_day_insert AFTER INSERT ON usage
BEGIN
    INSERT INTO usage_day_user VALUES (
        NEW.platform, NEW.workspace_id, NEW.user_id, substr(NEW.created_at, 1, 10),
        CASE NEW.status WHEN 'succeeded' THEN NEW.images_delivered
            WHEN 'reserved' THEN NEW.n ELSE 0 END,
        CASE WHEN NEW.status IN ('reserved', 'succeeded') THEN NEW.est_cost_usd
            ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO usage_day_channel VALUES (
        NEW.platform, NEW.workspace_id, NEW.channel_id, substr(NEW.created_at, 1, 10),
        CASE NEW.status WHEN 'succeeded' THEN NEW.images_delivered
            WHEN 'reserved' THEN NEW.n ELSE 0 END,
        CASE WHEN NEW.status IN ('reserved', 'succeeded') THEN NEW.est_cost_usd
            ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
END;

-- Ledger rows are never deleted and never change scope or day: only their charge moves.
CREATE TRIGGER usage_day_update
AFTER UPDATE OF status, n, images_delivered, est_cost_usd ON usage
BEGIN
    INSERT INTO usage_day_user VALUES (
        NEW.platform, NEW.workspace_id, NEW.user_id, substr(NEW.created_at, 1, 10),
        CASE NEW.status WHEN 'succeeded' THEN NEW.images_delivered
            WHEN 'reserved' THEN NEW.n ELSE 0 END
        - CASE OLD.status WHEN 'succeeded' THEN OLD.images_delivered
            WHEN 'reserved' THEN OLD.n ELSE 0 END,
        CASE WHEN NEW.status IN ('reserved', 'succeeded') THEN NEW.est_cost_usd
            ELSE 0.0 END
        - CASE WHEN OLD.status IN ('reserved', 'succeeded') THEN OLD.est_cost_usd
            ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
    INSERT INTO usage_day_channel VALUES (
        NEW.platform, NEW.workspace_id, NEW.channel_id, substr(NEW.created_at, 1, 10),
        CASE NEW.status WHEN 'succeeded' THEN NEW.images_delivered
            WHEN 'reserved' THEN NEW.n ELSE 0 END
        - CASE OLD.status WHEN 'succeeded' THEN OLD.images_delivered
            WHEN 'reserved' THEN OLD.n ELSE 0 END,
        CASE WHEN NEW.status IN ('reserved', 'succeeded') THEN NEW.est_cost_usd
            ELSE 0.0 END
        - CASE WHEN OLD.status IN ('reserved', 'succeeded') THEN OLD.est_cost_usd
            ELSE 0.0 END
    ) ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TABLE limits (
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL DEFAULT '*',
    channel_id TEXT NOT NULL DEFAULT '*',
    enabled INTEGER CHECK (enabled IN (0, 1)),
    user_daily_images INTEGER CHECK (user_daily_images >= 0),
    channel_daily_images INTEGER CHECK (channel_daily_images >= 0),
    user_daily_cost_usd REAL CHECK (user_daily_cost_usd >= 0),
    channel_daily_cost_usd REAL CHECK (channel_daily_cost_usd >= 0),
    max_n INTEGER CHECK (max_n >= 0),
    max_quality TEXT,
    allowed_sizes TEXT,
    cooldown_s INTEGER CHECK (cooldown_s >= 0),
    admins_exempt INTEGER CHECK (admins_exempt IN (0, 1)),
    others_can_vary INTEGER CHECK (others_can_vary IN (0, 1)),
    PRIMARY KEY (platform, workspace_id, channel_id)
);

CREATE TABLE limit_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    key TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

CREATE INDEX limit_changes_scope ON limit_changes (platform, workspace_id, channel_id, id);

CREATE TABLE channel_managers (
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (platform, workspace_id, channel_id, user_id)
);
