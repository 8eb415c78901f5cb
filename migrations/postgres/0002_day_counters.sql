-- What each user and each channel is charged per UTC day, as SQLite keeps it
-- (migrations/sqlite/0001_initial.sql): reserved rows count n images, succeeded rows what
-- was delivered; dollars likewise. A reservation reads one counter row per limit instead
-- of summing the day's ledger rows; expired reservations not yet settled as abandoned are
-- subtracted by the reservation query (bot/store/postgres_sql.py).
--
-- The counters move in the same statement as the ledger, through statement-level
-- triggers. Each statement adds its changes to the counter rows in one sorted upsert, so
-- every transaction locks counter rows in the same order and a settle of many rows
-- (abandoning expired reservations) never deadlocks with a reservation.

CREATE TABLE usage_day (
    platform TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL,
    per TEXT COLLATE "C" NOT NULL CHECK (per IN ('channel', 'user')),
    per_id TEXT COLLATE "C" NOT NULL,
    day DATE NOT NULL,
    images BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (platform, workspace_id, per, per_id, day)
);

-- A reservation's expired, unsettled rows, found per user and per channel. Each index
-- leads with its own column, so the user's query cannot borrow the channel's index (and
-- walk a whole workspace) while the table has no statistics yet.
CREATE INDEX usage_reserved_user ON usage (user_id, platform, workspace_id, deadline)
    WHERE status = 'reserved';
CREATE INDEX usage_reserved_channel ON usage (channel_id, platform, workspace_id, deadline)
    WHERE status = 'reserved';

-- What one ledger row adds to its user's and its channel's day (sign -1: takes back).
CREATE TYPE usage_day_delta AS (
    platform TEXT,
    workspace_id TEXT,
    user_id TEXT,
    channel_id TEXT,
    day DATE,
    images BIGINT,
    cost_usd DOUBLE PRECISION
);

CREATE FUNCTION usage_day_delta_of(entry usage, sign INTEGER) RETURNS usage_day_delta
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(
        entry.platform, entry.workspace_id, entry.user_id, entry.channel_id,
        (entry.created_at AT TIME ZONE 'UTC')::date,
        sign * CASE entry.status WHEN 'succeeded' THEN entry.images_delivered
            WHEN 'reserved' THEN entry.n ELSE 0 END,
        sign * CASE WHEN entry.status IN ('reserved', 'succeeded') THEN entry.est_cost_usd
            ELSE 0 END
    )::usage_day_delta
$$;

CREATE FUNCTION usage_day_add(deltas usage_day_delta[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO usage_day AS counter (platform, workspace_id, per, per_id, day, images, cost_usd)
    SELECT d.platform, d.workspace_id, k.per, k.per_id, d.day, SUM(d.images), SUM(d.cost_usd)
    FROM unnest(deltas) d,
        LATERAL (VALUES ('channel', d.channel_id), ('user', d.user_id)) k (per, per_id)
    GROUP BY 1, 2, 3, 4, 5
    HAVING SUM(d.images) <> 0 OR SUM(d.cost_usd) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (platform, workspace_id, per, per_id, day) DO UPDATE SET
        images = counter.images + excluded.images,
        cost_usd = counter.cost_usd + excluded.cost_usd
$$;

CREATE FUNCTION usage_day_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM usage_day_add(ARRAY(SELECT usage_day_delta_of(added, 1) FROM new_rows added));
    RETURN NULL;
END
$$;

-- Ledger rows never change scope or day: only their charge moves. Updates that move no
-- charge (forgetting prompts) add nothing.
CREATE FUNCTION usage_day_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM usage_day_add(ARRAY(
        SELECT delta
        FROM new_rows later JOIN old_rows earlier USING (id),
            LATERAL (VALUES (usage_day_delta_of(later, 1)), (usage_day_delta_of(earlier, -1)))
                moved (delta)
        WHERE (later.status, later.n, later.images_delivered, later.est_cost_usd)
            IS DISTINCT FROM
            (earlier.status, earlier.n, earlier.images_delivered, earlier.est_cost_usd)
    ));
    RETURN NULL;
END
$$;

-- Transition tables rule out a column list (UPDATE OF ...): every update statement fires.
CREATE TRIGGER usage_day_insert AFTER INSERT ON usage
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_day_inserted();

CREATE TRIGGER usage_day_update AFTER UPDATE ON usage
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_day_updated();

-- Count what the ledger already holds, one delta per user, channel and day.
SELECT usage_day_add(ARRAY(
    SELECT ROW(d.platform, d.workspace_id, d.user_id, d.channel_id, d.day,
        SUM(d.images), SUM(d.cost_usd))::usage_day_delta
    FROM usage, LATERAL usage_day_delta_of(usage, 1) d
    GROUP BY d.platform, d.workspace_id, d.user_id, d.channel_id, d.day
));
