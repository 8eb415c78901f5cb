"""The SQL both stores run word for word, with `:name` parameters, and how its rows read back.

SQLite takes `:name` parameters as they are; the PostgreSQL store numbers them (`bind` in
postgres_sql.py). Moments go in as datetimes: the SQLite store writes them as text
(sqlite_db.py) and hands the readers below `from_column` to read them back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.models import (
    LIMIT_KEYS,
    CostSource,
    LedgerEntry,
    LimitChange,
    Limits,
    Options,
    Scope,
    TokenUsage,
)
from bot.store.budgets import window, zone
from bot.store.common import limits_from_columns, utc

Fetch = Callable[[str, Mapping[str, object]], Awaitable[list[Any]]]
Decode = Callable[[Any], Any]  # reads back a moment stored as something else (text)

# A ledger row's columns, in LedgerEntry's order; its options are kept as JSON text.
ENTRY_COLUMNS = tuple(
    "options_json" if f.name == "options" else f.name for f in fields(LedgerEntry)
)
_ENTRY_FIELDS = tuple(f.name for f in fields(LedgerEntry))
_OPTION_NAMES = frozenset(f.name for f in fields(Options))
TIMESTAMPS = ("created_at", "settled_at", "deadline", "delivery_at")
SELECT_ENTRY = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM usage"
ENTRY_VALUES = ", ".join(f":{name}" for name in ENTRY_COLUMNS)
SCOPE_EXACT = "platform = :platform AND workspace_id = :workspace_id AND channel_id = :channel_id"

# Reserved rows count until their deadline; succeeded rows count what was delivered.
COUNTED = "(status = 'succeeded' OR (status = 'reserved' AND deadline >= :now))"
IMAGES = (
    "CASE WHEN status = 'succeeded' THEN images_delivered "
    "WHEN status = 'reserved' AND deadline >= :now THEN n ELSE 0 END"
)
COST = f"CASE WHEN {COUNTED} THEN est_cost_usd ELSE 0.0 END"
TODAY = "created_at >= :day_start AND created_at < :day_end"
THIS_MONTH = "created_at >= :month_start AND created_at < :month_end"

# A succeeded row's images are on their way to the person (see delivery_sql.py).
SUCCEED = (
    "UPDATE usage SET status = 'succeeded', images_delivered = :images, "
    "input_tokens = :input_tokens, output_tokens = :output_tokens, est_cost_usd = :cost, "
    "cost_source = :cost_source, settled_at = :now, delivery = 'pending', delivery_at = :now "
    "WHERE id = :id AND status IN ('reserved', 'abandoned')"
)
FAIL = (
    "UPDATE usage SET status = 'failed', images_delivered = 0, est_cost_usd = 0, "
    "error_kind = :error_kind, settled_at = :now WHERE id = :id AND status = 'reserved'"
)
PURGE_PROMPTS = "UPDATE usage SET prompt = NULL WHERE created_at < :before AND prompt IS NOT NULL"

PERIOD_TOTALS = (
    f"SELECT COALESCE(SUM(CASE WHEN {TODAY} THEN {IMAGES} ELSE 0 END), 0), "
    f"COALESCE(SUM(CASE WHEN {TODAY} THEN {COST} ELSE 0.0 END), 0.0), "
    f"COALESCE(SUM({IMAGES}), 0), COALESCE(SUM({COST}), 0.0), "
    f"COUNT(CASE WHEN status = 'failed' AND {TODAY} THEN 1 END) "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH}"
)
TOP_USERS = (
    f"SELECT user_id, COALESCE(SUM({IMAGES}), 0) AS images, COALESCE(SUM({COST}), 0.0) AS cost "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH} AND status IN ('reserved', 'succeeded') "
    f"GROUP BY user_id HAVING SUM({IMAGES}) > 0 OR SUM({COST}) > 0 "
    "ORDER BY images DESC, cost DESC, user_id LIMIT :top"
)
BY_MODEL = (
    "SELECT model, cost_source, COALESCE(SUM(images_delivered), 0), "
    "COALESCE(SUM(est_cost_usd), 0.0) "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH} AND status = 'succeeded' "
    "GROUP BY model, cost_source ORDER BY model, cost_source"
)
EXPORT_PAGE = (
    f"{SELECT_ENTRY} WHERE {{where}} AND (created_at, id) > (:after_at, :after_id) "
    "AND created_at < :until ORDER BY created_at, id LIMIT :size"
)

SELECT_LIMITS = f"SELECT {', '.join(LIMIT_KEYS)} FROM limits WHERE {SCOPE_EXACT}"
# The limits of several scopes at once: `limits_of_many` adds one row value per scope.
SELECT_MANY_LIMITS = (
    f"SELECT platform, workspace_id, channel_id, {', '.join(LIMIT_KEYS)} FROM limits "
    "WHERE (platform, workspace_id, channel_id) IN (VALUES {scopes})"
)
# The role tiers ('role:ID') and person overrides ('user:ID') of one workspace.
SELECT_TIERS = (
    f"SELECT channel_id, {', '.join(LIMIT_KEYS)} FROM limits "
    "WHERE platform = :platform AND workspace_id = :workspace_id "
    "AND (channel_id LIKE 'role:%' OR channel_id LIKE 'user:%') ORDER BY channel_id"
)
UPSERT_LIMITS = (
    f"INSERT INTO limits (platform, workspace_id, channel_id, {', '.join(LIMIT_KEYS)}) "
    f"VALUES (:platform, :workspace_id, :channel_id, {', '.join(f':{k}' for k in LIMIT_KEYS)}) "
    "ON CONFLICT (platform, workspace_id, channel_id) DO UPDATE SET "
    + ", ".join(f"{key} = excluded.{key}" for key in LIMIT_KEYS)
)
# Takes the scope's row lock (on PostgreSQL; SQLite's transaction holds the write lock), so
# that two changes of one scope are audited one after the other.
LOCK_LIMITS = (
    "INSERT INTO limits (platform, workspace_id, channel_id) "
    "VALUES (:platform, :workspace_id, :channel_id) "
    "ON CONFLICT (platform, workspace_id, channel_id) DO UPDATE SET platform = excluded.platform"
)
INSERT_LIMIT_CHANGE = (
    "INSERT INTO limit_changes (platform, workspace_id, channel_id, key, old_value, "
    "new_value, changed_by, changed_at) VALUES (:platform, :workspace_id, :channel_id, "
    ":key, :old_value, :new_value, :changed_by, :changed_at)"
)
LIMIT_CHANGES = (
    "SELECT platform, workspace_id, channel_id, key, old_value, new_value, changed_by, "
    "changed_at FROM limit_changes WHERE {where} ORDER BY id"
)

ADD_MANAGER = (
    "INSERT INTO channel_managers (platform, workspace_id, channel_id, user_id, added_by, "
    "added_at) VALUES (:platform, :workspace_id, :channel_id, :user_id, :added_by, :now) "
    "ON CONFLICT DO NOTHING"
)
REMOVE_MANAGER = f"DELETE FROM channel_managers WHERE {SCOPE_EXACT} AND user_id = :user_id"
IS_MANAGER = (
    "SELECT 1 FROM channel_managers WHERE platform = :platform "
    "AND workspace_id = :workspace_id AND channel_id IN (:channel_id, '*') AND user_id = :user_id"
)
MANAGERS = f"SELECT user_id FROM channel_managers WHERE {SCOPE_EXACT} ORDER BY added_at, user_id"

# The pieces of a reservation's check (reserve_sql.py).
KEY_TAKEN = "EXISTS (SELECT 1 FROM usage WHERE idempotency_key = :idempotency_key)"
LAST_REQUEST = (
    "(SELECT MAX(created_at) AS at FROM usage WHERE platform = :platform "
    "AND workspace_id = :workspace_id AND user_id = :user_id "
    f"AND created_at > :cooldown_from AND {COUNTED})"
)


def scope_params(scope: Scope) -> dict[str, object]:
    """The parameters of SCOPE_EXACT."""
    return {
        "platform": scope.platform,
        "workspace_id": scope.workspace_id,
        "channel_id": scope.channel_id,
    }


def many_scopes(scopes: Sequence[Scope]) -> tuple[str, dict[str, object]]:
    """SELECT_MANY_LIMITS for some scopes, and its parameters."""
    params: dict[str, object] = {}
    for index, scope in enumerate(scopes):
        params |= {f"p{index}": scope.platform, f"w{index}": scope.workspace_id}
        params[f"c{index}"] = scope.channel_id
    values = ", ".join(f"(:p{i}, :w{i}, :c{i})" for i in range(len(scopes)))
    return SELECT_MANY_LIMITS.format(scopes=values), params


def scope_filter(scope: Scope, user_id: str | None) -> tuple[str, dict[str, object]]:
    """A WHERE clause for a scope ('*' matches everything) and optionally one user."""
    pairs = (
        ("platform", scope.platform),
        ("workspace_id", scope.workspace_id),
        ("channel_id", scope.channel_id),
        ("user_id", user_id),
    )
    params = {column: value for column, value in pairs if value is not None and value != "*"}
    return " AND ".join(f"{column} = :{column}" for column in params) or "TRUE", dict(params)


def period_params(now: datetime, timezone: str | None) -> dict[str, object]:
    """The moments `IMAGES`, `COST`, `TODAY` and `THIS_MONTH` compare against: the day and
    the month holding `now` in an IANA timezone (UTC when unset or unknown)."""
    tz = zone(timezone)
    day, month = window("daily", now, tz), window("monthly", now, tz)
    return {
        "now": now,
        "day_start": day.starts_at,
        "day_end": day.resets_at,
        "month_start": month.starts_at,
        "month_end": month.resets_at,
    }


def entry_values(entry: LedgerEntry) -> dict[str, object]:
    """A ledger row as column values: its options as JSON text."""
    values = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    values["options_json"] = options_json(values.pop("options"))
    return values


@lru_cache(maxsize=256)
def options_json(options: Options) -> str:
    """A ledger row's options as the JSON text its column keeps."""
    return json.dumps(asdict(options), sort_keys=True)


