"""PostgreSQL: OS processes racing on one ledger, migrations, the CLI, and `migrate --from`.

The store suite (test_store.py) already runs every Protocol test on PostgreSQL too; these
are the things only several processes, a real server or a copy from SQLite can show.
Each test gets a fresh schema in this run's own database (tests/storefixtures.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.errors import ConfigError, LimitReached
from bot.models import Actor, GeneratedImage, Limits, Scope, TokenUsage
from bot.store import Store, open_store
from bot.store.copy import migrate_command
from bot.store.migrate import latest_version, migrations
from bot.store.postgres_sql import pool_url, safe_url
from bot.store.sql import ENTRY_COLUMNS, entry_values
from tests.storefixtures import (
    NOW,
    actor,
    postgres_url,
    racers,
    reservation,
)
from tests.support import (
    cli_env,
    ledger_rows,
    limit_message,
    make_settings,
    run_all,
    run_cli,
    user_usage,
)

CHANNEL = Scope("discord", "guild1", "general")
TABLES = ("usage", "limits", "limit_changes", "channel_managers", "kept_results", "alerts_sent")
GUILD = Scope("discord", "guild1")
SLACK = Scope("slack", "T1", "*")
SCOPES = (CHANNEL, GUILD, SLACK, Scope("discord", "guild1", "random"))
EPOCH, FAR = NOW - timedelta(days=400), NOW + timedelta(days=400)
PROMPT = "a 'red' balloon 🎈\n\"quoted\"; DROP TABLE usage;--"
LEDGER_SUMS = (
    "SELECT COUNT(*), SUM(n), SUM(images_delivered), SUM(est_cost_usd), SUM(input_tokens), "
    "SUM(output_tokens), COUNT(prompt), COUNT(parent_id), COUNT(settled_at) FROM usage"
)
BY_STATUS = (
    "SELECT status, COUNT(*), SUM(images_delivered), SUM(est_cost_usd) FROM usage "
    "GROUP BY status ORDER BY status"
)
BY_COST_SOURCE = (
    "SELECT model, cost_source, COUNT(*), SUM(est_cost_usd) FROM usage "
    "GROUP BY model, cost_source ORDER BY model, cost_source"
)
# What the budget counters should hold, summed from the ledger rows that charge them:
# images made but never delivered count nothing.
RECEIVED = "(status = 'succeeded' AND delivery IS DISTINCT FROM 'undelivered')"
LEDGER_BY_COUNTER = (
    "SELECT key, "
    f"SUM(CASE WHEN {RECEIVED} THEN images_delivered WHEN status = 'reserved' THEN n ELSE 0 END), "
    f"SUM(CASE WHEN status = 'reserved' OR {RECEIVED} THEN est_cost_usd ELSE 0 END) "
    "FROM usage, json_array_elements_text(charges::json) key GROUP BY 1"
)
COUNTERS = "SELECT counter, images, cost_usd FROM budget_counters"


@pytest.fixture
def pg_url() -> str:
    """A fresh, empty schema of this run's PostgreSQL database."""
    return postgres_url()


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test's schema, to look at the tables directly."""
    conn = await asyncpg.connect(pool_url(pg_url)[0])
    yield conn
    await conn.close()


async def race(url: str, who: list[str], tasks: int, user_limit: int, channel: int) -> list[int]:
    """One OS process per 'user@channel' in `who`, each reserving `tasks` images at once;
    how many each was granted."""
    args = [str(tasks), f"user_daily_images={user_limit},channel_daily_images={channel}"]
    said = await racers([[url, "reserve", someone, *args] for someone in who])
    return [int(word) for word in said]


