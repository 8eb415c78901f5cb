-- Made images are kept until they are delivered, as on SQLite
-- (migrations/sqlite/0003_kept_results.sql, which documents the delivery states):
-- usage.delivery is NULL, 'pending', 'delivered' or 'undelivered', and usage.delivery_at
-- is when it last changed. The day counters count a succeeded row unless it is
-- 'undelivered'; the admin's reports read the ledger and count everything billed.

ALTER TABLE usage ADD COLUMN delivery TEXT
    CHECK (delivery IN ('pending', 'delivered', 'undelivered'));
ALTER TABLE usage ADD COLUMN delivery_at TIMESTAMPTZ;

CREATE INDEX usage_delivery_pending ON usage (delivery_at) WHERE delivery = 'pending';

CREATE TABLE kept_results (
    usage_id TEXT COLLATE "C" NOT NULL REFERENCES usage (id),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (usage_id, idx)
);

CREATE INDEX kept_results_created ON kept_results (created_at);

CREATE OR REPLACE FUNCTION usage_day_delta_of(entry usage, sign INTEGER) RETURNS usage_day_delta
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(
        entry.platform, entry.workspace_id, entry.user_id, entry.channel_id,
        (entry.created_at AT TIME ZONE 'UTC')::date,
        sign * CASE WHEN entry.status = 'succeeded'
                AND entry.delivery IS DISTINCT FROM 'undelivered' THEN entry.images_delivered
            WHEN entry.status = 'reserved' THEN entry.n ELSE 0 END,
        sign * CASE WHEN entry.status = 'reserved' OR (entry.status = 'succeeded'
                AND entry.delivery IS DISTINCT FROM 'undelivered') THEN entry.est_cost_usd
            ELSE 0 END
    )::usage_day_delta
$$;

CREATE OR REPLACE FUNCTION usage_day_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM usage_day_add(ARRAY(
        SELECT delta
        FROM new_rows later JOIN old_rows earlier USING (id),
            LATERAL (VALUES (usage_day_delta_of(later, 1)), (usage_day_delta_of(earlier, -1)))
                moved (delta)
        WHERE (later.status, later.n, later.images_delivered, later.est_cost_usd, later.delivery)
            IS DISTINCT FROM
            (earlier.status, earlier.n, earlier.images_delivered, earlier.est_cost_usd,
                earlier.delivery)
    ));
    RETURN NULL;
END
$$;
