"""The SQL text of the SQLite store, kept apart from the code that runs it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from bot.models import LIMIT_KEYS, LedgerEntry, Limits, Scope
from bot.store.common import (
    COST_EPSILON,
    counts_channel,
    counts_user,
    day_window,
    month_window,
)
from bot.store.sqlite_db import to_text

ENTRY_COLUMNS = tuple(f.name for f in fields(LedgerEntry))
SELECT_ENTRY = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM usage"
_COLUMNS = ", ".join(ENTRY_COLUMNS)
_VALUES = ", ".join(f":{name}" for name in ENTRY_COLUMNS)
TIMESTAMPS = ("created_at", "settled_at", "deadline")
SCOPE_EXACT = "platform = ? AND workspace_id = ? AND channel_id = ?"

# Reserved rows count until their deadline; succeeded rows count what was delivered.
IMAGES = (
    "CASE WHEN status = 'succeeded' THEN images_delivered "
    "WHEN status = 'reserved' AND deadline >= :now THEN n ELSE 0 END"
)
COST = (
    "CASE WHEN status = 'succeeded' OR (status = 'reserved' AND deadline >= :now) "
    "THEN est_cost_usd ELSE 0.0 END"
)
TODAY = "created_at >= :day_start AND created_at < :day_end"
THIS_MONTH = "created_at >= :month_start AND created_at < :month_end"

ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND deadline < :now"
)
SUCCEED = (
    "UPDATE usage SET status = 'succeeded', images_delivered = ?, input_tokens = ?, "
    "output_tokens = ?, est_cost_usd = ?, settled_at = ? "
    "WHERE id = ? AND status IN ('reserved', 'abandoned')"
)
FAIL = (
    "UPDATE usage SET status = 'failed', images_delivered = 0, est_cost_usd = 0, "
    "error_kind = ?, settled_at = ? WHERE id = ? AND status = 'reserved'"
)
PURGE_PROMPTS = "UPDATE usage SET prompt = NULL WHERE created_at < ? AND prompt IS NOT NULL"

PERIOD_TOTALS = (
    f"SELECT COALESCE(SUM(CASE WHEN {TODAY} THEN {IMAGES} ELSE 0 END), 0), "
    f"TOTAL(CASE WHEN {TODAY} THEN {COST} ELSE 0.0 END), "
    f"COALESCE(SUM({IMAGES}), 0), TOTAL({COST}), "
    f"COUNT(CASE WHEN status = 'failed' AND {TODAY} THEN 1 END) "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH}"
)

TOP_USERS = (
    f"SELECT user_id, COALESCE(SUM({IMAGES}), 0) AS images, TOTAL({COST}) AS cost "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH} AND status IN ('reserved', 'succeeded') "
    "GROUP BY user_id HAVING images > 0 OR cost > 0 "
    "ORDER BY images DESC, cost DESC, user_id LIMIT :top"
)

EXPORT_PAGE = (
    f"{SELECT_ENTRY} WHERE (created_at, id) > (:after_at, :after_id) AND created_at < :until "
    "ORDER BY created_at, id LIMIT :size"
)

SELECT_LIMITS = f"SELECT {', '.join(LIMIT_KEYS)} FROM limits WHERE {SCOPE_EXACT}"
UPSERT_LIMITS = (
    f"INSERT INTO limits (platform, workspace_id, channel_id, {', '.join(LIMIT_KEYS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' for _ in LIMIT_KEYS)}) "
    "ON CONFLICT (platform, workspace_id, channel_id) DO UPDATE SET "
    + ", ".join(f"{key} = excluded.{key}" for key in LIMIT_KEYS)
)
INSERT_LIMIT_CHANGE = (
    "INSERT INTO limit_changes (platform, workspace_id, channel_id, key, old_value, "
    "new_value, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
LIMIT_CHANGES = (
    "SELECT platform, workspace_id, channel_id, key, old_value, new_value, changed_by, "
    "changed_at FROM limit_changes WHERE {where} ORDER BY id"
)

ADD_MANAGER = (
    "INSERT INTO channel_managers (platform, workspace_id, channel_id, user_id, added_by, "
    "added_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
REMOVE_MANAGER = f"DELETE FROM channel_managers WHERE {SCOPE_EXACT} AND user_id = ?"
IS_MANAGER = (
    "SELECT 1 FROM channel_managers WHERE platform = ? AND workspace_id = ? "
    "AND channel_id IN (?, '*') AND user_id = ?"
)
MANAGERS = f"SELECT user_id FROM channel_managers WHERE {SCOPE_EXACT} ORDER BY added_at, user_id"

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
_LAST_REQUEST = (
    "(SELECT MAX(created_at) AS at FROM usage WHERE platform = :platform "
    "AND workspace_id = :workspace_id AND user_id = :user_id AND created_at > :cooldown_from "
    "AND status IN ('reserved', 'succeeded'))"
)
_NO_TOTALS = "(SELECT 0 AS images, 0.0 AS cost)"
_NO_REQUEST = "(SELECT NULL AS at)"
_KEY_TAKEN = "EXISTS (SELECT 1 FROM usage WHERE idempotency_key = :idempotency_key)"

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
    last = _LAST_REQUEST if "cooldown_s" in applied else _NO_REQUEST
    sources = f"FROM {user} u, {channel} c, {last} l"
    allowed = " AND ".join([f"NOT {_KEY_TAKEN}", *(_ALLOWED[key] for key in applied)])
    now = entry.created_at
    day_start, day_end = day_window(now)
    params = entry_params(entry) | applied
    params |= {
        "now": to_text(now),
        "day_start": to_text(day_start),
        "day_end": to_text(day_end),
        "day": day_start.date().isoformat(),
        "cooldown_from": to_text(now - timedelta(seconds=limits.cooldown_s or 0)),
    }
    return ReserveQueries(
        insert=f"INSERT INTO usage ({_COLUMNS}) SELECT {_VALUES} {sources} WHERE {allowed}",
        explain=f"SELECT {_KEY_TAKEN}, u.images, u.cost, c.images, c.cost, l.at {sources}",
        params=params,
    )


def _applied(limits: Limits) -> dict[str, object]:
    values = {key: getattr(limits, key) for key in _ALLOWED}
    return {
        key: value
        for key, value in values.items()
        if value is not None and (key != "cooldown_s" or value)
    }


def entry_params(entry: LedgerEntry) -> dict[str, object]:
    """A ledger row as named parameters, timestamps as text."""
    values: dict[str, object] = {name: getattr(entry, name) for name in ENTRY_COLUMNS}
    for key in TIMESTAMPS:
        moment = values[key]
        values[key] = to_text(moment) if isinstance(moment, datetime) else None
    return values


def period_params(now: datetime) -> dict[str, object]:
    """The moments `IMAGES`, `COST`, `TODAY` and `THIS_MONTH` compare against."""
    day, month = day_window(now), month_window(now)
    return {
        "now": to_text(now),
        "day_start": to_text(day[0]),
        "day_end": to_text(day[1]),
        "month_start": to_text(month[0]),
        "month_end": to_text(month[1]),
    }


def scope_filter(scope: Scope, user_id: str | None) -> tuple[str, dict[str, object]]:
    """A WHERE clause for a scope ('*' matches everything) and optionally one user."""
    parts: list[str] = []
    params: dict[str, object] = {}
    pairs = (
        ("platform", scope.platform),
        ("workspace_id", scope.workspace_id),
        ("channel_id", scope.channel_id),
        ("user_id", user_id),
    )
    for column, value in pairs:
        if value is not None and value != "*":
            parts.append(f"{column} = :{column}")
            params[column] = value
    return " AND ".join(parts) or "1", params