@pytest.mark.parametrize(
    ("who", "user_limit", "channel_limit", "users", "channels"),
    [
        (["alice@*"] * 4, 7, 50, {"alice": 7}, None),
        (["*@general"] * 4, 20, 13, None, {"general": 13}),
        (["alice", "alice@random", "bob", "bob@random"], 5, 6, {"alice": 5, "bob": 5}, None),
    ],
    ids=["user-across-channels", "channel-across-users", "both"],
)
async def test_four_processes_of_25_requests_end_exactly_at_the_limits(
    url: str,
    who: list[str],
    user_limit: int,
    channel_limit: int,
    users: dict[str, int] | None,
    channels: dict[str, int] | None,
) -> None:
    granted = await race(url, who, 25, user_limit, channel_limit)
    store = await open_store(url)
    try:
        rows = [e async for e in store.export(NOW, NOW + timedelta(seconds=1))]
        alice = await store.user_usage(CHANNEL, "alice", Limits(), NOW)
    finally:
        await store.close()
    per_user = Counter(e.user_id for e in rows)
    per_channel = Counter(e.channel_id for e in rows)
    assert len(rows) == sum(granted) and {e.status for e in rows} == {"reserved"}
    assert (alice.images_today, alice.channel_images_today) == (
        per_user["alice"],
        per_channel["general"],
    )
    assert max(per_user.values()) <= user_limit and max(per_channel.values()) <= channel_limit
    for expected, counted in ((users, per_user), (channels, per_channel)):
        if expected is not None:
            assert counted == expected


async def test_six_connections_migrating_a_new_database_at_once_apply_each_file_once(
    pg_url: str, pg: asyncpg.Connection
) -> None:
    stores = await asyncio.gather(*(open_store(pg_url) for _ in range(6)))
    for store in stores:
        await store.close()
    versions = await pg.fetch("SELECT version FROM schema_version ORDER BY version")
    assert [row[0] for row in versions] == [m.version for m in migrations("postgres")]
    names = {row[0] for row in await pg.fetch("SELECT tablename FROM pg_tables")}
    assert names >= {*TABLES, "schema_version"}


async def test_a_database_newer_than_the_code_is_refused(
    pg_url: str, pg: asyncpg.Connection
) -> None:
    store = await open_store(pg_url)
    await store.close()
    newer = latest_version("postgres") + 1
    await pg.execute("INSERT INTO schema_version VALUES ($1, now())", newer)
    with pytest.raises(ConfigError) as refused:
        await open_store(pg_url)
    assert refused.value.message == (
        f"The database at {safe_url(pg_url)} has schema version {newer} but this imagine-bot "
        f"knows only up to {latest_version('postgres')}; upgrade imagine-bot."
    )
    assert "search_path" not in refused.value.message


async def test_a_database_that_cannot_be_reached_is_named_without_its_password() -> None:
    missing = f"imagine_missing_{uuid.uuid4().hex[:8]}"
    for url in (
        f"postgresql://postgres:hunter2-SECRET@127.0.0.1:5432/{missing}",
        "postgres://postgres:hunter2-SECRET@127.0.0.1:1/imagine",
    ):
        with pytest.raises(ConfigError) as refused:
            await open_store(url)
        message = refused.value.message
        assert message.startswith(f"IMAGINE_DATABASE_URL: cannot connect to {safe_url(url)}: ")
        assert "hunter2" not in message and "postgres@127.0.0.1" in message
        assert refused.value.__cause__ is None


async def test_pool_size_in_the_url_caps_the_connections(
    pg_url: str, pg: asyncpg.Connection
) -> None:
    store = await open_store(pg_url.replace("pool_size=4", "pool_size=2"))
    try:
        await asyncio.gather(*(store.reserve(reservation(), Limits(), NOW) for _ in range(30)))
        count = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
        assert await pg.fetchval(count) == 1 + 2
    finally:
        await store.close()
    for bad in ("0", "many", ""):
        with pytest.raises(ConfigError, match="pool_size must be a whole number"):
            await open_store(pg_url.replace("pool_size=4", f"pool_size={bad}"))


async def test_an_abandoned_reservation_is_settled_by_another_process(pg_url: str) -> None:
    dead, alive = await open_store(pg_url), await open_store(pg_url)
    try:
        limits = Limits(user_daily_images=1, channel_daily_images=1)
        left = await dead.reserve(reservation(timeout=30), limits, NOW)
        await dead.close()
        later = NOW + timedelta(seconds=31)
        await alive.reserve(reservation(now=later), limits, later)
        row = await alive.get_entry(left.id)
        assert row is not None and (row.status, row.settled_at) == ("abandoned", later)
    finally:
        await alive.close()


