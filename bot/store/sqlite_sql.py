"""The SQL only the SQLite store runs: settling expired reservations, and a reservation's
insert that checks the limits in the same statement (the shared SQL is in sql.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import LedgerEntry, Limits
from bot.store.common import COST_EPSILON, counts_channel, counts_user
from bot.store.sql import (
    CHECK_COLUMNS,
    ENTRY_COLUMNS,
    ENTRY_VALUES,
    KEY_TAKEN,
    LAST_REQUEST,
    TODAY,
    reserve_params,
)

ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND deadline < :now"
)

# Today's charge of a user or a channel: the day's counter (kept by triggers, see the
# migration) less reservations that expired and are not yet settled as abandoned.
_COUNTED_TODAY = (
    "(SELECT d.images - x.images AS images, d.cost - x.cost AS cost FROM "
    "(SELECT COALESCE(SUM(images), 0) AS images, TOTAL(cost_usd) AS cost FROM {table} "
    "WHERE platform = :platform AND workspace_id = :workspace_id AND {column} = :{column} "
    "AND day = :day) d, "
    "(SELECT COALESCE(SUM(n), 0) AS images, TOTAL(est_cost_usd) AS cost "
    "FROM usage INDEXED BY usage_status_deadline "
    "WHERE status = 'reserved' AND deadline < :now AND platform = :platform "
    f"AND workspace_id = :workspace_id AND {{column}} = :{{column}} AND {TODAY}) x)"
)
_USER_TODAY = _COUNTED_TODAY.format(table="usage_day_user", column="user_id")
_CHANNEL_TODAY = _COUNTED_TODAY.format(table="usage_day_channel", column="channel_id")
_NO_TOTALS = "(SELECT 0 AS images, 0.0 AS cost)"
_NO_REQUEST = "(SELECT NULL AS at)"

# What each limit allows, in SQL; `check_quota` in common.py refuses exactly the complement.
_ALLOWED = {
    "user_daily_images": "u.images + :n <= :user_daily_images",
    "channel_daily_images": "c.images + :n <= :channel_daily_images",
    "user_daily_cost_usd": f"u.cost + :est_cost_usd <= :user_daily_cost_usd + {COST_EPSILON!r}",
    "channel_daily_cost_usd": (
        f"c.cost + :est_cost_usd <= :channel_daily_cost_usd + {COST_EPSILON!r}"
    ),
    "cooldown_s": "l.at IS NULL",
}


@dataclass(frozen=True)
class ReserveQueries:
    """The statements of one reservation and their parameters."""

    insert: str
    explain: str
    params: dict[str, object]


def reserve_queries(entry: LedgerEntry, limits: Limits, exempt: bool) -> ReserveQueries:
    """An insert that happens only within the limits, and a query that says why it did not."""
    applied = {} if exempt else _applied(limits)
    user = _USER_TODAY if applied and counts_user(limits) else _NO_TOTALS
    channel = _CHANNEL_TODAY if applied and counts_channel(limits) else _NO_TOTALS
    last = LAST_REQUEST if "cooldown_s" in applied else _NO_REQUEST
    sources = f"FROM {user} u, {channel} c, {last} l"
    allowed = " AND ".join([f"NOT {KEY_TAKEN}", *(_ALLOWED[key] for key in applied)])
    params = reserve_params(entry, limits.cooldown_s) | applied
    return ReserveQueries(
        insert=(
            f"INSERT INTO usage ({', '.join(ENTRY_COLUMNS)}) "
            f"SELECT {ENTRY_VALUES} {sources} WHERE {allowed}"
        ),
        explain=f"SELECT {CHECK_COLUMNS} {sources}",
        params=params,
    )


def _applied(limits: Limits) -> dict[str, object]:
    values = {key: getattr(limits, key) for key in _ALLOWED}
    return {
        key: value
        for key, value in values.items()
        if value is not None and (key != "cooldown_s" or value)
    }
