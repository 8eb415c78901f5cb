"""reservations_per_s(_postgres): 100 users reserving at once against one channel's limits.

Each user reserves one image at a time, as fast as the store answers, under every budget
layer (user, channel, workspace and installation, by day, week and month, in images and
dollars: 24 limits checked on every reservation, never reached). PostgreSQL runs only
when 127.0.0.1:5432 answers and `bot/store/postgres.py` exists; it gets a fresh database
that is dropped afterwards. Override the server with BENCH_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import HIGH, actor, emit, note
from bot.models import Limits, Options, Reservation
from bot.store import Store, open_store
from bot.store.budgets import BUDGET_KEYS

USERS = 100
LIMITS = Limits(**dict.fromkeys(BUDGET_KEYS, HIGH), timezone="Europe/Paris")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def reservation(user: int, now: datetime) -> Reservation:
    """One image for `user`, all users in the same channel."""
    return Reservation(
        id=uuid.uuid4().hex,
        idempotency_key=uuid.uuid4().hex,
        actor=actor(user, channels=1),
        kind="generate",
        model="openai/gpt-image-2",
        options=Options(),
        prompt="a red balloon",
        est_cost_usd=0.042,
        deadline=now + timedelta(seconds=1230),
    )


async def reservations_per_s(store: Store, total: int) -> float:
    """Reservations granted per second with USERS users reserving concurrently."""

    async def user(index: int, count: int) -> None:
        for _ in range(count):
            await store.reserve(reservation(index, datetime.now(UTC)), LIMITS, datetime.now(UTC))

    await asyncio.gather(*(user(u, 2) for u in range(USERS)))
    started = time.perf_counter()
    await asyncio.gather(*(user(u, total // USERS) for u in range(USERS)))
    return (total // USERS * USERS) / (time.perf_counter() - started)


def postgres_reachable() -> bool:
    """Whether something listens on PostgreSQL's port on loopback."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A new, empty database on the local server; dropped on exit."""
    import asyncpg

    name = f"imagine_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def measure(url: str, tmp: Path, quick: bool) -> None:
    """Print reservations_per_s, and reservations_per_s_postgres when it can run."""
    total = 5_000 if quick else 20_000
    store = await open_store(f"sqlite:///{tmp / 'ledger.db'}")
    try:
        emit("reservations_per_s", await reservations_per_s(store, total))
    finally:
        await store.close()
    if importlib.util.find_spec("bot.store.postgres") is None:
        note("reservations_per_s_postgres skipped: bot/store/postgres.py does not exist yet")
        return
    if not postgres_reachable():
        note("reservations_per_s_postgres skipped: nothing listens on 127.0.0.1:5432")
        return
    async with fresh_postgres() as database:
        store = await open_store(database)
        try:
            emit("reservations_per_s_postgres", await reservations_per_s(store, total))
        finally:
            await store.close()