async def test_the_cli_sets_limits_generates_and_reports_on_postgres(
    tmp_path: Path, pg_url: str
) -> None:
    env = cli_env(tmp_path, IMAGINE_DATABASE_URL=pg_url)
    ran = await run_cli("migrate", env=env, cwd=tmp_path)
    assert (ran.code, ran.err) == (0, "The database is up to date.\n")
    ran = await run_cli("limits", "set", "user_daily_images=2", env=env, cwd=tmp_path)
    assert ran.code == 0, ran.err
    assert "user_daily_images = 2  (set here)" in ran.out.splitlines()
    argvs = [
        ["generate", f"balloon {i}", "--offline", "--user", "alice", "--json"] for i in range(3)
    ]
    made = await run_all(argvs, env=env, cwd=tmp_path)
    assert sorted(r.code for r in made) == [0, 0, 1], [r.err for r in made]
    [refused] = [r for r in made if r.code == 1]
    pattern = limit_message("You have used 2 of your 2 images today", "user_daily_images")
    assert pattern.fullmatch(refused.err), refused.err
    assert (await user_usage("alice", env=env, cwd=tmp_path))["images_today"] == 2
    shown = await run_cli("limits", "show", "--json", env=env, cwd=tmp_path)
    assert shown.json()["user_daily_images"] == 2
    rows = await ledger_rows(env=env, cwd=tmp_path)
    assert [(r["user_id"], r["status"]) for r in rows] == [("alice", "succeeded")] * 2
    assert not (tmp_path / "imagine.db").exists()


