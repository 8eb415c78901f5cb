"""Reservations sent together (bot/store/batch.py) on every store implementation: each in a
batch is decided against the counters plus the ones granted before it, so a batch grants
exactly what one reservation after another would, and refuses with the same reasons.

Real databases only; the reservations of each test are made at once from one store, so
they reach the database in batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import Cooldown, Disabled, Duplicate, LimitReached
from bot.models import Limits, Scope
from bot.store import Store, open_store
from tests.storefixtures import NOW, STORE_KINDS, actor, reservation, store_url

GUILD = Scope("discord", "guild1")


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh, migrated store of each implementation."""
    opened = await open_store(store_url(request.param, tmp_path))
    yield opened
    await opened.close()


async def at_once(
    store: Store, limits: Limits, count: int, key: str | None = None, cost: float = 0.042
) -> list[object]:
    """`count` one-image reservations by alice made at once: their entries or errors."""
    return await asyncio.gather(
        *(store.reserve(reservation(key=key, cost=cost), limits, NOW) for _ in range(count)),
        return_exceptions=True,
    )


def granted(results: list[object]) -> int:
    """How many of the results are granted reservations."""
    return sum(not isinstance(result, BaseException) for result in results)


async def test_one_idempotency_key_sent_ten_times_at_once_is_granted_once(store: Store) -> None:
    results = await at_once(store, Limits(), 10, key="the-same-click")
    assert granted(results) == 1
    assert sum(isinstance(result, Duplicate) for result in results) == 9
    assert (await store.user_usage(GUILD, "alice", Limits(), NOW)).images_today == 1


async def test_a_cooldown_lets_one_of_a_persons_requests_at_once_through(store: Store) -> None:
    results = await at_once(store, Limits(cooldown_s=60), 10)
    assert granted(results) == 1
    waits = [result.wait_s for result in results if isinstance(result, Cooldown)]
    assert len(waits) == 9
    assert all(0 < wait <= 60 for wait in waits)


async def test_a_dollar_budget_at_once_grants_what_fits_and_names_the_limit(store: Store) -> None:
    limits = Limits(workspace_daily_cost_usd=1.0)
    results = await at_once(store, limits, 10, cost=0.3)
    assert granted(results) == 3
    refusals = [result for result in results if isinstance(result, LimitReached)]
    assert len(refusals) == 7
    assert {r.limit for r in refusals} == {"workspace_daily_cost_usd"}
    assert {round(r.used, 9) for r in refusals} == {0.9}


async def test_people_at_once_share_the_channel_budget_and_keep_their_own(store: Store) -> None:
    limits = Limits(user_daily_images=2, channel_daily_images=5)
    people = [actor(f"person-{index % 4}") for index in range(20)]
    results = await asyncio.gather(
        *(store.reserve(reservation(who, n=1), limits, NOW) for who in people),
        return_exceptions=True,
    )
    assert granted(results) == 5
    usage = [await store.user_usage(GUILD, f"person-{i}", limits, NOW) for i in range(4)]
    assert sum(u.images_today for u in usage) == 5
    assert max(u.images_today for u in usage) == 2


async def test_a_disabled_scope_refuses_every_request_of_a_batch(store: Store) -> None:
    results = await at_once(store, Limits(enabled=False), 5)
    assert all(isinstance(result, Disabled) for result in results)
    assert (await store.user_usage(GUILD, "alice", Limits(), NOW)).images_today == 0


async def test_a_row_the_database_refuses_fails_alone_and_its_batch_goes_in(
    store: Store,
) -> None:
    broken = reservation(n=0)  # the ledger's CHECK (n >= 1) refuses the row itself
    results = await asyncio.gather(
        *(store.reserve(reservation(), Limits(), NOW) for _ in range(4)),
        store.reserve(broken, Limits(), NOW),
        *(store.reserve(reservation(), Limits(), NOW) for _ in range(4)),
        return_exceptions=True,
    )
    assert granted(results) == 8
    assert isinstance(results[4], Exception)
    assert not isinstance(results[4], (Duplicate, LimitReached))
    assert await store.get_entry(broken.id) is None
    assert (await store.user_usage(GUILD, "alice", Limits(), NOW)).images_today == 8
