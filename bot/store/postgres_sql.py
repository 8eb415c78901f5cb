"""The SQL only the PostgreSQL store runs (the shared SQL is in sql.py), and the small
helpers around it: parameter binding, advisory lock keys, database URLs.

Queries name their parameters (`:now`); `bind` turns the names into asyncpg's `$1, $2, ...`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.errors import ConfigError
from bot.store.common import COST_EPSILON
from bot.store.reserve_sql import INSERT_COLUMNS, INSERT_VALUES, ReservePlan
from bot.store.sql import KEY_TAKEN

LOCK = "SELECT pg_advisory_xact_lock($1)"

# SKIP LOCKED: a row another transaction is settling is that transaction's to settle.
ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND id IN (SELECT id FROM usage "
    "WHERE status = 'reserved' AND deadline < :now FOR UPDATE SKIP LOCKED)"
)

# A reservation in one statement: budget_check (migrations/postgres/0007_budgets.sql) locks
# and reads the counters, and the insert goes ahead only when they allow it. Its columns:
# inserted, then the explain row of reserve_sql.py (used figures as an array).
RESERVE = (
    "WITH c AS (SELECT * FROM budget_check(:charge_keys, :checked, :units, :allowed, :n, "
    f":est_cost_usd, {COST_EPSILON!r}, :person, :checked_from, :now)), "
    f"ins AS (INSERT INTO usage ({', '.join(INSERT_COLUMNS)}) SELECT {INSERT_VALUES} FROM c "
    "WHERE c.ok AND :may_insert ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1) "
    f"SELECT EXISTS (SELECT 1 FROM ins), {KEY_TAKEN}, c.last_at, c.used FROM c"
)


def reserve_params(plan: ReservePlan) -> dict[str, object]:
    """The parameters of RESERVE."""
    params = plan.params
    return params | {
        "charge_keys": list(plan.charges),
        "checked": [budget.counter for budget in plan.budgets],
        "units": [budget.unit for budget in plan.budgets],
        "allowed": [budget.allowed for budget in plan.budgets],
        "person": [params["platform"], params["workspace_id"], params["user_id"]],
        "checked_from": params["cooldown_from"] if plan.cooldown else None,
        "may_insert": plan.may_insert,
    }


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


def safe_url(url: str) -> str:
    """A PostgreSQL URL fit for messages: no password, no query."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def without_password(text: str, url: str) -> str:
    """A message with the URL's password, wherever it appears, replaced by ***."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return "the URL cannot be read"
    return text.replace(password, "***") if password else text


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
