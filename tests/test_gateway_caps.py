"""Every gateway answer is read with a cap: the JSON answer, each stream event, an error body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import NOT_CHARGED, BadRequest, UserFacingError
from bot.gateway.client import GatewayClient, build_http_client
from bot.gateway.errors import BadGatewayResponse
from bot.handler import ImagineHandler
from bot.models import Actor, ImageRequest, LedgerEntry, Options, Progress
from bot.store import Store, open_store
from tests.fakes.gateway import FakeGateway
from tests.support import make_settings, unusable

CAP = 64 * 1024  # one image, for these tests; the JSON answer may hold n of them as base64


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


@asynccontextmanager
async def capped(tmp_path: Path, fake: FakeGateway) -> AsyncIterator[ImagineHandler]:
    settings = make_settings(tmp_path, IMAGINE_GATEWAY_URL=fake.url)
    store = await open_store(settings.database_url)
    try:
        async with build_http_client(settings) as http:
            key = settings.gateway_key.get_secret_value() if settings.gateway_key else None
            backend = GatewayClient(
                http, base_url=fake.url, api_key=key, model=settings.model, max_image_bytes=CAP
            )
            yield ImagineHandler(settings, store, backend)
    finally:
        await store.close()


def request(n: int = 1) -> ImageRequest:
    who = Actor(platform="cli", workspace_id="w", channel_id="general", user_id="alice")
    return ImageRequest(
        kind="generate",
        prompt="a red balloon",
        actor=who,
        idempotency_key=f"caps-{n}",
        options=Options(n=n),
    )


async def rows(store: Store) -> list[LedgerEntry]:
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return [entry async for entry in store.export(start, end)]


async def ignore(progress: Progress) -> Any:
    return None


async def test_a_json_answer_past_n_images_is_refused_and_not_charged(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.fail("oversized", bytes=CAP + 16 * 1024)
    async with capped(tmp_path, fake) as handler:
        with pytest.raises(BadGatewayResponse) as one:
            await handler.generate(request())
        fine = await handler.generate(request(2))
        ledger = await rows(handler.store)

    assert one.value.message == unusable("an answer larger than 101 KB")
    assert len(fine.images) == 2  # an answer within the cap is read as before
    charged = sorted((e.n, e.status, e.error_kind, e.images_delivered) for e in ledger)
    assert charged == [(1, "failed", "bad_response", 0), (2, "succeeded", None, 2)]
    assert [e.est_cost_usd for e in ledger if e.status == "failed"] == [0]


REJECTED = (
    "The image service rejected the request: HTTP 400. "
    f"{NOT_CHARGED} Check the options and try again."
)
PAST_THE_CAP = [
    (
        "oversized",
        {"bytes": CAP + 16 * 1024},
        True,
        BadGatewayResponse,
        unusable("a stream event larger than 101 KB"),
    ),
    ("invalid_value", {"message": "x" * (2 * 1024 * 1024)}, False, BadRequest, REJECTED),
]


@pytest.mark.parametrize(("fault", "params", "stream", "error", "message"), PAST_THE_CAP)
async def test_a_stream_event_or_error_body_past_its_cap_is_refused_and_not_charged(
    tmp_path: Path,
    fake: FakeGateway,
    fault: str,
    params: dict[str, Any],
    stream: bool,
    error: type[UserFacingError],
    message: str,
) -> None:
    """An event past one image is unusable; an error body past a MiB is judged by its status."""
    fake.fail(fault, **params)
    async with capped(tmp_path, fake) as handler:
        with pytest.raises(error) as refused:
            await handler.generate(request(), ignore if stream else None)
        ledger = await rows(handler.store)

    assert fake.image_requests[0].json.get("stream", False) is stream
    assert refused.value.message == message
    assert [(e.status, e.images_delivered, e.est_cost_usd) for e in ledger] == [("failed", 0, 0)]
