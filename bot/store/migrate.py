"""Numbered SQL migrations from the `migrations` package, applied one transaction each.

Files are named `NNNN_description.sql` under `migrations/<dialect>/`, each number once.
Every version applied is kept in the database itself, in a `schema_version` table, and
each file not yet applied is applied in number order (so a file merged later under a lower
number is applied too); a database newer than the code is refused. On PostgreSQL each
migration's transaction first takes an advisory lock, so processes starting together apply
each file once.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from typing import TYPE_CHECKING

import aiosqlite

from bot.errors import ConfigError
from bot.store.postgres_sql import LOCK, MIGRATION_LOCK
from bot.store.sqlite_db import retry_busy

if TYPE_CHECKING:
    import asyncpg

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """Every migration of a dialect ('sqlite' or 'postgres'), in version order."""
    found: list[Migration] = []
    for item in files("migrations").joinpath(dialect).iterdir():
        match = _FILE_NAME.match(item.name)
        if match:
            version = int(match.group(1))
            found.append(Migration(version, match.group(2), item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions) or not versions or versions[0] < 1:
        raise RuntimeError(f"migrations/{dialect} must be numbered from 0001, each number once")
    return found


def latest_version(dialect: str) -> int:
    """The highest schema version this code knows for a dialect."""
    return migrations(dialect)[-1].version


def check_not_newer(found: int, known: int, where: str) -> None:
    """Refuse a database whose schema is newer than this code."""
    if found > known:
        raise ConfigError(
            f"The database at {where} has schema version {found} but this imagine-bot "
            f"knows only up to {known}; upgrade imagine-bot."
        )


def split_sqlite_statements(script: str) -> list[str]:
    """Split an SQLite script into complete statements (semicolons in strings are kept)."""
    statements: list[str] = []
    current = ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            statement = _strip_comments(current).strip()
            if statement != ";":
                statements.append(statement)
            current = ""
    return statements


def _strip_comments(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))


async def sqlite_applied(conn: aiosqlite.Connection) -> set[int]:
    """The schema versions applied to an SQLite database."""
    rows = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if not list(rows):
        return set()
    rows = await conn.execute_fetchall("SELECT version FROM schema_version")
    return {int(row[0]) for row in rows}


async def sqlite_version(conn: aiosqlite.Connection) -> int:
    """The schema version of an SQLite database (0 when nothing is applied)."""
    return max(await sqlite_applied(conn), default=0)


async def migrate_sqlite(conn: aiosqlite.Connection, where: str) -> int:
    """Apply pending SQLite migrations (connection in autocommit mode); returns the version."""
    pending = migrations("sqlite")
    found = await retry_busy(partial(sqlite_version, conn))
    check_not_newer(found, pending[-1].version, where)
    for migration in pending:
        await retry_busy(partial(_apply_sqlite, conn, migration))
    return await sqlite_version(conn)


async def _apply_sqlite(conn: aiosqlite.Connection, migration: Migration) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        if migration.version not in await sqlite_applied(conn):
            for statement in split_sqlite_statements(migration.sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (migration.version, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise


async def postgres_applied(conn: asyncpg.Connection) -> set[int]:
    """The schema versions applied to a PostgreSQL database."""
    if not await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL"):
        return set()
    return {int(row[0]) for row in await conn.fetch("SELECT version FROM schema_version")}


async def postgres_version(conn: asyncpg.Connection) -> int:
    """The schema version of a PostgreSQL database (0 when nothing is applied)."""
    return max(await postgres_applied(conn), default=0)


async def migrate_postgres(conn: asyncpg.Connection, where: str) -> int:
    """Apply pending PostgreSQL migrations, one locked transaction each; returns the version."""
    pending = migrations("postgres")
    for migration in pending:
        async with conn.transaction():
            await conn.execute(LOCK, MIGRATION_LOCK)
            applied = await postgres_applied(conn)
            check_not_newer(max(applied, default=0), pending[-1].version, where)
            if migration.version not in applied:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version "
                    "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
                )
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES ($1, now())",
                    migration.version,
                )
    return await postgres_version(conn)
