"""Migrations on real SQLite files: fresh, re-opened, raced, and newer than the code."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.models import Limits
from bot.store import open_store
from bot.store.migrate import latest_version, migrations, split_sqlite_statements
from tests.storefixtures import NOW, reservation

TABLES = {"usage", "limits", "limit_changes", "channel_managers", "schema_version"}


def read(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of one query, read with the plain sqlite3 module."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_sqlite_migrations_are_numbered_from_one() -> None:
    found = migrations("sqlite")
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert latest_version("sqlite") == len(found) >= 1
    assert found[0].name == "initial"


def test_split_keeps_semicolons_inside_strings() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (x TEXT DEFAULT ';');\n\n"
        "INSERT INTO t VALUES ('a;b');\n"
    )
    assert split_sqlite_statements(script) == [
        "CREATE TABLE t (x TEXT DEFAULT ';');",
        "INSERT INTO t VALUES ('a;b');",
    ]


async def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    names = {row[0] for row in read(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names >= TABLES
    versions = read(path, "SELECT version FROM schema_version ORDER BY version")
    assert [v for (v,) in versions] == list(range(1, latest_version("sqlite") + 1))
    assert read(path, "PRAGMA journal_mode") == [("wal",)]


async def test_reopening_changes_nothing_and_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    store = await open_store(url)
    entry = await store.reserve(reservation(), Limits(), NOW)
    await store.close()
    before = read(tmp_path / "again.db", "SELECT version, applied_at FROM schema_version")
    store = await open_store(url)
    try:
        assert await store.get_entry(entry.id) == entry
    finally:
        await store.close()
    assert read(tmp_path / "again.db", "SELECT version, applied_at FROM schema_version") == before


async def test_many_connections_migrating_one_new_file_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'raced.db'}"
    stores = await asyncio.gather(*(open_store(url) for _ in range(6)))
    for store in stores:
        await store.close()
    versions = read(tmp_path / "raced.db", "SELECT version FROM schema_version")
    assert len(versions) == latest_version("sqlite")


async def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    newer = latest_version("sqlite") + 1
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, '2099-01-01T00:00:00+00:00')", (newer,))
    with pytest.raises(ConfigError) as refused:
        await open_store(f"sqlite:///{path}")
    assert refused.value.message == (
        f"The database at {path} has schema version {newer} but this imagine-bot knows only "
        f"up to {latest_version('sqlite')}; upgrade imagine-bot."
    )


async def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database, just some text that is long enough " * 40)
    with pytest.raises(ConfigError, match="IMAGINE_DATABASE_URL"):
        await open_store(f"sqlite:///{path}")
