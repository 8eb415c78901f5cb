"""The handler's delivery methods: retries while a cause may pass, kept images for Deliver
again, and housekeeping that gives up stalled deliveries and purges old kept images."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.delivery import DeliveryFailed, Undelivered
from bot.errors import BadRequest, ContentBlocked
from bot.models import Result
from tests.fakes.gateway import FakeGateway
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
        f"The images of request {result.request_id[:8]} are being delivered right now."
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
        "images are kept for 24 h. They did not count against your limits."
    )
    assert after.delivery == "undelivered" and kept == ()
    assert failed.delivery is None
    assert nothing.value.message == f"Request {failed.id[:8]} made no images to deliver."
