-- Reservations in batches (bot/store/batch.py, bot/store/postgres_sql.py RESERVE): a process
-- sends the reservations waiting at one moment as one statement, so the counters every
-- reservation of a busy channel charges (the channel's, the workspace's, the bot's) are
-- locked, read and moved once per batch rather than once per reservation.
--
-- budget_check_many replaces budget_check (0007_budgets.sql). Its arguments describe the
-- batch as arrays (bot/store/postgres_sql.py `reserve_params`): `names`, every counter the
-- batch charges, sorted; per reservation, in order, the end of its charges in `charge_at`
-- and of its checks in `check_at`, `check_images` (images, else dollars) and
-- `check_allowed` (those hold indexes into `names`), then its images, dollars, the first
-- reservation of the batch with its idempotency key and with its person, its person,
-- moment, cooldown start (NULL: no cooldown) and whether it may be inserted at all.
-- It locks every counter of the batch in key order (creating missing ones), reads them
-- after the locks, then decides the reservations in order: each against the counters plus
-- the reservations of the batch granted before it (their images, dollars, idempotency keys
-- and request moments), exactly as if each had been its own statement. It returns, per
-- reservation in order, whether it may be inserted, whether its key is taken, the person's
-- last counted request within the cooldown and the used figure of each checked budget.
-- The statement inserts the granted rows, and the insert trigger moves the counters, under
-- the same locks. As before, a reservation's commit does not wait for the disk: it is a
-- hold that its settlement (committed durably) replaces.

DROP FUNCTION budget_check(
    TEXT[], TEXT[], TEXT[], DOUBLE PRECISION[], BIGINT, DOUBLE PRECISION, DOUBLE PRECISION,
    TEXT[], TIMESTAMPTZ, TIMESTAMPTZ
);

CREATE FUNCTION budget_check_many(
    names TEXT[], charge_end INTEGER[], charge_at INTEGER[], check_end INTEGER[],
    check_at INTEGER[], check_images BOOLEAN[], check_allowed DOUBLE PRECISION[],
    asked_images BIGINT[], asked_cost DOUBLE PRECISION[], first_key INTEGER[],
    first_person INTEGER[], keys TEXT[], platforms TEXT[], workspaces TEXT[], users TEXT[],
    moments TIMESTAMPTZ[], cooldowns TIMESTAMPTZ[], may_insert BOOLEAN[],
    epsilon DOUBLE PRECISION
) RETURNS TABLE (
    ok BOOLEAN, duplicate BOOLEAN, last_at TIMESTAMPTZ, used DOUBLE PRECISION[]
)
LANGUAGE plpgsql AS $$
DECLARE
    images BIGINT[];
    costs DOUBLE PRECISION[];
    stored BOOLEAN[];
    key_granted BOOLEAN[] := array_fill(FALSE, ARRAY[cardinality(keys)]);
    person_last TIMESTAMPTZ[] := array_fill(NULL::TIMESTAMPTZ, ARRAY[cardinality(keys)]);
    r INTEGER;
    k INTEGER;
    at INTEGER;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO budget_counters (counter, images, cost_usd)
    SELECT key, 0, 0 FROM unnest(names) key ORDER BY key COLLATE "C" ON CONFLICT DO NOTHING;
    PERFORM 1 FROM budget_counters c WHERE c.counter = ANY (names)
        ORDER BY c.counter FOR UPDATE;
    SELECT array_agg(c.images ORDER BY n.i), array_agg(c.cost_usd ORDER BY n.i)
    INTO images, costs
    FROM unnest(names) WITH ORDINALITY n (name, i)
    JOIN budget_counters c ON c.counter = n.name;
    SELECT array_agg(EXISTS (SELECT 1 FROM usage u WHERE u.idempotency_key = q.key)
        ORDER BY q.i)
    INTO stored FROM unnest(keys) WITH ORDINALITY q (key, i);
    FOR r IN 1 .. cardinality(keys) LOOP
        ok := TRUE;
        FOR k IN COALESCE(check_end[r - 1], 0) + 1 .. check_end[r] LOOP
            at := check_at[k];
            IF check_images[k] THEN
                ok := ok AND images[at] + asked_images[r] <= check_allowed[k];
            ELSE
                ok := ok AND costs[at] + asked_cost[r] - epsilon <= check_allowed[k];
            END IF;
        END LOOP;
        duplicate := stored[r] OR key_granted[first_key[r]];
        last_at := NULL;
        IF cooldowns[r] IS NOT NULL THEN
            SELECT MAX(u.created_at) INTO last_at FROM usage u
            WHERE u.platform = platforms[r] AND u.workspace_id = workspaces[r]
                AND u.user_id = users[r] AND u.created_at > cooldowns[r]
                AND (u.status = 'succeeded'
                    OR (u.status = 'reserved' AND u.deadline >= moments[r]));
            IF person_last[first_person[r]] > cooldowns[r] THEN
                last_at := GREATEST(last_at, person_last[first_person[r]]);
            END IF;
            ok := ok AND last_at IS NULL;
        END IF;
        ok := ok AND NOT duplicate AND may_insert[r];
        used := '{}';
        FOR k IN COALESCE(check_end[r - 1], 0) + 1 .. check_end[r] LOOP
            EXIT WHEN ok;
            used := used || CASE WHEN check_images[k] THEN images[check_at[k]]::DOUBLE PRECISION
                ELSE costs[check_at[k]] END;
        END LOOP;
        IF ok THEN
            key_granted[first_key[r]] := TRUE;
            person_last[first_person[r]] := GREATEST(person_last[first_person[r]], moments[r]);
            FOR k IN COALESCE(charge_end[r - 1], 0) + 1 .. charge_end[r] LOOP
                images[charge_at[k]] := images[charge_at[k]] + asked_images[r];
                costs[charge_at[k]] := costs[charge_at[k]] + asked_cost[r];
            END LOOP;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
