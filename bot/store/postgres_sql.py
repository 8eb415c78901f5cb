"""The SQL text of the PostgreSQL store, kept apart from the code that runs it, and the
small helpers around it: parameters, advisory lock keys, database URLs.

Queries name their parameters (`:now`); `bind` turns the names into asyncpg's `$1, $2, ...`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.errors import ConfigError
from bot.models import LIMIT_KEYS, LedgerEntry, Limits, Scope
from bot.store.common import counts_channel, counts_user, day_window, month_window

ENTRY_COLUMNS = tuple(f.name for f in fields(LedgerEntry))
SELECT_ENTRY = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM usage"
INSERT_ENTRY = (
    f"INSERT INTO usage ({', '.join(ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join(f':{name}' for name in ENTRY_COLUMNS)}) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
SCOPE_EXACT = "platform = :platform AND workspace_id = :workspace_id AND channel_id = :channel_id"
LOCK = "SELECT pg_advisory_xact_lock($1)"

# Reserved rows count until their deadline; succeeded rows count what was delivered.
COUNTED = "(status = 'succeeded' OR (status = 'reserved' AND deadline >= :now))"
IMAGES = (
    "CASE WHEN status = 'succeeded' THEN images_delivered "
    "WHEN status = 'reserved' AND deadline >= :now THEN n ELSE 0 END"
)
COST = f"CASE WHEN {COUNTED} THEN est_cost_usd ELSE 0 END"
TODAY = "created_at >= :day_start AND created_at < :day_end"
THIS_MONTH = "created_at >= :month_start AND created_at < :month_end"

# SKIP LOCKED: a row another transaction is settling is that transaction's to settle.
ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND id IN (SELECT id FROM usage "
    "WHERE status = 'reserved' AND deadline < :now FOR UPDATE SKIP LOCKED)"
)
SUCCEED = (
    "UPDATE usage SET status = 'succeeded', images_delivered = :images, "
    "input_tokens = :input_tokens, output_tokens = :output_tokens, est_cost_usd = :cost, "
    "settled_at = :now WHERE id = :id AND status IN ('reserved', 'abandoned')"
)
FAIL = (
    "UPDATE usage SET status = 'failed', images_delivered = 0, est_cost_usd = 0, "
    "error_kind = :error_kind, settled_at = :now WHERE id = :id AND status = 'reserved'"
)
PURGE_PROMPTS = "UPDATE usage SET prompt = NULL WHERE created_at < :before AND prompt IS NOT NULL"

PERIOD_TOTALS = (
    f"SELECT COALESCE(SUM(CASE WHEN {TODAY} THEN {IMAGES} ELSE 0 END), 0), "
    f"COALESCE(SUM(CASE WHEN {TODAY} THEN {COST} ELSE 0 END), 0), "
    f"COALESCE(SUM({IMAGES}), 0), COALESCE(SUM({COST}), 0), "
    f"COUNT(*) FILTER (WHERE status = 'failed' AND {TODAY}) "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH}"
)
TOP_USERS = (
    f"SELECT user_id, COALESCE(SUM({IMAGES}), 0) AS images, COALESCE(SUM({COST}), 0) AS cost "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH} AND status IN ('reserved', 'succeeded') "
    f"GROUP BY user_id HAVING SUM({IMAGES}) > 0 OR SUM({COST}) > 0 "
    "ORDER BY images DESC, cost DESC, user_id LIMIT :top"
)
EXPORT_PAGE = (
    f"{SELECT_ENTRY} WHERE (created_at, id) > (:after_at, :after_id) AND created_at < :until "
    "ORDER BY created_at, id LIMIT :size"
)

SELECT_LIMITS = f"SELECT {', '.join(LIMIT_KEYS)} FROM limits WHERE {SCOPE_EXACT}"
UPSERT_LIMITS = (
    f"INSERT INTO limits (platform, workspace_id, channel_id, {', '.join(LIMIT_KEYS)}) "
    f"VALUES (:platform, :workspace_id, :channel_id, {', '.join(f':{k}' for k in LIMIT_KEYS)}) "
    "ON CONFLICT (platform, workspace_id, channel_id) DO UPDATE SET "
    + ", ".join(f"{key} = excluded.{key}" for key in LIMIT_KEYS)
)
INSERT_LIMIT_CHANGE = (
    "INSERT INTO limit_changes (platform, workspace_id, channel_id, key, old_value, "
    "new_value, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
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

# What a reservation reads once it holds the locks of its user and its channel.
_TODAY_OF = (
    f"(SELECT COALESCE(SUM({IMAGES}), 0) AS images, COALESCE(SUM({COST}), 0) AS cost "
    "FROM usage WHERE platform = :platform AND workspace_id = :workspace_id "
    "AND {column} = :{column} AND status IN ('reserved', 'succeeded') "
    f"AND {TODAY})"
)
_LAST_REQUEST = (
    "(SELECT MAX(created_at) AS at FROM usage WHERE platform = :platform "
    "AND workspace_id = :workspace_id AND user_id = :user_id "
    f"AND created_at > :cooldown_from AND {COUNTED})"
)
_NO_TOTALS = "(SELECT 0 AS images, 0.0::float8 AS cost)"
_NO_REQUEST = "(SELECT NULL::timestamptz AS at)"
_KEY_TAKEN = "EXISTS (SELECT 1 FROM usage WHERE idempotency_key = :idempotency_key)"

_NAME = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def bind(sql: str, params: Mapping[str, object]) -> tuple[str, list[object]]:
    """SQL with `:name` parameters as asyncpg's numbered ones, and the values in order."""
    text, names = _numbered(sql)
    return text, [params[name] for name in names]


