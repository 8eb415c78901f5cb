"""`imagine-bot migrate [--from sqlite:///path/imagine.db]`: bring the database up to date,
and copy a SQLite ledger into an empty PostgreSQL one.

The copy is one PostgreSQL transaction holding the migration lock. It refuses a database
that already holds rows, copies every row of usage (with the budget counters each row
charges, which PostgreSQL's triggers count again as the rows arrive), limits,
limit_changes, channel_managers, kept_results (made images awaiting delivery) and
alerts_sent, and compares row counts, images and
dollars with the SQLite file before it commits: all or nothing, and a second run changes nothing.
"""

from __future__ import annotations

import math
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.config import Settings
from bot.errors import ConfigError
from bot.models import LIMIT_KEYS
from bot.store.common import limits_from_columns
from bot.store.migrate import migrate_sqlite
from bot.store.open import POSTGRES_EXTRA, is_postgres_url, open_store
from bot.store.postgres_sql import LOCK, MIGRATION_LOCK, safe_url
from bot.store.reserve_sql import INSERT_COLUMNS
from bot.store.sql import TIMESTAMPS, limit_values
from bot.store.sqlite_db import connect_sqlite, from_column

if TYPE_CHECKING:
    import asyncpg

COPY_PAGE_ROWS = 1000
Row = Sequence[Any]

_TOTALS = (
    "SELECT COUNT(*), COALESCE(SUM(images_delivered), 0), COALESCE(SUM(est_cost_usd), 0) FROM usage"
)
_SET_SEQUENCE = (
    "SELECT setval(pg_get_serial_sequence('limit_changes', 'id'), MAX(id)) "
    "FROM limit_changes HAVING MAX(id) IS NOT NULL"
)


@dataclass(frozen=True)
class Table:
    """One table to copy: its columns, the order to read them in, its timestamp columns."""

    name: str
    columns: tuple[str, ...]
    order_by: str
    timestamps: tuple[str, ...] = ()

    def record(self, row: Row) -> tuple[Any, ...]:
        """A SQLite row as PostgreSQL values: datetimes, floats and booleans."""
        values = dict(zip(self.columns, row, strict=True))
        for name in self.timestamps:
            values[name] = from_column(values[name])
        if self.name == "limits":
            values |= limit_values(limits_from_columns(values))
        if "est_cost_usd" in values:
            values["est_cost_usd"] = float(values["est_cost_usd"])
        return tuple(values.values())


@dataclass(frozen=True)
class Copied:
    """What a table holds: rows, and for the ledger images delivered and dollars charged."""

    table: str
    rows: int
    images: int = 0
    cost_usd: float = 0.0

    def matches(self, other: Copied) -> bool:
        """Whether two databases hold the same in this table (dollars to within rounding)."""
        same = (self.table, self.rows, self.images) == (other.table, other.rows, other.images)
        return same and math.isclose(self.cost_usd, other.cost_usd, abs_tol=1e-9)

    def line(self) -> str:
        """This table's line of the copy report."""
        text = f"  {self.table:<17}{self.rows:>8} rows"
        if self.table == "usage":
            text += f", {self.images} images delivered, ${self.cost_usd:.6f} charged"
        return text


_SCOPE = ("platform", "workspace_id", "channel_id")
TABLES = (
    Table("usage", INSERT_COLUMNS, "created_at, id", TIMESTAMPS),
    Table("limits", (*_SCOPE, *LIMIT_KEYS), ", ".join(_SCOPE)),
    Table(
        "limit_changes",
        ("id", *_SCOPE, "key", "old_value", "new_value", "changed_by", "changed_at"),
        "id",
        ("changed_at",),
    ),
    Table(
        "channel_managers",
        (*_SCOPE, "user_id", "added_by", "added_at"),
        "added_at, user_id",
        ("added_at",),
    ),
    Table(
        "kept_results",
        ("usage_id", "idx", "filename", "mime_type", "width", "height", "data", "created_at"),
        "usage_id, idx",
        ("created_at",),
    ),
    Table(
        "alerts_sent",
        ("counter", "threshold", "platform", "workspace_id", "limit_key", "sent_at"),
        "counter, threshold",
        ("sent_at",),
    ),
)


