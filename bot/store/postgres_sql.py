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
from bot.models import Limits
from bot.store.common import counts_channel, counts_user
from bot.store.sql import CHECK_COLUMNS, ENTRY_COLUMNS, ENTRY_VALUES, LAST_REQUEST

INSERT_ENTRY = (
    f"INSERT INTO usage ({', '.join(ENTRY_COLUMNS)}) VALUES ({ENTRY_VALUES}) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
LOCK = "SELECT pg_advisory_xact_lock($1)"

# SKIP LOCKED: a row another transaction is settling is that transaction's to settle.
ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND id IN (SELECT id FROM usage "
    "WHERE status = 'reserved' AND deadline < :now FOR UPDATE SKIP LOCKED)"
)

# Today's charge of a user or a channel, read once the reservation holds their locks: the
# day's counter (kept by triggers, see migrations/postgres/0002_day_counters.sql) less
# reservations that expired and are not yet settled as abandoned. Those are found through
# the partial indexes on (scope, deadline); the day is tested on an expression, so that no
# plan walks the day's ledger rows by created_at instead.
_TODAY_OF = (
    "(SELECT d.images - x.images AS images, d.cost - x.cost AS cost FROM "
    "(SELECT COALESCE(SUM(images), 0) AS images, COALESCE(SUM(cost_usd), 0.0) AS cost "
    "FROM usage_day WHERE platform = :platform AND workspace_id = :workspace_id "
    "AND per = '{per}' AND per_id = :{column} AND day = :day) d, "
    "(SELECT COALESCE(SUM(n), 0) AS images, COALESCE(SUM(est_cost_usd), 0.0) AS cost "
    "FROM usage WHERE status = 'reserved' AND platform = :platform "
    "AND workspace_id = :workspace_id AND {column} = :{column} AND deadline < :now "
    "AND (created_at AT TIME ZONE 'UTC')::date = :day) x)"
)
_USER_TODAY = _TODAY_OF.format(per="user", column="user_id")
_CHANNEL_TODAY = _TODAY_OF.format(per="channel", column="channel_id")
_NO_TOTALS = "(SELECT 0 AS images, 0.0::float8 AS cost)"
_NO_REQUEST = "(SELECT NULL::timestamptz AS at)"

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


def scope_locks(platform: str, workspace_id: str, user_id: str, channel_id: str) -> list[int]:
    """The advisory lock keys a reservation holds: its user's and its channel's, in order."""
    user = advisory_key("user", platform, workspace_id, user_id)
    channel = advisory_key("channel", platform, workspace_id, channel_id)
    return sorted({user, channel})


def reserve_check(limits: Limits, exempt: bool) -> str:
    """Whether the idempotency key is taken, and the day's totals and last request the limits
    need (zeros and NULL for what they do not)."""
    checked = not exempt and limits.enabled is not False
    user = _USER_TODAY if checked and counts_user(limits) else _NO_TOTALS
    channel = _CHANNEL_TODAY if checked and counts_channel(limits) else _NO_TOTALS
    last = LAST_REQUEST if checked and limits.cooldown_s else _NO_REQUEST
    return f"SELECT {CHECK_COLUMNS} FROM {user} u, {channel} c, {last} l"


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
