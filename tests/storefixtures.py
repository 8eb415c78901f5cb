"""Helpers for the store suite: one opener per implementation, requests, a racing process.

Add an implementation by adding its name to STORE_KINDS and a branch to `store_url`.
PostgreSQL: the first test that asks creates this run's own database, imagine_test_<random>,
from the admin URL in IMAGINE_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
and drops it when the run ends; every test gets a fresh schema in it, and each store a pool
of 4 connections (so that several test runs at once stay under max_connections). When
nothing answers there, the PostgreSQL tests are skipped with that reason.
The `url` and `store` fixtures give each test a fresh store of every implementation.
Run as a script, this module is one of several OS processes racing on one ledger (see
`main`): reserving, or claiming a budget alert.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.errors import Refused
from bot.models import Actor, Limits, Options, Reservation
from bot.store import Store, open_store

T = TypeVar("T")
STORE_KINDS = ["sqlite", "postgres"]
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
ADMIN_URL = os.environ.get("IMAGINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_run_database: dict[str, str] = {}


def store_url(kind: str, tmp_path: Path) -> str:
    """A database URL for a fresh, empty store of one implementation."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    if kind == "postgres":
        return postgres_url()
    raise ValueError(f"no store implementation called {kind!r}")


@pytest.fixture(params=STORE_KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh database of each implementation (a fixture for every test module,
    through tests/conftest.py)."""
    return store_url(request.param, tmp_path)


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    """A fresh, migrated store of each implementation."""
    opened = await open_store(url)
    yield opened
    await opened.close()


def postgres_url() -> str:
    """The URL of a fresh, empty schema in this run's database (skips if none answers)."""
    database = run_database()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    _blocking(_execute(database, f"CREATE SCHEMA {schema}"))
    return f"{database}?search_path={schema}&pool_size=4"


def run_database() -> str:
    """The URL of this test run's own PostgreSQL database, created on first use."""
    if "skip" in _run_database:
        pytest.skip(_run_database["skip"])
    if "url" not in _run_database:
        name = f"imagine_test_{uuid.uuid4().hex[:12]}"
        try:
            _blocking(_execute(ADMIN_URL, f"CREATE DATABASE {name}"))
        except (OSError, TimeoutError):
            admin = urlsplit(ADMIN_URL)
            _run_database["skip"] = (
                f"PostgreSQL: nothing answers at {admin.hostname}:{admin.port or 5432} "
                "(IMAGINE_TEST_POSTGRES_URL names an admin URL to use instead)"
            )
            pytest.skip(_run_database["skip"])
        atexit.register(_drop_database, name)
        _run_database["url"] = urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    return _run_database["url"]


def _drop_database(name: str) -> None:
    """Remove this run's database as the test process exits."""
    asyncio.run(_execute(ADMIN_URL, f"DROP DATABASE {name} WITH (FORCE)"))


async def _execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _blocking(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end on its own loop, whether or not a loop runs here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def actor(
    user: str = "alice", channel: str = "general", workspace: str = "guild1", admin: bool = False
) -> Actor:
    """Someone asking in a channel of a Discord guild."""
    return Actor("discord", workspace, channel, user, is_admin=admin)


def reservation(
    who: Actor | None = None,
    n: int = 1,
    cost: float = 0.042,
    key: str | None = None,
    now: datetime = NOW,
    timeout: float = 600,
    prompt: str | None = "a red balloon",
) -> Reservation:
    """A reservation for `n` images with a deadline `timeout` seconds after `now`."""
    return Reservation(
        id=uuid.uuid4().hex,
        idempotency_key=key or uuid.uuid4().hex,
        actor=who or actor(),
        kind="generate",
        model="openai/gpt-image-1",
        options=Options(n=n),
        prompt=prompt,
        est_cost_usd=cost,
        deadline=now + timedelta(seconds=timeout),
    )


async def race(url: str, who: str, tasks: int, limits: Limits) -> int:
    """Reserve `tasks` images at once for 'user' (in general) or 'user@channel' ('*': a
    different one for each request); how many were granted."""
    name, _, channel = who.partition("@")
    channel = channel or "general"
    actors = [
        actor(f"user{i}" if name == "*" else name, f"channel{i}" if channel == "*" else channel)
        for i in range(tasks)
    ]
    store = await open_store(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        results = await asyncio.gather(
            *(store.reserve(reservation(someone), limits, NOW) for someone in actors),
            return_exceptions=True,
        )
    finally:
        await store.close()
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, Refused)]
    if unexpected:
        raise unexpected[0]
    return sum(1 for r in results if not isinstance(r, BaseException))


async def racers(argvs: list[list[str]]) -> list[str]:
    """One OS process running this module per argument list, all let go at once; the last
    word each printed."""
    return [out.split()[-1] for out in await raced(Path(__file__), argvs)]


async def raced(worker: Path, argvs: list[list[str]]) -> list[str]:
    """One OS process running the script `worker` per argument list, all let go at once once
    every one has printed 'ready'; what each printed after it."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(worker),
            *argv,
            cwd=worker.parent.parent,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for argv in argvs
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outputs = await asyncio.gather(*(asyncio.wait_for(p.communicate(), 120) for p in procs))
    assert [p.returncode for p in procs] == [0] * len(procs)
    return [out.decode() for out, _ in outputs]


def limits_from(text: str) -> Limits:
    """Limits from 'key=number,key=number' (whole numbers for image keys)."""
    values: dict[str, Any] = {}
    for pair in text.split(","):
        key, _, value = pair.partition("=")
        values[key] = int(value) if key.endswith(("images", "_s")) else float(value)
    return Limits(**values)


async def claim(url: str, key: str, threshold: int, limits: Limits) -> bool:
    """Open the store, wait for the word, and claim one budget alert; whether it won."""
    store = await open_store(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        return await store.claim_alert(actor(), key, threshold, limits, NOW)
    finally:
        await store.close()


def main(argv: list[str]) -> None:
    """`URL reserve WHO COUNT LIMITS` or `URL alert KEY THRESHOLD LIMITS`; LIMITS as
    'key=number,...'."""
    db_url, action, *args = argv
    if action == "alert":
        key, threshold, limits = args
        print(f"won {asyncio.run(claim(db_url, key, int(threshold), limits_from(limits)))}")
        return
    who, count, limits = args
    granted = asyncio.run(race(db_url, who, int(count), limits_from(limits)))
    print(f"granted {granted}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
