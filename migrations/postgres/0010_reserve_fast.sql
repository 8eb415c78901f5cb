-- Reservations in batches (bot/store/batch.py, bot/store/postgres_sql.py RESERVE): a process
-- sends the reservations waiting at one moment as one statement, so the counters every
-- reservation of a busy channel charges (the channel's, the workspace's, the bot's) are
-- locked, read and moved once per batch rather than once per reservation.
--
-- budget_check_many replaces budget_check (0007_budgets.sql). `batch` is a JSON array, one
-- object per reservation: `charges` (the counter keys its row charges), `checked` (for each
-- budget it checks, the index of its counter in `charges`), `units` ('images' or
-- 'cost_usd'), `allowed`, `n`, `cost`, `key` (the idempotency key), `person` (platform,
-- workspace and user), `created_at`, `cooldown_from` (null: no cooldown) and
-- `may_insert`. It locks every counter of the batch in key order (creating missing ones),
-- reads them after the locks, then decides the reservations in order: each is checked
-- against the counters plus the reservations of the batch granted before it (their images,
-- dollars, idempotency keys and request times), exactly as if each had been its own
-- statement. It returns, per reservation in order, whether it may be inserted, whether its
-- key is taken, the person's last counted request within the cooldown and the used figure of
-- each checked budget. The statement inserts the granted rows and the insert trigger moves
-- the counters, under the same locks. As before, a reservation's commit does not wait for
-- the disk: it is a hold that its settlement (committed durably) replaces.

DROP FUNCTION budget_check(
    TEXT[], TEXT[], TEXT[], DOUBLE PRECISION[], BIGINT, DOUBLE PRECISION, DOUBLE PRECISION,
    TEXT[], TIMESTAMPTZ, TIMESTAMPTZ
);

CREATE FUNCTION budget_check_many(batch JSONB, epsilon DOUBLE PRECISION)
RETURNS TABLE (
    ok BOOLEAN, duplicate BOOLEAN, last_at TIMESTAMPTZ, used DOUBLE PRECISION[]
)
LANGUAGE plpgsql AS $$
DECLARE
    names TEXT[];
    images BIGINT[];
    costs DOUBLE PRECISION[];
    keys TEXT[] := '{}';
    people TEXT[] := '{}';
    moments TIMESTAMPTZ[] := '{}';
    entry JSONB;
    k INTEGER;
    at INTEGER;
    since TIMESTAMPTZ;
    moment TIMESTAMPTZ;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT array_agg(DISTINCT key COLLATE "C" ORDER BY key COLLATE "C") INTO names
    FROM jsonb_array_elements(batch) b, jsonb_array_elements_text(b->'charges') key;
    INSERT INTO budget_counters (counter, images, cost_usd)
    SELECT key, 0, 0 FROM unnest(names) key ORDER BY key COLLATE "C" ON CONFLICT DO NOTHING;
    PERFORM 1 FROM budget_counters c WHERE c.counter = ANY (names)
        ORDER BY c.counter FOR UPDATE;
    SELECT array_agg(c.images ORDER BY n.i), array_agg(c.cost_usd ORDER BY n.i)
    INTO images, costs
    FROM unnest(names) WITH ORDINALITY n (name, i)
    JOIN budget_counters c ON c.counter = n.name;
    FOR entry IN SELECT value FROM jsonb_array_elements(batch) LOOP
        ok := TRUE;
        used := '{}';
        FOR k IN 0 .. jsonb_array_length(entry->'checked') - 1 LOOP
            at := array_position(names, entry->'charges'->>((entry->'checked'->>k)::INTEGER));
            IF entry->'units'->>k = 'images' THEN
                used := used || images[at]::DOUBLE PRECISION;
                ok := ok AND images[at] + (entry->>'n')::BIGINT
                    <= (entry->'allowed'->>k)::DOUBLE PRECISION;
            ELSE
                used := used || costs[at];
                ok := ok AND costs[at] + (entry->>'cost')::DOUBLE PRECISION - epsilon
                    <= (entry->'allowed'->>k)::DOUBLE PRECISION;
            END IF;
        END LOOP;
        duplicate := entry->>'key' = ANY (keys)
            OR EXISTS (SELECT 1 FROM usage u WHERE u.idempotency_key = entry->>'key');
        last_at := NULL;
        since := (entry->>'cooldown_from')::TIMESTAMPTZ;
        moment := (entry->>'created_at')::TIMESTAMPTZ;
        IF since IS NOT NULL THEN
            SELECT MAX(u.created_at) INTO last_at FROM usage u
            WHERE u.platform = entry->'person'->>0 AND u.workspace_id = entry->'person'->>1
                AND u.user_id = entry->'person'->>2
                AND u.created_at > since
                AND (u.status = 'succeeded' OR (u.status = 'reserved' AND u.deadline >= moment));
            SELECT GREATEST(last_at, MAX(p.asked_at)) INTO last_at
            FROM unnest(people, moments) p (who, asked_at)
            WHERE p.who = entry->>'person' AND p.asked_at > since;
            ok := ok AND last_at IS NULL;
        END IF;
        ok := ok AND NOT duplicate AND (entry->>'may_insert')::BOOLEAN;
        IF ok THEN
            keys := keys || (entry->>'key');
            people := people || (entry->>'person');
            moments := moments || moment;
            FOR at IN SELECT array_position(names, key)
                FROM jsonb_array_elements_text(entry->'charges') key LOOP
                images[at] := images[at] + (entry->>'n')::BIGINT;
                costs[at] := costs[at] + (entry->>'cost')::DOUBLE PRECISION;
            END LOOP;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
