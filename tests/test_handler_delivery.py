"""The handler's delivery methods: retries while a cause may pass, kept images for Deliver
again, and housekeeping that gives up stalled deliveries and purges old kept images."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.delivery import DeliveryFailed, Undelivered
from bot.errors import BadRequest
from bot.gateway.errors import ContentBlocked
from bot.models import Result
from tests.fakes.gateway import FakeGateway
from tests.storefixtures import postgres_url
from tests.test_handler import NOW, Clock, actor, request, rows, running

AGAIN = "Press Deliver again to get them."


async def test_a_passing_cause_is_tried_again_until_the_images_arrive(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    tries: list[int] = []
    async with running(tmp_path, gateway, IMAGINE_DELIVERY_RETRY_SECONDS=30) as handler:
        result = await handler.generate(request())

        async def flaky() -> str:
            tries.append(len(tries))
            if len(tries) < 3:
                raise DeliveryFailed("the platform answered 503", transient=True)
            return "posted"

        posted = await handler.deliver(result, flaky, again=AGAIN)
        entry = await handler.entry(result.request_id)
        kept = await handler.store.kept_results(result.request_id)

    assert (posted, len(tries)) == ("posted", 3)
    assert entry.delivery == "delivered" and kept == ()


async def test_a_lasting_cause_is_not_retried_and_the_images_stay_kept(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    tries: list[int] = []
    async with running(tmp_path, gateway, IMAGINE_DELIVERY_RETRY_SECONDS=30) as handler:
        result = await handler.generate(request(n=2))

        async def forbidden() -> None:
            tries.append(1)
            raise DeliveryFailed("the bot may not post here", transient=False, fix="Ask an admin.")

        with pytest.raises(Undelivered) as undelivered:
            await handler.deliver(result, forbidden, again=AGAIN)
        usage = await handler.usage(actor())
        again = await handler.deliver_again(result.request_id, actor())
        with pytest.raises(BadRequest) as twice:
            await handler.deliver_again(result.request_id, actor())

    assert tries == [1]
    assert undelivered.value.message == (
        f"The images of request {result.request_id[:8]} were made, but the bot may not post "
        "here. Ask an admin. They are kept for 48 h and do not count against your limits "
        f"until you receive them. {AGAIN}"
    )
    assert usage.images_today == 0
    assert again == Result(
        result.request_id, "generate", result.prompt, result.options, result.images, result.cost_usd
    )
    assert twice.value.message == (
        f"The images of request {result.request_id[:8]} are being delivered right now. "
        "You were not charged."
    )


async def test_housekeeping_gives_up_stalled_deliveries_then_purges_their_images(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    clock = Clock(NOW)
    settings = {"IMAGINE_DELIVERY_RETRY_SECONDS": 60, "IMAGINE_RESULT_RETENTION_HOURS": 24}
    async with running(tmp_path, gateway, clock=clock, **settings) as handler:
        stalled = await handler.generate(request())  # its process stopped before delivering
        gateway.fail("moderation_blocked")
        with pytest.raises(ContentBlocked):
            await handler.generate(request())
        clock.now = NOW + timedelta(minutes=10)
        await handler.housekeeping()
        still = await handler.entry(stalled.request_id)
        clock.now = NOW + timedelta(minutes=11, seconds=1)
        await handler.housekeeping()
        given_up = await handler.entry(stalled.request_id)
        usage = await handler.usage(actor())
        clock.now = NOW + timedelta(hours=24, seconds=1)
        await handler.housekeeping()
        with pytest.raises(BadRequest) as gone:
            await handler.deliver_again(stalled.request_id, actor())
        after = await handler.entry(stalled.request_id)
        kept = await handler.store.kept_results(stalled.request_id)
        [failed] = [e for e in await rows(handler.store) if e.status == "failed"]
        with pytest.raises(BadRequest) as nothing:
            await handler.deliver_again(failed.id, actor())

    assert still.delivery == "pending"
    assert given_up.delivery == "undelivered" and usage.images_today == 0
    assert gone.value.message == (
        f"The images of request {stalled.request_id[:8]} are no longer kept: undelivered "
        "images are kept for 24 h. They did not count against your limits. You were not charged."
    )
    assert after.delivery == "undelivered" and kept == ()
    assert failed.delivery is None
    assert nothing.value.message == (
        f"Request {failed.id[:8]} made no images to deliver. You were not charged."
    )


async def wait_for(conn: asyncpg.Connection, query: str, *args: object) -> Any:
    """Poll a query until it answers something (at most ~20 s)."""
    for _ in range(400):
        if found := await conn.fetchval(query, *args):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing answered {query!r}")


async def test_a_request_cancelled_while_its_images_are_kept_stays_billed_and_deliverable(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    url = postgres_url()
    plain, _, query = url.partition("?")
    schema = dict(part.split("=") for part in query.split("&"))["search_path"]
    gateway.fail("delay", seconds=1)
    async with running(tmp_path, gateway, IMAGINE_DATABASE_URL=url) as handler:
        locker = await asyncpg.connect(plain, server_settings={"search_path": schema})
        try:
            task = asyncio.create_task(handler.generate(request()))
            entry_id = await wait_for(locker, "SELECT id FROM usage WHERE status = 'reserved'")
            # hold the row while the gateway answers: keeping the images then waits on it
            held = locker.transaction()
            await held.start()
            await locker.execute("SELECT 1 FROM usage WHERE id = $1 FOR UPDATE", entry_id)
            await wait_for(
                locker,
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()",
            )
            task.cancel()
            await asyncio.sleep(0.5)  # the cancellation's own settlement runs now, or waits
            await held.rollback()
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            await locker.close()
        [entry] = await rows(handler.store)
        kept = await handler.store.kept_results(entry_id)

    assert (entry.status, entry.delivery, entry.images_delivered) == (
        "succeeded",
        "undelivered",
        1,
    )
    assert entry.est_cost_usd > 0 and len(kept) == 1
