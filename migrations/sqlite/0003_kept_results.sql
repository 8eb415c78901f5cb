-- Made images are kept until they are delivered (bot/delivery.py).
--
-- usage.delivery says what happened to the images of a succeeded row:
--   NULL          nothing was made (reserved, failed, abandoned), or made before this column
--   'pending'     made and kept in kept_results; a delivery is under way
--   'delivered'   the platform (or the CLI's --out folder) confirmed it has the images
--   'undelivered' every try failed; kept for "Deliver again" until the retention ends
-- usage.delivery_at is when delivery last changed.
-- The day counters (limits) count what people received: a succeeded row counts unless it is
-- 'undelivered'. The admin's reports read the ledger and count everything billed.

ALTER TABLE usage ADD COLUMN delivery TEXT
    CHECK (delivery IN ('pending', 'delivered', 'undelivered'));
ALTER TABLE usage ADD COLUMN delivery_at TEXT;

CREATE INDEX usage_delivery_pending ON usage (delivery_at) WHERE delivery = 'pending';

-- The images of a request awaiting delivery, one row per image; deleted once delivered,
-- and purged IMAGINE_RESULT_RETENTION_HOURS after they were made.
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

DROP TRIGGER usage_day_insert;
DROP TRIGGER usage_day_update;

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
