"""The gateway client against a real local gateway: wire format, retries, every fault's message."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from bot.config import DEFAULT_VARY_PROMPT, load_settings
from bot.errors import BadRequest
from bot.gateway.client import GatewayClient, build_http_client
from bot.gateway.errors import (
    BadGatewayResponse,
    ContentBlocked,
    EditUnsupported,
    GatewayError,
    GatewayMisconfigured,
    GatewayRateLimited,
    GatewayTimeout,
    GatewayUnavailable,
    ModelNotOffered,
    QuotaExhausted,
)
from bot.models import Options, SourceImage
from tests.fakes.gateway import FakeGateway, image_bytes
from tests.support import (
    BLOCKED,
    EDIT_UNSUPPORTED,
    QUOTA,
    RATE_LIMITED,
    UNAVAILABLE,
    image_tokens,
    misconfigured,
    unusable,
)

KEY = "sk-test-9f8e7d6c5b4a-SECRET"
MODEL = "openai/gpt-image-2"
ROOT = Path(__file__).resolve().parents[1]

FAST_RETRY = {"retry-after-ms": "10"}
REJECTED_KEY = "the image service rejected the API key"
WRONG_URL = "the gateway URL looks wrong (IMAGINE_GATEWAY_URL)"


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def source(size: tuple[int, int] = (64, 48), name: str = "photo.png") -> SourceImage:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format="PNG")
    return SourceImage(out.getvalue(), name, "image/png", *size)


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as client:
        yield client


def client(http: httpx.AsyncClient, fake: FakeGateway, **kwargs: Any) -> GatewayClient:
    settings: dict[str, Any] = {"base_url": fake.url, "api_key": KEY, "model": MODEL}
    return GatewayClient(http, **(settings | kwargs))


@asynccontextmanager
async def configured(
    fake: FakeGateway, *, opper: bool = False, **env: Any
) -> AsyncIterator[GatewayClient]:
    """The client the bot builds from its settings for the fake (on its Opper route with
    `opper`), on the bot's own HTTP client, closed afterwards."""
    route = {"IMAGINE_GATEWAY_URL": fake.opper_url, "IMAGINE_GATEWAY_PROTOCOL": "opper"}
    if not opper:
        route = {"IMAGINE_GATEWAY_URL": fake.url}
    settings = load_settings(None, IMAGINE_GATEWAY_KEY=KEY, **route, **env)
    async with build_http_client(settings) as http:
        yield GatewayClient.from_settings(http, settings)


async def ask(gateway: GatewayClient, route: str) -> object:
    """One request on a route: 'generate' a fox, or 'edit' one photo."""
    if route == "edit":
        return await gateway.edit("a hat", [source()], Options())
    return await gateway.generate("a fox", Options())


