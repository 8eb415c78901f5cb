"""Kept results and the ledger's delivery state, on every store implementation.

Images made but not delivered stay in the store, stop counting against the person's limits,
stay in the admin's totals (shown apart), can be claimed once for another try, and are
purged after their retention.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import LimitReached
from bot.models import GeneratedImage, Limits, Scope, TokenUsage
from bot.store import Store, open_store
from bot.usage import Totals
from tests.storefixtures import NOW, STORE_KINDS, reservation, store_url
from tests.support import wait_until

CHANNEL = Scope("discord", "guild1", "general")
MADE = (
    GeneratedImage(b"\x89PNG first", "image/png", "imagine-1.png", 1024, 1024),
    GeneratedImage(b"\x89PNG second", "image/png", "imagine-2.png", 1024, 1536),
)


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh, migrated store of each implementation."""
    opened = await open_store(store_url(request.param, tmp_path))
    yield opened
    await opened.close()


async def made(store: Store, n: int = 2, cost: float = 0.1) -> str:
    """A request that made `n` images, kept and settled as the handler does; its id."""
    entry = await store.reserve(reservation(n=n, cost=cost), Limits(), NOW)
    await store.keep_results(entry.id, MADE[:n], NOW)
    await store.settle_succeeded(entry.id, n, TokenUsage(10, 20), cost, NOW)
    return entry.id


async def test_made_images_are_kept_pending_and_count_until_delivered(store: Store) -> None:
    entry_id = await made(store)

    entry = await store.get_entry(entry_id)
    assert entry is not None
    assert (entry.status, entry.delivery, entry.delivery_at) == ("succeeded", "pending", NOW)
    assert await store.kept_results(entry_id) == MADE
    assert (await store.user_usage(CHANNEL, "alice", Limits(), NOW)).images_today == 2

    later = NOW + timedelta(seconds=5)
    await store.settle_delivery(entry_id, True, later)

    entry = await store.get_entry(entry_id)
    assert entry is not None
    assert (entry.delivery, entry.delivery_at) == ("delivered", later)
    assert await store.kept_results(entry_id) == ()
    assert (await store.user_usage(CHANNEL, "alice", Limits(), NOW)).images_today == 2
    assert await store.claim_delivery(entry_id, later) is False


async def test_undelivered_images_leave_the_limits_but_stay_in_the_admin_totals(
    store: Store,
) -> None:
    limits = Limits(user_daily_images=2, user_daily_cost_usd=0.1)
    entry_id = await made(store)
    with pytest.raises(LimitReached):
        await store.reserve(reservation(n=1, cost=0.05), limits, NOW)

    await store.settle_delivery(entry_id, False, NOW)

    mine = await store.user_usage(CHANNEL, "alice", limits, NOW)
    assert (mine.images_today, mine.cost_today_usd, mine.images_remaining) == (0, 0.0, 2)
    report = await store.scope_usage(CHANNEL, NOW)
    assert (report.images_today, report.cost_today_usd) == (2, 0.1)
    assert report.undelivered == Totals(
        images_today=2, cost_today_usd=0.1, images_month=2, cost_month_usd=0.1
    )
    assert await store.kept_results(entry_id) == MADE
    again = await store.reserve(reservation(n=2, cost=0.1), limits, NOW)
    assert again.status == "reserved"


async def test_keeping_nothing_keeps_nothing(store: Store) -> None:
    entry = await store.reserve(reservation(), Limits(), NOW)
    await store.keep_results(entry.id, (), NOW)
    assert await store.kept_results(entry.id) == ()


async def test_a_claim_wins_once_and_counts_the_images_again(store: Store) -> None:
    limits = Limits(user_daily_images=2)
    entry_id = await made(store)
    await store.settle_delivery(entry_id, False, NOW)

    assert await store.claim_delivery(entry_id, NOW) is True
    assert await store.claim_delivery(entry_id, NOW) is False
    with pytest.raises(LimitReached):
        await store.reserve(reservation(n=1), limits, NOW)
    await store.settle_delivery(entry_id, True, NOW)

    entry = await store.get_entry(entry_id)
    assert entry is not None and entry.delivery == "delivered"
    assert (await store.scope_usage(CHANNEL, NOW)).undelivered == Totals()
    assert (await store.user_usage(CHANNEL, "alice", limits, NOW)).images_today == 2


async def test_housekeeping_gives_up_stalled_deliveries_and_purges_old_images(
    store: Store,
) -> None:
    stalled = await made(store)
    old = await made(store, n=1)
    await store.settle_delivery(old, False, NOW)
    later = NOW + timedelta(hours=1)

    purged = await store.expire_deliveries(later, NOW + timedelta(seconds=1), NOW)
    assert purged == 0
    entry = await store.get_entry(stalled)
    assert entry is not None and (entry.delivery, entry.delivery_at) == ("undelivered", later)
    assert await store.kept_results(stalled) == MADE

    purged = await store.expire_deliveries(later, NOW, NOW + timedelta(seconds=1))
    assert purged == 3
    assert await store.kept_results(stalled) == await store.kept_results(old) == ()
    assert await store.claim_delivery(old, later) is True


async def test_a_kept_image_reaches_the_sqlite_file_without_waiting_for_a_writer(
    tmp_path: Path,
) -> None:
    """A kept image (hundreds of pages of the write-ahead log) is copied into the database
    file in the background, not by a later writer's commit: the file grows while nothing
    else is written."""
    path = tmp_path / "kept.db"
    store = await open_store(f"sqlite:///{path}")
    try:
        entry = await store.reserve(reservation(n=1), Limits(), NOW)
        noise = GeneratedImage(os.urandom(3_000_000), "image/png", "imagine-1.png", 1024, 1024)
        await store.keep_results(entry.id, (noise,), NOW)
        await wait_until(lambda: path.stat().st_size > 3_000_000)
        assert await store.kept_results(entry.id) == (noise,)
    finally:
        await store.close()
