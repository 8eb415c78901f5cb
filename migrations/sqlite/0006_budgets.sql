-- Budgets by period and holder (issue 14). A reservation charges one counter per holder
-- (the person in their workspace, the channel, the workspace, the whole installation) and
-- period (the day, the week from Monday, the month from the 1st, in the scope's timezone):
-- usage.charges lists the keys of those counters as a JSON array of text, written by the
-- store (bot/store/budgets.py: 'day:2026-03-14:user:discord:G1:U1'), so a reservation reads
-- one row per limit and every later change of the row moves the same counters.
-- A counter counts as the day counters did: reserved rows n images, succeeded rows what
-- was delivered (unless 'undelivered'); dollars likewise. Expired reservations count
-- until they are settled as abandoned; a refused reservation settles them and tries again.
-- These counters replace usage_day_user and usage_day_channel.

ALTER TABLE usage ADD COLUMN charges TEXT NOT NULL DEFAULT '[]';

CREATE TABLE budget_counters (
    counter TEXT PRIMARY KEY,
    images INTEGER NOT NULL,
    cost_usd REAL NOT NULL
) WITHOUT ROWID;

-- The ledger so far charges its UTC day, week and month (nothing set a timezone before).
UPDATE usage SET charges = (
    SELECT json_group_array(p.period || ':' || p.first || ':' || h.name)
    FROM (
        SELECT 'daily' AS period, substr(usage.created_at, 1, 10) AS first
        UNION ALL SELECT 'weekly', date(substr(usage.created_at, 1, 10), 'weekday 0', '-6 days')
        UNION ALL SELECT 'monthly', substr(usage.created_at, 1, 7) || '-01'
    ) p, (
        SELECT 'user:' || usage.platform || ':' || usage.workspace_id || ':' || usage.user_id
            AS name
        UNION ALL SELECT 'channel:' || usage.platform || ':' || usage.workspace_id || ':'
            || usage.channel_id
        UNION ALL SELECT 'workspace:' || usage.platform || ':' || usage.workspace_id
        UNION ALL SELECT 'bot'
    ) h
);

INSERT INTO budget_counters (counter, images, cost_usd)
SELECT value,
    SUM(CASE WHEN status = 'succeeded' AND delivery IS NOT 'undelivered'
        THEN images_delivered WHEN status = 'reserved' THEN n ELSE 0 END),
    TOTAL(CASE WHEN status = 'reserved' OR (status = 'succeeded'
        AND delivery IS NOT 'undelivered') THEN est_cost_usd ELSE 0.0 END)
FROM usage, json_each(usage.charges) GROUP BY value;

DROP TRIGGER usage_day_insert;
DROP TRIGGER usage_day_update;
DROP TABLE usage_day_user;
DROP TABLE usage_day_channel;

CREATE TRIGGER budget_insert AFTER INSERT ON usage WHEN NEW.charges <> '[]'
BEGIN
    INSERT INTO budget_counters (counter, images, cost_usd)
    SELECT value,
        CASE WHEN NEW.status = 'succeeded' AND NEW.delivery IS NOT 'undelivered'
            THEN NEW.images_delivered WHEN NEW.status = 'reserved' THEN NEW.n ELSE 0 END,
        CASE WHEN NEW.status = 'reserved' OR (NEW.status = 'succeeded'
            AND NEW.delivery IS NOT 'undelivered') THEN NEW.est_cost_usd ELSE 0.0 END
    FROM json_each(NEW.charges) WHERE TRUE
    ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
END;

CREATE TRIGGER budget_update
AFTER UPDATE OF status, n, images_delivered, est_cost_usd, delivery ON usage
WHEN NEW.charges <> '[]'
BEGIN
    INSERT INTO budget_counters (counter, images, cost_usd)
    SELECT value,
        CASE WHEN NEW.status = 'succeeded' AND NEW.delivery IS NOT 'undelivered'
            THEN NEW.images_delivered WHEN NEW.status = 'reserved' THEN NEW.n ELSE 0 END
        - CASE WHEN OLD.status = 'succeeded' AND OLD.delivery IS NOT 'undelivered'
            THEN OLD.images_delivered WHEN OLD.status = 'reserved' THEN OLD.n ELSE 0 END,
        CASE WHEN NEW.status = 'reserved' OR (NEW.status = 'succeeded'
            AND NEW.delivery IS NOT 'undelivered') THEN NEW.est_cost_usd ELSE 0.0 END
        - CASE WHEN OLD.status = 'reserved' OR (OLD.status = 'succeeded'
            AND OLD.delivery IS NOT 'undelivered') THEN OLD.est_cost_usd ELSE 0.0 END
    FROM json_each(NEW.charges) WHERE TRUE
    ON CONFLICT DO UPDATE SET
        images = images + excluded.images, cost_usd = cost_usd + excluded.cost_usd;
END;

-- One row per budget threshold crossed in a period: the first process to insert it sends
-- the alert, every other finds the row taken.
CREATE TABLE alerts_sent (
    counter TEXT NOT NULL,
    threshold INTEGER NOT NULL CHECK (threshold > 0),
    platform TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    limit_key TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (counter, threshold)
);

CREATE INDEX alerts_sent_workspace ON alerts_sent (platform, workspace_id, sent_at);

-- The budget keys {user,channel,workspace,bot}_{daily,weekly,monthly}_{images,cost_usd}
-- beside the four daily ones, and the scope's IANA timezone.
ALTER TABLE limits ADD COLUMN user_weekly_images INTEGER CHECK (user_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN user_weekly_cost_usd REAL CHECK (user_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN user_monthly_images INTEGER CHECK (user_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN user_monthly_cost_usd REAL CHECK (user_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN channel_weekly_images INTEGER CHECK (channel_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN channel_weekly_cost_usd REAL CHECK (channel_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN channel_monthly_images INTEGER CHECK (channel_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN channel_monthly_cost_usd REAL CHECK (channel_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN workspace_daily_images INTEGER CHECK (workspace_daily_images >= 0);
ALTER TABLE limits ADD COLUMN workspace_daily_cost_usd REAL CHECK (workspace_daily_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN workspace_weekly_images INTEGER CHECK (workspace_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN workspace_weekly_cost_usd REAL CHECK (workspace_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN workspace_monthly_images INTEGER CHECK (workspace_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN workspace_monthly_cost_usd REAL CHECK (workspace_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN bot_daily_images INTEGER CHECK (bot_daily_images >= 0);
ALTER TABLE limits ADD COLUMN bot_daily_cost_usd REAL CHECK (bot_daily_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN bot_weekly_images INTEGER CHECK (bot_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN bot_weekly_cost_usd REAL CHECK (bot_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN bot_monthly_images INTEGER CHECK (bot_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN bot_monthly_cost_usd REAL CHECK (bot_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN timezone TEXT;