async def fill(store: Store) -> None:
    """Every kind of row, through the store API: each outcome, three days, two platforms."""
    whos = [actor(u, c) for u in ("alice", "bob", "carol") for c in ("general", "random")]
    whos.append(Actor("slack", "T1", "C1", "dave"))
    parent: str | None = None
    for i in range(1050):
        when = NOW - timedelta(days=(0, 1, 40)[i % 3], seconds=i)
        n, outcome = 1 + i % 4, i % 5
        req = reservation(
            whos[i % 7], n=n, cost=0.042 * n, now=when, timeout=60 + 1e6 * (i % 5 == 4)
        )
        req = replace(req, prompt=f"{PROMPT} #{i}", parent_id=parent if i % 3 == 1 else None)
        entry = await store.reserve(req, Limits(), when)
        parent = entry.id if i % 7 == 0 else parent
        if outcome in (0, 1):
            made = n if outcome == 0 else max(1, n // 2)
            usage = TokenUsage(40 + i, 1056 * made)
            kept = [
                GeneratedImage(b"image %d" % k, "image/png", f"{k}.png", 16, 16)
                for k in range(made)
            ]
            await store.keep_results(entry.id, kept, when)
            source = ("gateway", "tokens", "table")[i % 3]
            await store.settle_succeeded(entry.id, made, usage, 0.042 * made, when, source)
            if (i // 5) % 3:  # pending, delivered or undelivered, on every day
                await store.settle_delivery(entry.id, (i // 5) % 3 == 1, when)
        elif outcome == 2:
            await store.settle_failed(entry.id, ("moderation", "timeout")[i % 2], when)
    assert await store.settle_abandoned(NOW + timedelta(days=1)) > 0
    assert await store.purge_prompts(NOW - timedelta(days=30)) > 0


async def set_everything(store: Store) -> None:
    """Limits of every type on several scopes, changed and cleared, and channel managers."""
    values = Limits(
        True, 1, 2, 0.5, 1.5, 3, "medium", ("auto", "1024x1024"), 30, False, True, ("m1",), 10**6
    )
    await store.set_limits(CHANNEL, values.as_dict(), "owner", NOW)
    await store.set_limits(CHANNEL, {"max_quality": None, "cooldown_s": 0}, "mod", NOW)
    await store.set_limits(GUILD, {"user_daily_images": 10, "enabled": True}, "owner", NOW)
    await store.set_limits(SLACK, {"channel_daily_cost_usd": 2}, "U1", NOW)
    for scope, user in ((CHANNEL, "u1"), (GUILD, "u2"), (SLACK, "u3"), (CHANNEL, "u4")):
        await store.add_channel_manager(scope, user, "owner", NOW)
    await store.remove_channel_manager(CHANNEL, "u4", "owner", NOW)
    budget = Limits(workspace_monthly_images=10)
    for threshold in (80, 100):
        assert await store.claim_alert(actor(), "workspace_monthly_images", threshold, budget, NOW)


def plain(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Rows with sums as int, or float to 9 places, whichever database they came from."""
    return [
        tuple(round(v, 9) if isinstance(v, float) else v for v in row)
        for row in ([int(v) if isinstance(v, Decimal) else v for v in row] for row in rows)
    ]


async def day_counters(pg: asyncpg.Connection) -> dict[Any, tuple[Any, ...]]:
    """The budget counters, and the same sums taken from the ledger rows; zero rows left out."""
    found = []
    for sql in (COUNTERS, LEDGER_BY_COUNTER):
        rows = plain(await pg.fetch(sql))
        found.append({row[0]: row[1:] for row in rows if row[1:] != (0, 0.0)})
    assert found[0] == found[1]
    return found[0]


async def test_the_day_counters_follow_every_change_of_the_ledger(
    pg_url: str, pg: asyncpg.Connection
) -> None:
    store = await open_store(pg_url)
    try:
        await fill(store)
        assert len(await day_counters(pg)) >= 20
        entry = await store.reserve(reservation(n=3, cost=0.126), Limits(), NOW)
        await store.settle_succeeded(entry.id, 2, None, 0.084, NOW)
    finally:
        await store.close()
    counters = await day_counters(pg)
    assert counters[f"daily:{NOW.date()}:user:discord:guild1:alice"][0] > 2


async def test_upgrading_a_filled_database_counts_its_ledger(
    tmp_path: Path, pg_url: str, pg: asyncpg.Connection
) -> None:
    source = await open_store(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        await fill(source)
        rows = [e async for e in source.export(EPOCH, FAR)]
    finally:
        await source.close()
    await pg.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    await pg.execute(migrations("postgres")[0].sql)
    await pg.execute("INSERT INTO schema_version VALUES (1, now())")
    later = ("delivery", "delivery_at", "cost_source")  # columns added after 0001
    first = [name for name in ENTRY_COLUMNS if name not in later]
    records = [tuple(entry_values(e)[name] for name in first) for e in rows]
    await pg.copy_records_to_table("usage", records=records, columns=first)

    store = await open_store(pg_url)
    try:
        assert len(await day_counters(pg)) >= 20
        used = (await store.user_usage(CHANNEL, "alice", Limits(), NOW)).images_today
        limits = Limits(user_daily_images=used + 1)
        await store.reserve(reservation(), limits, NOW)
        with pytest.raises(LimitReached) as refused:
            await store.reserve(reservation(), limits, NOW)
        assert refused.value.used == used + 1
    finally:
        await store.close()


async def totals(sqlite_path: Path, pg: asyncpg.Connection) -> tuple[list[Any], list[Any]]:
    """Counts and sums of every table, read the same way from both databases."""
    queries = [
        LEDGER_SUMS,
        BY_STATUS,
        BY_COST_SOURCE,
        *(f"SELECT COUNT(*) FROM {t}" for t in TABLES[1:]),
    ]
    with sqlite3.connect(sqlite_path) as conn:
        before = [plain(conn.execute(sql).fetchall()) for sql in queries]
    after = [plain(await pg.fetch(sql)) for sql in queries]
    return before, after


async def test_migrate_from_sqlite_copies_every_row(
    tmp_path: Path, pg_url: str, pg: asyncpg.Connection
) -> None:
    path = tmp_path / "old.db"
    source = await open_store(f"sqlite:///{path}")
    try:
        await fill(source)
        await set_everything(source)
    finally:
        await source.close()
    env = cli_env(tmp_path, IMAGINE_DATABASE_URL=pg_url)

    ran = await run_cli("migrate", "--from", f"sqlite:///{path}", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    before, after = await totals(path, pg)
    assert after == before
    await day_counters(pg)
    assert [row[0] for row in before[1]] == ["abandoned", "failed", "reserved", "succeeded"]
    assert {row[1] for row in before[2]} == {"", "gateway", "tokens", "table"}  # copied too
    assert ran.out.splitlines()[1].split()[:3] == ["usage", "1050", "rows,"]

    again = await run_cli("migrate", "--from", f"sqlite:///{path}", env=env, cwd=tmp_path)
    assert again.code == 2
    kept = before[-2][0][0]
    assert kept > 100
    held = (
        f"usage 1050, limits 3, limit_changes 23, channel_managers 3, kept_results {kept}, "
        "alerts_sent 2"
    )
    assert f"already holds rows ({held}); nothing was copied." in again.err
    assert (await totals(path, pg))[1] == before
    await compare_stores(f"sqlite:///{path}", pg_url)


async def compare_stores(sqlite_url: str, pg_url: str) -> None:
    """Both stores answer every read the same; PostgreSQL goes on numbering the audit trail."""
    old, new = await open_store(sqlite_url), await open_store(pg_url)
    try:
        assert [e async for e in new.export(EPOCH, FAR)] == [
            e async for e in old.export(EPOCH, FAR)
        ]
        assert await new.limit_changes() == await old.limit_changes()
        assert await new.alerts_sent("discord", "guild1") == await old.alerts_sent(
            "discord", "guild1"
        )
        assert await new.budget_use(actor(), Limits(), NOW) == await old.budget_use(
            actor(), Limits(), NOW
        )
        for scope in SCOPES:
            assert await new.get_limits(scope) == await old.get_limits(scope)
            assert await new.channel_managers(scope) == await old.channel_managers(scope)
            assert await new.scope_usage(scope, NOW) == await old.scope_usage(scope, NOW)
        entries = [e async for e in old.export(EPOCH, FAR)]
        undelivered = [e for e in entries if e.delivery == "undelivered"]
        assert undelivered and [e for e in entries if e.delivery == "delivered"]
        for entry in undelivered[:20]:
            assert await new.kept_results(entry.id) == await old.kept_results(entry.id) != ()
        alice = [await s.user_usage(CHANNEL, "alice", Limits(), NOW) for s in (old, new)]
        assert alice[0] == alice[1]
        await new.set_limits(CHANNEL, {"max_n": 4}, "after-copy", NOW)
        trail = await new.limit_changes(CHANNEL)
        assert (trail[-1].key, trail[-1].changed_by) == ("max_n", "after-copy")
    finally:
        await old.close()
        await new.close()


async def test_migrate_from_refuses_what_it_cannot_copy(tmp_path: Path, pg_url: str) -> None:
    into_pg = make_settings(tmp_path, IMAGINE_DATABASE_URL=pg_url)
    (tmp_path / "notes.db").write_text("not a database, only some text " * 100)
    cases = (
        (into_pg, f"sqlite:///{tmp_path / 'missing.db'}", "there is no SQLite database at"),
        (into_pg, f"sqlite:///{tmp_path / 'notes.db'}", "cannot read .*notes.db"),
        (into_pg, "sqlite:///:memory:", "name the SQLite file as sqlite:///"),
        (into_pg, f"postgresql:///{tmp_path}", "name the SQLite file as sqlite:///"),
        (make_settings(tmp_path), f"sqlite:///{tmp_path / 'imagine.db'}", "copies into PostgreSQL"),
    )
    for settings, source, said in cases:
        with pytest.raises(ConfigError, match=said):
            await migrate_command(settings, source)
    assert not (tmp_path / "missing.db").exists()
