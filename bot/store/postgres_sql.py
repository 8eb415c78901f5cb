"""The SQL only the PostgreSQL store runs (the shared SQL is in sql.py), and the small
helpers around it: parameter binding, advisory lock keys, database URLs.

Queries name their parameters (`:now`); `bind` turns the names into asyncpg's `$1, $2, ...`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.errors import ConfigError
from bot.store.common import COST_EPSILON
from bot.store.reserve_sql import INSERT_COLUMNS, ReservePlan

LOCK = "SELECT pg_advisory_xact_lock($1)"

# SKIP LOCKED: a row another transaction is settling is that transaction's to settle.
ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND id IN (SELECT id FROM usage "
    "WHERE status = 'reserved' AND deadline < :now FOR UPDATE SKIP LOCKED)"
)

# Reservations in one statement (migrations/postgres/0010_reserve_fast.sql): budget_check_many
# locks and reads the counters and decides each reservation in order, and the granted rows
# are inserted. Its columns, one row per reservation in order: inserted, then the explain
# row of reserve_sql.py (used figures as an array).
_CHECK_ARGS = (
    "names", "charge_end", "charge_at", "check_end", "check_at", "check_images",
    "check_allowed", "asked_images", "asked_cost", "first_key", "first_person", "keys",
    "platforms", "workspaces", "users", "moments", "cooldowns", "may_insert",
)  # fmt: skip
_ROWS = (
    "SELECT b.i, r.* FROM jsonb_array_elements(:rows) WITH ORDINALITY b (v, i), "
    "jsonb_populate_record(NULL::usage, b.v) r"
)
RESERVE = (
    f"WITH c AS (SELECT * FROM budget_check_many({', '.join(f':{a}' for a in _CHECK_ARGS)}, "
    f"{COST_EPSILON!r}) WITH ORDINALITY c (ok, duplicate, last_at, used, i)), "
    f"b AS ({_ROWS}), "
    f"ins AS (INSERT INTO usage ({', '.join(INSERT_COLUMNS)}) "
    f"SELECT {', '.join(INSERT_COLUMNS)} FROM b JOIN c USING (i) WHERE c.ok ORDER BY i "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id) "
    "SELECT b.id IN (SELECT id FROM ins), c.duplicate OR c.ok, c.last_at, c.used "
    "FROM c JOIN b USING (i) ORDER BY i"
)


def reserve_params(plans: Sequence[ReservePlan]) -> dict[str, object]:
    """The parameters of RESERVE: the plans as budget_check_many reads them (see there)."""
    names = sorted({counter for plan in plans for counter in plan.charges})
    at = {name: index for index, name in enumerate(names, 1)}
    args: dict[str, list[Any]] = {name: [] for name in _CHECK_ARGS[1:]}
    firsts: dict[object, int] = {}
    for index, plan in enumerate(plans, 1):
        params = plan.params
        person = (params["platform"], params["workspace_id"], params["user_id"])
        args["charge_at"] += [at[counter] for counter in plan.charges]
        args["charge_end"].append(len(args["charge_at"]))
        args["check_at"] += [at[budget.counter] for budget in plan.budgets]
        args["check_images"] += [budget.unit == "images" for budget in plan.budgets]
        args["check_allowed"] += [budget.allowed for budget in plan.budgets]
        args["check_end"].append(len(args["check_at"]))
        args["asked_images"].append(params["n"])
        args["asked_cost"].append(params["est_cost_usd"])
        args["first_key"].append(firsts.setdefault(("key", params["idempotency_key"]), index))
        args["first_person"].append(firsts.setdefault(person, index))
        args["keys"].append(params["idempotency_key"])
        for name, value in zip(("platforms", "workspaces", "users"), person, strict=True):
            args[name].append(value)
        args["moments"].append(params["now"])
        args["cooldowns"].append(params["cooldown_from"] if plan.cooldown else None)
        args["may_insert"].append(plan.may_insert)
    rows = [{name: plan.params[name] for name in INSERT_COLUMNS} for plan in plans]
    return {"names": names, **args, "rows": json.dumps(rows, default=_moment)}


def _moment(value: object) -> str:
    """A moment in the JSON of RESERVE, as PostgreSQL reads a timestamptz."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


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