async def test_generate_sends_key_model_and_options(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    options = Options(size="1024x1536", quality="high", n=2)
    result = await client(http, fake).generate("a red balloon on a wooden table", options)

    assert [size_of(image) for image in result.images] == [(1024, 1536), (1024, 1536)]
    assert all(image.startswith(b"\x89PNG") for image in result.images)
    [seen] = fake.image_requests
    assert seen.path == "/v1/images/generations"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.json == {
        "model": MODEL,
        "prompt": "a red balloon on a wooden table",
        "n": 2,
        "size": "1024x1536",
        "quality": "high",
        "output_format": "png",
    }
    assert result.usage == image_tokens(7, 2 * 6240)
    assert result.request_id == "req_1"
    assert result.cost_usd is None


async def test_generate_sends_optional_fields(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    options = Options(
        quality="low", background="opaque", output_format="jpeg", output_compression=70
    )
    result = await client(http, fake).generate("a cat", options, user="discord:42")

    assert result.images[0].startswith(b"\xff\xd8")
    fields = fake.image_requests[0].json
    assert fields["background"] == "opaque"
    assert fields["output_format"] == "jpeg"
    assert fields["output_compression"] == 70
    assert fields["user"] == "discord:42"
    assert "response_format" not in fields and "stream" not in fields


async def test_edit_sends_every_source_as_image_array_and_the_mask(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    first, second = source((64, 48), "a.png"), source((32, 32), "b.png")
    mask = source((64, 48), "mask.png")
    options = Options(size="1536x1024", quality="low")

    result = await client(http, fake).edit("make it blue", [first, second], options, mask=mask)

    assert [size_of(image) for image in result.images] == [(1536, 1024)]
    [seen] = fake.image_requests
    assert seen.path == "/v1/images/edits"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    images = seen.files("image[]")
    assert [(p.filename, p.content_type, p.data) for p in images] == [
        ("a.png", "image/png", first.data),
        ("b.png", "image/png", second.data),
    ]
    assert [p.data for p in seen.files("mask")] == [mask.data]
    assert seen.files("image") == []
    assert seen.form == {
        "model": MODEL,
        "prompt": "make it blue",
        "n": "1",
        "size": "1536x1024",
        "quality": "low",
        "output_format": "png",
    }
    assert result.usage is not None and result.usage.input_image_tokens == 2 * 323


async def test_edit_of_one_image_still_uses_the_array_field(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    await client(http, fake).edit("add a hat", [source()], Options())

    [seen] = fake.image_requests
    assert len(seen.files("image[]")) == 1
    assert seen.files("mask") == []


@pytest.mark.parametrize("size", ["auto", "2048x1152", "1024x1536"])
async def test_vary_sends_the_size_the_handler_chose(
    fake: FakeGateway, http: httpx.AsyncClient, size: str
) -> None:
    image = SourceImage(source().data, "s.png", "image/png", 1600, 900)

    await client(http, fake).vary(image, Options(size=size))

    [seen] = fake.image_requests
    assert seen.path == "/v1/images/edits"
    assert seen.form["size"] == size
    assert seen.form["prompt"] == DEFAULT_VARY_PROMPT


async def test_vary_honours_an_explicit_size_and_prompt(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    image = SourceImage(source().data, "s.png", "image/png", 1600, 900)
    gateway = client(http, fake, vary_prompt="same, but at night")

    await gateway.vary(image, Options(size="1024x1024"))
    await gateway.vary(image, Options(), prompt="in watercolour")

    assert [r.form["size"] for r in fake.image_requests] == ["1024x1024", "1024x1024"]
    assert [r.form["prompt"] for r in fake.image_requests] == [
        "same, but at night",
        "in watercolour",
    ]


async def test_vary_of_an_image_of_unknown_shape_asks_for_auto(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    await client(http, fake).vary(SourceImage(source().data), Options(size="auto"))

    assert fake.image_requests[0].form["size"] == "auto"


async def test_streaming_delivers_partials_then_the_final_images(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    partials: list[bytes] = []

    async def on_partial(image: bytes) -> None:
        partials.append(image)

    result = await client(http, fake).generate("a fox", Options(n=2), on_partial=on_partial)

    assert fake.image_requests[0].json["stream"] is True
    assert fake.image_requests[0].json["partial_images"] == 2
    assert partials == [image_bytes("1024x1024", "png", (128, 128, 128))] * 4
    assert result.images == (image_bytes("1024x1024"),) * 2
    assert result.usage == image_tokens(2, 2 * 1056)
    assert result.request_id == "req_1"


async def test_streaming_edit_uses_edit_events(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    partials: list[bytes] = []

    async def on_partial(image: bytes) -> None:
        partials.append(image)

    result = await client(http, fake).edit("a hat", [source()], Options(), on_partial=on_partial)

    assert fake.image_requests[0].form["stream"] == "true"
    assert len(partials) == 2
    assert result.images == (image_bytes("1024x1024"),)


async def test_a_failing_preview_callback_does_not_fail_the_request(
    fake: FakeGateway, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def on_partial(image: bytes) -> None:
        raise RuntimeError("chat platform down")

    result = await client(http, fake).generate("a fox", Options(), on_partial=on_partial)

    assert len(result.images) == 1
    assert "a partial preview could not be delivered" in caplog.text


async def test_stream_request_answered_with_plain_json_is_accepted(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("data_url")

    async def on_partial(image: bytes) -> None:
        raise AssertionError("no partials in a plain JSON answer")

    result = await client(http, fake).generate("a fox", Options(), on_partial=on_partial)

    assert result.images == (image_bytes("1024x1024"),)


async def test_stream_error_event_is_mapped(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    fake.fail("stream_error")

    async def on_partial(image: bytes) -> None:
        pass

    with pytest.raises(ContentBlocked) as caught:
        await client(http, fake).generate("a fox", Options(), on_partial=on_partial)

    assert str(caught.value) == BLOCKED
    assert caught.value.gateway_request_id == "req_1"
    assert len(fake.image_requests) == 1


async def test_rate_limit_then_success_honours_retry_after_ms(
    fake: FakeGateway, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("rate_limit")
    caplog.set_level(logging.INFO, logger="bot.gateway")

    result = await client(http, fake).generate("a fox", Options())

    assert len(result.images) == 1
    assert len(fake.image_requests) == 2
    assert result.request_id == "req_2"
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.gateway.client"]
    assert line == (
        "gateway /images/generations: HTTP 429 (x-request-id req_1); retry 1 of 2 in 0.01 s"
    )


@pytest.mark.parametrize(
    ("retry_after", "logged"),
    [("0.02", "in 0.02 s"), ("Wed, 21 Oct 2015 07:28:00 GMT", "in 0.00 s")],
)
async def test_retry_after_in_seconds_or_as_a_date(
    fake: FakeGateway,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    retry_after: str,
    logged: str,
) -> None:
    fake.fail("rate_limit", headers={"retry-after": retry_after})
    caplog.set_level(logging.INFO, logger="bot.gateway")

    await client(http, fake).generate("a fox", Options())

    assert len(fake.image_requests) == 2
    [*_, retried] = [r for r in caplog.records if r.name.startswith("bot.gateway")]
    assert retried.getMessage().endswith(logged)


BAD_SIZE = (
    "The image service rejected the request (parameter: size): Invalid value: 'size'. "
    "Supported: '1024x1024'. You were not charged. Check the options and try again."
)
PERSISTENT = [
    # the fault on every request, how it is scripted, the client's settings, how it ends, tries
    pytest.param("rate_limit", {}, {}, GatewayRateLimited, RATE_LIMITED, 3, id="rate-limited"),
    pytest.param(
        "rate_limit",
        {"headers": {"retry-after": "120"}},
        {"timeout": 30.0},
        GatewayRateLimited,
        RATE_LIMITED,
        1,
        id="retry-after-beyond-the-deadline",
    ),
    *(
        pytest.param(
            "server_error",
            {"headers": FAST_RETRY},
            {"max_retries": retries},
            GatewayUnavailable,
            UNAVAILABLE,
            1 + retries,
            id=f"server-error-max-retries-{retries}",
        )
        for retries in (0, 1, 3)
    ),
    pytest.param(
        "server_error",
        {"headers": {"x-should-retry": "false"}},
        {},
        GatewayUnavailable,
        UNAVAILABLE,
        1,
        id="x-should-retry-false",
    ),
    pytest.param(
        "invalid_value",
        {"headers": {"x-should-retry": "true", **FAST_RETRY}},
        {},
        BadRequest,
        BAD_SIZE,
        3,
        id="x-should-retry-true-on-a-bad-request",
    ),
]


@pytest.mark.parametrize(("fault", "params", "settings", "error", "message", "tries"), PERSISTENT)
async def test_a_persistent_failure_is_tried_as_often_as_allowed_then_said(
    fake: FakeGateway,
    http: httpx.AsyncClient,
    fault: str,
    params: dict[str, Any],
    settings: dict[str, Any],
    error: type[GatewayError],
    message: str,
    tries: int,
) -> None:
    fake.fail(fault, times=None, **params)

    with pytest.raises(error) as caught:
        await client(http, fake, **settings).generate("a fox", Options())

    assert str(caught.value) == message
    assert len(fake.image_requests) == tries
    if not isinstance(caught.value, BadRequest):  # a refusal of ours names no request
        assert caught.value.gateway_request_id == f"req_{tries}"


async def test_on_retry_counts_each_retried_attempt(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    retries: list[None] = []
    fake.fail("server_error", times=2, headers=FAST_RETRY)

    await client(http, fake, on_retry=lambda: retries.append(None)).generate("a fox", Options())

    assert len(retries) == 2


async def test_server_error_then_success(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    fake.fail("server_error", times=2, status=503, headers=FAST_RETRY)

    result = await client(http, fake).generate("a fox", Options())

    assert len(result.images) == 1
    assert len(fake.image_requests) == 3


REFUSALS = [
    ("moderation_blocked", "generate", ContentBlocked, BLOCKED),
    ("content_policy_violation", "generate", ContentBlocked, BLOCKED),
    ("insufficient_quota", "generate", QuotaExhausted, QUOTA),
    ("unauthorized", "generate", GatewayMisconfigured, misconfigured(REJECTED_KEY)),
    ("not_found", "edit", EditUnsupported, EDIT_UNSUPPORTED),
    ("not_found", "generate", GatewayMisconfigured, misconfigured(WRONG_URL)),
]


@pytest.mark.parametrize(("fault", "route", "error", "message"), REFUSALS)
async def test_a_refusal_is_never_retried_and_says_why(
    fake: FakeGateway,
    http: httpx.AsyncClient,
    fault: str,
    route: str,
    error: type[Exception],
    message: str,
) -> None:
    fake.fail(fault, times=None, headers={"x-should-retry": "true", **FAST_RETRY})

    with pytest.raises(error) as caught:
        await ask(client(http, fake), route)

    assert str(caught.value) == message
    assert getattr(caught.value, "charged", None) is False
    assert len(fake.image_requests) == 1


async def test_a_rejected_key_is_a_configuration_error_without_the_key(
    http: httpx.AsyncClient,
) -> None:
    async with FakeGateway(key="the-right-key") as fake:
        with pytest.raises(GatewayMisconfigured) as caught:
            await client(http, fake).generate("a fox", Options())

    assert str(caught.value) == misconfigured(REJECTED_KEY)
    assert KEY not in str(caught.value)
    assert len(fake.image_requests) == 1


async def test_missing_key_fails_before_any_request(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    with pytest.raises(GatewayMisconfigured) as caught:
        await client(http, fake, api_key=None).generate("a fox", Options())

    assert str(caught.value) == misconfigured("no API key is set (IMAGINE_GATEWAY_KEY)")
    assert fake.requests == []


async def test_a_url_without_the_images_route_is_a_wrong_url(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    gateway = client(http, fake, base_url=fake.origin + "/nothing-here")

    with pytest.raises(GatewayMisconfigured) as caught:
        await gateway.generate("a fox", Options())

    assert str(caught.value) == misconfigured(WRONG_URL)


@pytest.mark.parametrize("route", ["generate", "edit"])
@pytest.mark.parametrize("model", ["openai/gpt-image-9", "gpt-image-9"])
async def test_unknown_model(
    fake: FakeGateway, http: httpx.AsyncClient, route: str, model: str
) -> None:
    fake.fail("model_not_found")
    gateway = client(http, fake, model=model)

    with pytest.raises(ModelNotOffered) as caught:
        await ask(gateway, route)

    # the stand-in lists its models, as Vercel's gateway does
    expected = f"the gateway does not offer model '{model}' (IMAGINE_MODEL); it offers {MODEL}"
    assert str(caught.value) == misconfigured(expected)
    assert len(fake.image_requests) == 1


async def test_invalid_value_names_the_parameter(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    with pytest.raises(BadRequest) as caught:
        await client(http, fake).generate("a fox", Options(size="999x999"))

    assert str(caught.value) == (
        "The image service rejected the request (parameter: size): Invalid 'size'. "
        "You were not charged. Check the options and try again."
    )
    assert len(fake.image_requests) == 1


async def test_a_long_provider_message_is_capped(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("invalid_value", param="prompt", message="word " * 100)

    with pytest.raises(BadRequest) as caught:
        await client(http, fake).generate("a fox", Options())

    detail = ("word " * 40)[:199].rstrip() + "…"
    assert caught.value.message == (
        f"The image service rejected the request (parameter: prompt): {detail} "
        "You were not charged. Check the options and try again."
    )


async def test_hang_past_the_timeout(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    fake.fail("hang")

    with pytest.raises(GatewayTimeout) as caught:
        await client(http, fake, timeout=0.3).generate("a fox", Options())

    assert str(caught.value) == (
        "The image service did not answer within 1 s. You were not charged. "
        "Try again, perhaps with a lower quality."
    )
    assert len(fake.image_requests) == 1


async def test_slow_gateway_within_the_timeout(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    fake.fail("delay", seconds=0.05)

    result = await client(http, fake, timeout=30.0).generate("a fox", Options())

    assert len(result.images) == 1


async def test_connection_reset_mid_body_is_retried(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("reset")

    result = await client(http, fake, max_retries=1).generate("a fox", Options())

    assert len(result.images) == 1
    assert len(fake.image_requests) == 2


async def test_persistent_connection_resets_end_unavailable(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("reset", times=None)

    with pytest.raises(GatewayUnavailable) as caught:
        await client(http, fake, max_retries=1).generate("a fox", Options())

    assert str(caught.value) == UNAVAILABLE
    assert len(fake.image_requests) == 2


async def test_a_stream_cut_after_previews_is_not_retried(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("reset")
    partials: list[bytes] = []

    async def on_partial(image: bytes) -> None:
        partials.append(image)

    with pytest.raises(GatewayUnavailable) as caught:
        await client(http, fake).generate("a fox", Options(), on_partial=on_partial)

    assert str(caught.value) == UNAVAILABLE
    assert len(partials) == 2
    assert len(fake.image_requests) == 1


async def test_nothing_listening_is_unavailable(http: httpx.AsyncClient) -> None:
    async with FakeGateway() as gone:
        url = gone.url

    gateway = GatewayClient(http, base_url=url, api_key=KEY, model=MODEL, max_retries=0)
    with pytest.raises(GatewayUnavailable) as caught:
        await gateway.generate("a fox", Options())

    assert str(caught.value) == UNAVAILABLE


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ("malformed_json", "malformed JSON"),
        ("empty_data", "no images"),
        ("bad_base64", "undecodable image data"),
    ],
)
async def test_unusable_answers(
    fake: FakeGateway, http: httpx.AsyncClient, fault: str, detail: str
) -> None:
    fake.fail(fault)

    with pytest.raises(BadGatewayResponse) as caught:
        await client(http, fake).generate("a fox", Options())

    assert str(caught.value) == unusable(detail)
    assert caught.value.gateway_request_id == "req_1"
    assert len(fake.image_requests) == 1


async def test_fewer_images_than_asked_are_returned_as_they_are(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("fewer_images")

    result = await client(http, fake).generate("a fox", Options(n=3))

    assert len(result.images) == 2


async def test_data_url_results(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    fake.fail("data_url")

    result = await client(http, fake).generate("a fox", Options(output_format="webp"))

    assert result.images == (image_bytes("1024x1024", "webp"),)


async def test_url_results_on_the_gateway_host_are_fetched_with_the_key(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    fake.fail("url")

    result = await client(http, fake).generate("a fox", Options(size="1536x1024"))

    assert result.images == (image_bytes("1536x1024"),)
    download = fake.requests[-1]
    assert (download.method, download.path) == ("GET", "/files/1536x1024.png")
    assert download.headers["authorization"] == f"Bearer {KEY}"


async def test_url_results_on_another_host_get_no_key(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    async with FakeGateway() as cdn:
        fake.fail("url", base=cdn.origin)

        result = await client(http, fake).vary(source(), Options())

    assert result.images == (image_bytes("1024x1024"),)
    [download] = cdn.requests
    assert download.path == "/files/1024x1024.png"
    assert "authorization" not in download.headers


async def test_a_missing_url_result_is_unusable(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    async with FakeGateway() as cdn:
        fake.fail("url", base=cdn.origin + "/gone")

        with pytest.raises(BadGatewayResponse) as caught:
            await client(http, fake).generate("a fox", Options())

    assert str(caught.value) == unusable("an image link answered HTTP 404")


async def test_opper_generate(fake: FakeGateway, http: httpx.AsyncClient) -> None:
    gateway = client(http, fake, base_url=fake.opper_url, protocol="opper", model="gpt-image-1")

    result = await gateway.generate("a fox", Options(n=2, size="1536x1024", output_format="webp"))

    assert [size_of(image) for image in result.images] == [(1536, 1024)] * 2
    assert all(image.startswith(b"RIFF") for image in result.images)
    assert result.cost_usd == Decimal("0.08")
    assert result.usage is None
    [seen] = fake.image_requests
    assert seen.path == "/v3/images"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.json == {
        "model": "gpt-image-1",
        "prompt": "a fox",
        "n": 2,
        "size": "1536x1024",
        "quality": "medium",
        "response_format": "b64_json",
        "store": False,
        "parameters": {"output_format": "webp"},
    }


async def test_opper_edit_sends_images_as_data_uris(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    gateway = client(http, fake, base_url=fake.opper_url, protocol="opper")
    first = source()
    large = SourceImage(os.urandom(400_000), "big.png", "image/png", 2000, 2000)
    mask = source(name="mask.png")

    result = await gateway.edit("make it blue", [first, large], Options(), mask=mask)

    assert len(result.images) == 1
    body = fake.image_requests[0].json

    def decoded(uri: str) -> bytes:
        assert uri.startswith("data:image/png;base64,")
        return base64.b64decode(uri.split(",", 1)[1])

    assert decoded(body["image"]) == first.data
    assert [decoded(uri) for uri in body["reference_images"]] == [large.data]
    assert decoded(body["mask"]) == mask.data


async def test_opper_refuses_more_than_four_images_before_asking(
    fake: FakeGateway, http: httpx.AsyncClient
) -> None:
    gateway = client(http, fake, base_url=fake.opper_url, protocol="opper")

    with pytest.raises(BadRequest) as caught:
        await gateway.generate("a fox", Options(n=5))

    assert str(caught.value) == (
        "This image service makes at most 4 images per request; ask for 4 or fewer. "
        "You were not charged."
    )
    assert fake.requests == []


async def test_opper_errors_map_like_openai(fake: FakeGateway) -> None:
    fake.fail("moderation_blocked")
    async with configured(fake, opper=True) as gateway:
        with pytest.raises(ContentBlocked):
            await gateway.generate("a fox", Options())

    assert gateway.protocol == "opper"
    assert len(fake.image_requests) == 1


async def test_from_settings_uses_the_configured_gateway(fake: FakeGateway) -> None:
    fake.fail("server_error")
    env = {"IMAGINE_MODEL": "vendor/model-x", "IMAGINE_VARY_PROMPT": "again"}
    async with configured(fake, IMAGINE_GATEWAY_MAX_RETRIES=0, **env) as gateway:
        with pytest.raises(GatewayUnavailable):
            await gateway.generate("a fox", Options())
        await gateway.vary(source(), Options())

    assert [r.fields["model"] for r in fake.image_requests] == ["vendor/model-x"] * 2
    assert fake.image_requests[1].form["prompt"] == "again"


async def test_the_key_appears_in_no_log_line_and_no_error(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "bot.gateway"):
        caplog.set_level(logging.DEBUG, logger=name)
    errors: list[str] = []
    async with FakeGateway() as fake, FakeGateway(key="another-key") as strict:
        fake.fail("rate_limit")
        await client(http, fake).generate("a fox", Options())
        fake.fail("reset")
        fake.fail("url")
        await client(http, fake, max_retries=1).generate("a fox", Options())
        fake.fail("invalid_value", message=f"bad request from {KEY}")
        for gateway in (client(http, fake), client(http, strict)):
            try:
                await gateway.generate("a fox", Options())
            except (BadRequest, GatewayMisconfigured) as exc:
                errors.append(str(exc))

    assert len(errors) == 2
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert any(r.name == "bot.gateway.client" for r in caplog.records)
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for text in (logged, *errors):
        assert KEY not in text
        assert "SECRET" not in text


async def test_the_fake_runs_as_a_process(http: httpx.AsyncClient) -> None:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.fakes.gateway", "--port", "0", "--delay", "0.01"),
        *("--fault", "server_error:1", "--key", KEY, "--model", MODEL, "--cost", "0.0125"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        gateway = GatewayClient(http, base_url=url, api_key=KEY, model=MODEL, max_retries=0)
        with pytest.raises(GatewayUnavailable):
            await gateway.generate("a fox", Options())
        result = await gateway.edit("a hat", [source()], Options(size="1024x1536"))
        seen = (await http.get(url.removesuffix("/v1") + "/_fake/requests")).json()
    finally:
        process.send_signal(signal.SIGTERM)
        assert await process.wait() == 0

    assert [size_of(image) for image in result.images] == [(1024, 1536)]
    assert result.cost_usd == Decimal("0.0125")
    assert [r["path"] for r in seen["requests"]] == ["/v1/images/generations", "/v1/images/edits"]
    assert seen["requests"][1]["files"] == [["image[]", "photo.png", len(source().data)]]
    assert seen["requests"][1]["fields"]["size"] == "1024x1536"
