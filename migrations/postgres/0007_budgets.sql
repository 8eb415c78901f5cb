-- Budgets by period and holder (issue 14): the same tables as
-- migrations/sqlite/0006_budgets.sql, which documents them. usage.charges is the JSON array
-- of the counter keys a ledger row charges; statement-level triggers move those counters
-- in the same statement as the ledger, in one sorted upsert, so that transactions lock
-- counter rows in one order. A reservation is one statement (bot/store/postgres_sql.py):
-- budget_check below locks every counter the row will charge, in key order, reads them
-- and the person's last request after the locks, and the same statement inserts the row
-- when they allow it; every process charging a counter queues on its row lock.

ALTER TABLE usage ADD COLUMN charges TEXT NOT NULL DEFAULT '[]';

CREATE TABLE budget_counters (
    counter TEXT COLLATE "C" PRIMARY KEY,
    images BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL
);

DROP TRIGGER usage_day_insert ON usage;
DROP TRIGGER usage_day_update ON usage;
DROP FUNCTION usage_day_inserted();
DROP FUNCTION usage_day_updated();
DROP FUNCTION usage_day_add(usage_day_delta[]);
DROP FUNCTION usage_day_delta_of(usage, INTEGER);
DROP TYPE usage_day_delta;
DROP TABLE usage_day;

-- What one ledger row adds to each counter it charges (sign -1: takes back).
CREATE FUNCTION budget_deltas(entry usage, sign INTEGER)
RETURNS TABLE (counter TEXT, images BIGINT, cost_usd DOUBLE PRECISION)
LANGUAGE sql IMMUTABLE AS $$
    SELECT key,
        sign * CASE WHEN entry.status = 'succeeded'
                AND entry.delivery IS DISTINCT FROM 'undelivered' THEN entry.images_delivered
            WHEN entry.status = 'reserved' THEN entry.n ELSE 0 END,
        sign * CASE WHEN entry.status = 'reserved' OR (entry.status = 'succeeded'
                AND entry.delivery IS DISTINCT FROM 'undelivered') THEN entry.est_cost_usd
            ELSE 0 END
    FROM json_array_elements_text(entry.charges::json) key
$$;

-- The ledger so far charges its UTC day, week and month (nothing set a timezone before).
UPDATE usage SET charges = (
    SELECT json_agg(p.period || ':' || to_char(p.first, 'YYYY-MM-DD') || ':' || h.name)::text
    FROM (VALUES
        ('daily', date_trunc('day', usage.created_at AT TIME ZONE 'UTC')),
        ('weekly', date_trunc('week', usage.created_at AT TIME ZONE 'UTC')),
        ('monthly', date_trunc('month', usage.created_at AT TIME ZONE 'UTC'))
    ) p (period, first), (VALUES
        ('user:' || usage.platform || ':' || usage.workspace_id || ':' || usage.user_id),
        ('channel:' || usage.platform || ':' || usage.workspace_id || ':' || usage.channel_id),
        ('workspace:' || usage.platform || ':' || usage.workspace_id),
        ('bot')
    ) h (name)
);

INSERT INTO budget_counters (counter, images, cost_usd)
SELECT d.counter, SUM(d.images), SUM(d.cost_usd)
FROM usage, LATERAL budget_deltas(usage, 1) d GROUP BY d.counter ORDER BY d.counter;

CREATE FUNCTION budget_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO budget_counters AS c (counter, images, cost_usd)
    SELECT d.counter, SUM(d.images), SUM(d.cost_usd)
    FROM new_rows added, LATERAL budget_deltas(added, 1) d
    GROUP BY d.counter ORDER BY d.counter
    ON CONFLICT (counter) DO UPDATE SET
        images = c.images + excluded.images, cost_usd = c.cost_usd + excluded.cost_usd;
    RETURN NULL;
END
$$;

CREATE FUNCTION budget_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO budget_counters AS c (counter, images, cost_usd)
    SELECT d.counter, SUM(d.images), SUM(d.cost_usd)
    FROM new_rows later JOIN old_rows earlier USING (id),
        LATERAL (SELECT * FROM budget_deltas(later, 1)
            UNION ALL SELECT * FROM budget_deltas(earlier, -1)) d
    WHERE (later.status, later.n, later.images_delivered, later.est_cost_usd, later.delivery)
        IS DISTINCT FROM
        (earlier.status, earlier.n, earlier.images_delivered, earlier.est_cost_usd,
            earlier.delivery)
    GROUP BY d.counter
    HAVING SUM(d.images) <> 0 OR SUM(d.cost_usd) <> 0
    ORDER BY d.counter
    ON CONFLICT (counter) DO UPDATE SET
        images = c.images + excluded.images, cost_usd = c.cost_usd + excluded.cost_usd;
    RETURN NULL;
