"""The control-kinds migration (migrations/sqlite/0004_control_kinds.sql) on an older ledger.

SQLite cannot change a CHECK in place, so that migration rebuilds `usage`: this test starts
from a database at version 3 with a kept image and checks nothing is lost.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.models import Limits
from bot.store import open_store
from bot.store.migrate import migrations, split_sqlite_statements
from tests.storefixtures import NOW, reservation


def read(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of one query, read with the plain sqlite3 module."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def at_version(path: Path, version: int) -> None:
    """A database with the SQLite migrations up to `version` applied, as an older bot left it."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        for migration in migrations("sqlite")[:version]:
            for statement in split_sqlite_statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version VALUES (?, '2026-01-01')", (migration.version,)
            )


async def test_the_control_kinds_migration_keeps_rows_kept_images_and_counters(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    at_version(path, 3)
    day = NOW.isoformat(timespec="microseconds")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO usage (id, idempotency_key, platform, workspace_id, channel_id, user_id, "
            "kind, model, size, quality, n, status, images_delivered, est_cost_usd, prompt, "
            "created_at, settled_at, deadline, cost_source, delivery, delivery_at) VALUES "
            "('old1', 'key1', 'discord', 'guild1', 'general', 'alice', 'vary', 'm', '1024x1024', "
            "'low', 1, 'succeeded', 1, 0.25, 'a fox', ?, ?, ?, 'table', 'pending', ?)",
            (day, day, day, day),
        )
        conn.execute(
            "INSERT INTO kept_results VALUES ('old1', 0, 'a.png', 'image/png', 1, 1, x'89', ?)",
            (day,),
        )
    counters = "SELECT images, cost_usd FROM usage_day_user WHERE user_id = 'alice'"
    assert read(path, counters) == [(1, 0.25)]
    with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(path) as conn:
        conn.execute("UPDATE usage SET kind = 'zoom' WHERE id = 'old1'")
    store = await open_store(f"sqlite:///{path}")
    try:
        old = await store.get_entry("old1")
        assert old is not None and (old.kind, old.delivery, old.prompt) == (
            "vary",
            "pending",
            "a fox",
        )
        assert [image.filename for image in await store.kept_results("old1")] == ["a.png"]
        for kind in ("zoom", "pan", "upscale", "blend"):
            await store.reserve(replace(reservation(), kind=kind), Limits(), NOW)
    finally:
        await store.close()
    # the budgets migration (0006) moved the day counters into budget_counters
    day_of_alice = "SELECT images, cost_usd FROM budget_counters WHERE counter LIKE 'daily:%alice'"
    ((images, cost),) = read(path, day_of_alice)
    assert (images, cost) == (5, pytest.approx(0.25 + 4 * 0.042))
    assert read(path, "SELECT count(*) FROM sqlite_master WHERE name = 'kept_results_aside'") == [
        (0,)
    ]
    with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO kept_results VALUES ('nobody', 0, 'b.png', 'image/png', 1, 1, x'89', ?)",
            (day,),
        )
