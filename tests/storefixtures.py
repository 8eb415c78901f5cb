"""Helpers for the store suite: one opener per implementation, requests, a racing process.

Add an implementation by adding its name to STORE_KINDS and a branch to `store_url`
(PostgreSQL: create a fresh database for `tmp_path`'s test and return its URL).
Run as a script, this module is one of several OS processes racing on one ledger.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.errors import Refused
from bot.models import Actor, Limits, Options, Reservation
from bot.store import open_store

STORE_KINDS = ["sqlite"]
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def store_url(kind: str, tmp_path: Path) -> str:
    """A database URL for a fresh, empty store of one implementation."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    raise ValueError(f"no store implementation called {kind!r}")


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


async def race(url: str, user: str, tasks: int, limits: Limits) -> int:
    """Reserve `tasks` images at once for one user; how many were granted."""
    store = await open_store(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        results = await asyncio.gather(
            *(store.reserve(reservation(actor(user)), limits, NOW) for _ in range(tasks)),
            return_exceptions=True,
        )
    finally:
        await store.close()
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, Refused)]
    if unexpected:
        raise unexpected[0]
    return sum(1 for r in results if not isinstance(r, BaseException))


if __name__ == "__main__":
    _, db_url, user_id, count, user_limit, channel_limit = sys.argv
    granted = asyncio.run(
        race(
            db_url,
            user_id,
            int(count),
            Limits(user_daily_images=int(user_limit), channel_daily_images=int(channel_limit)),
        )
    )
    print(f"granted {granted}", flush=True)