async def migrate_command(settings: Settings, source: str | None) -> int:
    """Apply pending migrations to IMAGINE_DATABASE_URL; with a source, copy it in too."""
    if source is None:
        store = await open_store(settings.database_url)
        await store.close()
        print("The database is up to date.", file=sys.stderr)
        return 0
    target = settings.database_url
    if not is_postgres_url(target):
        raise ConfigError(
            "migrate --from copies into PostgreSQL: set IMAGINE_DATABASE_URL to "
            "postgresql://user@host/dbname (an empty database) and run it again."
        )
    path = _source_path(source)
    copied = await copy_sqlite(path, target)
    print(f"Copied the SQLite ledger {path} into {safe_url(target)}:")
    for table in copied:
        print(table.line())
    return 0


def _source_path(source: str) -> Path:
    file = source.removeprefix("sqlite:///").split("?", 1)[0]
    if not source.startswith("sqlite:///") or file in ("", ":memory:"):
        raise ConfigError(
            "migrate --from: name the SQLite file as sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db"
        )
    path = Path(file).expanduser()
    if not path.is_file():
        raise ConfigError(f"migrate --from: there is no SQLite database at {path}")
    return path


async def copy_sqlite(path: Path, target_url: str) -> list[Copied]:
    """Copy every row of a SQLite ledger into an empty PostgreSQL database; what was copied."""
    try:
        from bot.store.postgres import PostgresDatabase
    except ModuleNotFoundError as exc:
        raise ConfigError(POSTGRES_EXTRA) from exc
    target = await PostgresDatabase.open(target_url)
    try:
        source = await connect_sqlite(str(path))
    except (OSError, sqlite3.DatabaseError) as exc:
        await target.close()
        raise ConfigError(f"migrate --from: cannot read {path}: {exc}") from exc
    try:
        await migrate_sqlite(source, str(path))
        expected = await _held(source.execute_fetchall)
        async with target.pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK, MIGRATION_LOCK)
            _refuse_rows(await _held(conn.fetch), safe_url(target_url))
            for table in TABLES:
                await _copy_table(source, conn, table)
            await conn.execute(_SET_SEQUENCE)
            copied = await _held(conn.fetch)
            _check_nothing_lost(expected, copied)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"migrate --from: cannot read {path}: {exc}") from exc
    finally:
        await source.close()
        await target.close()
    return copied


async def _held(fetch: Callable[[str], Any]) -> list[Copied]:
    """Rows per table, with images and dollars of the ledger (the SQL reads on both sides)."""
    [(rows, images, cost)] = list(await fetch(_TOTALS))
    held = [Copied("usage", int(rows), int(images), float(cost))]
    for table in TABLES[1:]:
        [(count,)] = list(await fetch(f"SELECT COUNT(*) FROM {table.name}"))
        held.append(Copied(table.name, int(count)))
    return held


def _refuse_rows(held: list[Copied], where: str) -> None:
    if any(table.rows for table in held):
        counts = ", ".join(f"{table.table} {table.rows}" for table in held)
        raise ConfigError(
            f"migrate --from: the database at {where} already holds rows ({counts}); "
            "nothing was copied. Copy into a new, empty PostgreSQL database."
        )


async def _copy_table(source: aiosqlite.Connection, conn: asyncpg.Connection, table: Table) -> None:
    """Stream one table across a page at a time, with PostgreSQL's COPY."""
    query = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order_by}"
    async with source.execute(query) as cursor:
        while rows := await cursor.fetchmany(COPY_PAGE_ROWS):
            records = [table.record(row) for row in rows]
            await conn.copy_records_to_table(table.name, records=records, columns=table.columns)


def _check_nothing_lost(expected: list[Copied], copied: list[Copied]) -> None:
    for want, got in zip(expected, copied, strict=True):
        if not want.matches(got):
            raise RuntimeError(
                f"copying {want.table} would lose rows (SQLite {want}, PostgreSQL {got}); "
                "nothing was copied"
            )