def options_from_json(text: str) -> Options:
    """A ledger row's options read back (keys this code no longer knows are left out)."""
    decoded = json.loads(text or "{}")
    return Options(**{key: value for key, value in decoded.items() if key in _OPTION_NAMES})


def succeed_params(
    entry_id: str,
    images: int,
    usage: TokenUsage | None,
    cost_usd: float,
    now: datetime,
    cost_source: CostSource,
) -> dict[str, object]:
    """The parameters of SUCCEED."""
    tokens = usage or TokenUsage()
    return {
        "id": entry_id,
        "images": images,
        "input_tokens": tokens.input_tokens,
        "output_tokens": tokens.output_tokens,
        "cost": float(cost_usd),
        "cost_source": cost_source,
        "now": utc(now),
    }


def limit_values(limits: Limits) -> dict[str, object]:
    """Limits as column values: sizes become comma-separated text, the rest stay as they are."""
    values: dict[str, object] = {}
    for key in LIMIT_KEYS:
        value = getattr(limits, key)
        values[key] = ",".join(map(str, value)) if isinstance(value, tuple) else value
    return values


def change_params(change: LimitChange) -> dict[str, object]:
    """The parameters of INSERT_LIMIT_CHANGE."""
    return scope_params(change.scope) | {
        "key": change.key,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "changed_by": change.changed_by,
        "changed_at": change.changed_at,
    }


def limits_from_rows(rows: Sequence[Sequence[Any]]) -> Limits:
    """Limits from the rows of SELECT_LIMITS (none: every key unset)."""
    return limits_from_columns(dict(zip(LIMIT_KEYS, rows[0], strict=True)) if rows else {})


def entry_from_row(row: Sequence[Any], timestamp: Decode | None = None) -> LedgerEntry:
    """A ledger row in ENTRY_COLUMNS order; `timestamp` reads its moments when they are text."""
    values = dict(zip(ENTRY_COLUMNS, row, strict=True))
    values["options"] = options_from_json(values.pop("options_json"))
    if timestamp is not None:
        for key in TIMESTAMPS:
            values[key] = timestamp(values[key])
    return LedgerEntry(**values)


def change_from_row(row: Sequence[Any], timestamp: Decode | None = None) -> LimitChange:
    """An audit entry from a row of LIMIT_CHANGES."""
    platform, workspace_id, channel_id, key, old, new, by, at = row
    moment = at if timestamp is None else timestamp(at)
    return LimitChange(Scope(platform, workspace_id, channel_id), key, old, new, by, moment)