END
$$;

CREATE TRIGGER budget_insert AFTER INSERT ON usage
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION budget_inserted();

CREATE TRIGGER budget_update AFTER UPDATE ON usage
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION budget_updated();

-- A reservation's check, run inside its INSERT statement: lock every counter the row will
-- charge (creating missing ones), in key order; then, reading after the locks, the used
-- figure of each checked counter (`units`: 'images' or 'cost_usd'), whether each allows
-- `images` and `cost` more under `allowed` (NULL: no check), and the person's last counted
-- request since `cooldown_from` (NULL: no cooldown). A reservation is a hold that its
-- settlement (committed durably, flushing everything before it) replaces, so its own
-- commit does not wait for the disk: a server crash can forget holds, never charges.
CREATE FUNCTION budget_check(
    charges TEXT[], checked TEXT[], units TEXT[], allowed DOUBLE PRECISION[],
    images BIGINT, cost DOUBLE PRECISION, epsilon DOUBLE PRECISION,
    person TEXT[], cooldown_from TIMESTAMPTZ, now TIMESTAMPTZ
) RETURNS TABLE (ok BOOLEAN, used DOUBLE PRECISION[], last_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO budget_counters (counter, images, cost_usd)
    SELECT key, 0, 0 FROM unnest(charges) key ORDER BY key ON CONFLICT DO NOTHING;
    PERFORM 1 FROM budget_counters c WHERE c.counter = ANY (charges)
        ORDER BY c.counter FOR UPDATE;
    SELECT COALESCE(array_agg(CASE WHEN b.unit = 'images' THEN c.images::float8
            ELSE c.cost_usd END ORDER BY b.i), '{}'),
        COALESCE(bool_and(CASE WHEN b.unit = 'images' THEN c.images + budget_check.images
            ELSE c.cost_usd + cost - epsilon END <= b.lim), TRUE)
    INTO used, ok
    FROM unnest(checked, units, allowed) WITH ORDINALITY b (counter, unit, lim, i)
    JOIN budget_counters c ON c.counter = b.counter;
    IF cooldown_from IS NOT NULL THEN
        SELECT MAX(u.created_at) INTO last_at FROM usage u
        WHERE u.platform = person[1] AND u.workspace_id = person[2] AND u.user_id = person[3]
            AND u.created_at > cooldown_from
            AND (u.status = 'succeeded' OR (u.status = 'reserved' AND u.deadline >= now));
        ok := ok AND last_at IS NULL;
    END IF;
    RETURN NEXT;
END
$$;

CREATE TABLE alerts_sent (
    counter TEXT COLLATE "C" NOT NULL,
    threshold INTEGER NOT NULL CHECK (threshold > 0),
    platform TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL,
    limit_key TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (counter, threshold)
);

CREATE INDEX alerts_sent_workspace ON alerts_sent (platform, workspace_id, sent_at);

ALTER TABLE limits ADD COLUMN user_weekly_images BIGINT CHECK (user_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN user_weekly_cost_usd DOUBLE PRECISION CHECK (user_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN user_monthly_images BIGINT CHECK (user_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN user_monthly_cost_usd DOUBLE PRECISION CHECK (user_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN channel_weekly_images BIGINT CHECK (channel_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN channel_weekly_cost_usd DOUBLE PRECISION CHECK (channel_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN channel_monthly_images BIGINT CHECK (channel_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN channel_monthly_cost_usd DOUBLE PRECISION CHECK (channel_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN workspace_daily_images BIGINT CHECK (workspace_daily_images >= 0);
ALTER TABLE limits ADD COLUMN workspace_daily_cost_usd DOUBLE PRECISION CHECK (workspace_daily_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN workspace_weekly_images BIGINT CHECK (workspace_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN workspace_weekly_cost_usd DOUBLE PRECISION CHECK (workspace_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN workspace_monthly_images BIGINT CHECK (workspace_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN workspace_monthly_cost_usd DOUBLE PRECISION CHECK (workspace_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN bot_daily_images BIGINT CHECK (bot_daily_images >= 0);
ALTER TABLE limits ADD COLUMN bot_daily_cost_usd DOUBLE PRECISION CHECK (bot_daily_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN bot_weekly_images BIGINT CHECK (bot_weekly_images >= 0);
ALTER TABLE limits ADD COLUMN bot_weekly_cost_usd DOUBLE PRECISION CHECK (bot_weekly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN bot_monthly_images BIGINT CHECK (bot_monthly_images >= 0);
ALTER TABLE limits ADD COLUMN bot_monthly_cost_usd DOUBLE PRECISION CHECK (bot_monthly_cost_usd >= 0);
ALTER TABLE limits ADD COLUMN timezone TEXT;