@lru_cache(maxsize=512)
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    return _NAME.sub(number, sql), tuple(names)


def advisory_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for a name; a collision only serialises more."""
    name = "\x1f".join(("imagine-bot", *parts)).encode()
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)


MIGRATION_LOCK = advisory_key("migrate")


def reserve_check(limits: Limits, exempt: bool) -> str:
    """Whether the idempotency key is taken, and the day's totals and last request the limits
    need (zeros and NULL for what they do not)."""
    checked = not exempt and limits.enabled is not False
    user = _TODAY_OF.format(column="user_id") if checked and counts_user(limits) else _NO_TOTALS
    channel = (
        _TODAY_OF.format(column="channel_id") if checked and counts_channel(limits) else _NO_TOTALS
    )
    last = _LAST_REQUEST if checked and limits.cooldown_s else _NO_REQUEST
    return (
        f"SELECT {_KEY_TAKEN}, u.images, u.cost, c.images, c.cost, l.at "
        f"FROM {user} u, {channel} c, {last} l"
    )


def reserve_params(entry: LedgerEntry, cooldown_s: int | None) -> dict[str, object]:
    """The parameters of `reserve_check` and `INSERT_ENTRY` for one ledger row."""
    now = entry.created_at
    day_start, day_end = day_window(now)
    values: dict[str, object] = {name: getattr(entry, name) for name in ENTRY_COLUMNS}
    return values | {
        "now": now,
        "day_start": day_start,
        "day_end": day_end,
        "cooldown_from": now - timedelta(seconds=cooldown_s or 0),
    }


def period_params(now: datetime) -> dict[str, object]:
    """The moments `IMAGES`, `COST`, `TODAY` and `THIS_MONTH` compare against."""
    day, month = day_window(now), month_window(now)
    return {
        "now": now,
        "day_start": day[0],
        "day_end": day[1],
        "month_start": month[0],
        "month_end": month[1],
    }


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


def limit_values(limits: Limits) -> dict[str, object]:
    """Limits as column values: booleans stay booleans, sizes become comma-separated text."""
    values: dict[str, object] = {}
    for key in LIMIT_KEYS:
        value = getattr(limits, key)
        values[key] = ",".join(value) if isinstance(value, tuple) else value
    return values


def safe_url(url: str) -> str:
    """A PostgreSQL URL fit for messages: no password, no query."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


POOL_SIZE = 10
_POOL_SIZE_KEY = "pool_size"


def pool_url(url: str) -> tuple[str, int]:
    """The URL for asyncpg, without imagine-bot's own `pool_size` parameter, and that size."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    sizes = [value for key, value in query if key == _POOL_SIZE_KEY]
    if not sizes:
        return url, POOL_SIZE
    if not sizes[-1].isdigit() or not 1 <= int(sizes[-1]) <= 1000:
        raise ConfigError(
            "IMAGINE_DATABASE_URL: pool_size must be a whole number of connections, 1 to 1000"
        )
    rest = urlencode([(key, value) for key, value in query if key != _POOL_SIZE_KEY])
    return urlunsplit(parts._replace(query=rest)), int(sizes[-1])
