"""What the real gateways answer, as the client reads it: Vercel's, OpenAI's and Opper's error
kinds, the gateway's own cost, warnings, free sizes and formats, Opper's fields, and a gateway
that cannot be reached at all (the log names the host and the cause, the person reads a
generic line)."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.config import load_settings
from bot.errors import BadRequest
from bot.gateway.client import GatewayClient, build_http_client
from bot.gateway.errors import (
    ContentBlocked,
    FreeTierModel,
    GatewayBudgetSpent,
    GatewayError,
    GatewayRateLimited,
    GatewayRuleRefused,
    GatewayTimeout,
    GatewayUnavailable,
    ModelNotOffered,
    QuotaExhausted,
    VerificationRequired,
)
from bot.gateway.failures import unreachable_cause
from bot.gateway.wire import offered_models, parse_cost, parse_warnings
from bot.models import Options
from tests.fakes.gateway import FakeGateway
from tests.support import BLOCKED, QUOTA, UNAVAILABLE, image_tokens, misconfigured, picture
from tests.test_gateway import KEY, ask, configured, source

GPT2 = "openai/gpt-image-2"
BUDGET = (
    "The spending budget set on the bot's image gateway is used up. You were not charged. "
    "Tell the bot's admin: they can raise the gateway's budget or wait until it resets."
)
MASK_IGNORED = "This model does not support masks; the whole image was edited."


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway(models=[GPT2, "gpt-image-2", "gpt-image-1"]) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(None, IMAGINE_GATEWAY_CONNECT_TIMEOUT="0.5")
    async with build_http_client(settings) as client:
        yield client


def client(http: httpx.AsyncClient, url: str, **kwargs: Any) -> GatewayClient:
    return GatewayClient(http, **({"base_url": url, "api_key": KEY, "model": GPT2} | kwargs))


def opper(http: httpx.AsyncClient, fake: FakeGateway, **kwargs: Any) -> GatewayClient:
    return client(http, fake.opper_url, **({"protocol": "opper", "model": "gpt-image-1"} | kwargs))


async def models_listed(http: httpx.AsyncClient, fake: FakeGateway) -> bool:
    """Whether the stand-in answers GET /v1/models (the `models` branch adds that route)."""
    return (await http.get(fake.url + "/models")).status_code == 200


# --- the model --------------------------------------------------------------------------


async def test_a_gateway_that_knows_only_gpt_image_2_makes_any_legal_size(
    http: httpx.AsyncClient,
) -> None:
    async with FakeGateway(models=[GPT2]) as fake:
        result = await client(http, fake.url).generate(
            "a fox", Options(size="2048x1152", quality="low", output_format="jpeg")
        )

    assert [picture(image) for image in result.images] == [("JPEG", (2048, 1152))]
    assert result.usage == image_tokens(2, 612)


@pytest.mark.parametrize("route", ["generate", "edit"])
async def test_a_model_the_gateway_does_not_offer_is_named_with_what_it_offers(
    http: httpx.AsyncClient, route: str
) -> None:
    async with FakeGateway(models=[GPT2]) as fake:
        gateway = client(http, fake.url, model="openai/gpt-image-9")
        with pytest.raises(ModelNotOffered) as caught:
            await ask(gateway, route)
        listed = await models_listed(http, fake)

    offers = f"; it offers {GPT2}" if listed else ""
    detail = f"the gateway does not offer model 'openai/gpt-image-9' (IMAGINE_MODEL){offers}"
    assert str(caught.value) == misconfigured(detail)
    assert caught.value.kind == "model_not_found"
    assert len(fake.image_requests) == 1  # never retried, and never blamed on the URL


async def test_a_chosen_model_is_named_with_the_setting_that_offers_it(
    http: httpx.AsyncClient,
) -> None:
    async with FakeGateway(models=[GPT2]) as fake:
        gateway = client(http, fake.url)
        with pytest.raises(ModelNotOffered) as missing:
            await gateway.generate("a fox", Options(model="openai/gpt-image-9"))
        fake.fail("forbidden")
        with pytest.raises(GatewayRuleRefused) as ruled:
            await gateway.generate("a fox", Options(model=GPT2.upper()))
        listed = await models_listed(http, fake)

    offers = f"; it offers {GPT2}" if listed else ""
    assert str(missing.value) == misconfigured(
        f"the gateway does not offer model 'openai/gpt-image-9' (IMAGINE_MODELS){offers}"
    )
    assert str(ruled.value) == misconfigured(
        f"a rule on the gateway refuses model '{GPT2.upper()}' (rule rule_images_only); "
        "allow it on the gateway or choose another model (IMAGINE_MODEL)"
    )


async def test_the_stand_in_answers_an_unknown_model_as_each_service_does(
    http: httpx.AsyncClient, fake: FakeGateway
) -> None:
    vercel = await http.post(fake.url + "/images/generations", json={"model": "x/y", "prompt": "a"})
    openai = await http.post(fake.url + "/images/generations", json={"model": "y", "prompt": "a"})
    theirs = await http.post(fake.opper_url + "/images", json={"model": "y", "prompt": "a"})

    assert (vercel.status_code, openai.status_code, theirs.status_code) == (404, 404, 404)
    assert vercel.json() == {
        "error": {"message": "Model 'x/y' not found", "type": "model_not_found",
                  "param": {"modelId": "x/y"}},
    }  # fmt: skip
    missing = "The model `y` does not exist or you do not have access to it."
    assert openai.json() == {
        "error": {"message": missing, "type": "invalid_request_error", "param": None,
                  "code": "model_not_found"},
    }  # fmt: skip
    assert theirs.json() == {
        "error": {"code": "model_not_found", "message": missing, "details": None}
    }


def test_the_models_a_gateway_offers_are_its_image_models() -> None:
    vercel = {
        "object": "list",
        "data": [
            {"id": "openai/gpt-5", "type": "language"},
            {"id": "openai/gpt-image-2", "type": "image"},
            {"id": "google/imagen-4.0-generate-001", "type": "image"},
        ],
    }
    openai = {"data": [{"id": "gpt-4o"}, {"id": "gpt-image-2"}, {"id": "chatgpt-image-latest"}]}

    assert offered_models(vercel) == ("google/imagen-4.0-generate-001", "openai/gpt-image-2")
    assert offered_models(openai) == ("chatgpt-image-latest", "gpt-image-2")
    assert offered_models({"error": "nope"}) == ()
    many = ModelNotOffered("a/b", [f"m/{i}" for i in range(11)])
    assert many.message == misconfigured(
        "the gateway does not offer model 'a/b' (IMAGINE_MODEL); "
        "it offers m/0, m/1, m/2, m/3, m/4, m/5, m/6, m/7 and 3 more"
    )


# --- Vercel's account and policy answers ---------------------------------------------------

VERCEL_REFUSALS = [
    (
        "forbidden",
        GatewayRuleRefused,
        misconfigured(
            f"a rule on the gateway refuses model '{GPT2}' (rule rule_images_only); "
            "allow it on the gateway or choose another model (IMAGINE_MODEL)"
        ),
    ),
    (
        "customer_verification_required",
        VerificationRequired,
        misconfigured(
            "the gateway account must be verified with a payment card before it makes images "
            "(customer_verification_required)"
        ),
    ),
    (
        "free_tier",
        FreeTierModel,
        misconfigured(
            f"model '{GPT2}' is not available on the gateway's free tier; add paid credit "
            "on the gateway or choose another model (IMAGINE_MODEL)"
        ),
    ),
    ("gateway_budget", GatewayBudgetSpent, BUDGET),
    ("no_credit", QuotaExhausted, QUOTA),
]


@pytest.mark.parametrize(("fault", "kind", "text"), VERCEL_REFUSALS)
async def test_vercels_account_answers_have_their_own_messages_and_are_not_retried(
    http: httpx.AsyncClient, fake: FakeGateway, fault: str, kind: type[GatewayError], text: str
) -> None:
    fake.fail(fault, times=None)

    with pytest.raises(kind) as caught:
        await client(http, fake.url).generate("a fox", Options())

    assert str(caught.value) == text
    assert "API key" not in text
    assert len(fake.image_requests) == 1


async def test_the_stand_in_sends_vercels_error_shape(
    http: httpx.AsyncClient, fake: FakeGateway
) -> None:
    fake.fail("forbidden")
    fake.fail("gateway_budget")
    body = {"model": GPT2, "prompt": "a fox"}
    forbidden = await http.post(fake.url + "/images/generations", json=body)
    budget = await http.post(fake.url + "/images/generations", json=body)

    refusal = "This model is not allowed by a rule of your team."
    assert forbidden.json() == {
        "error": {"type": "forbidden", "message": refusal, "param": {"ruleId": "rule_images_only"}},
    }
    assert (budget.status_code, budget.json()["error"]["type"]) == (
        402,
        "quota_for_entity_exceeded",
    )
    assert set(budget.json()["error"]) == {"type", "message"}


async def test_another_402_is_no_credit(http: httpx.AsyncClient, fake: FakeGateway) -> None:
    fake.fail("server_error", status=402, headers={})

    with pytest.raises(QuotaExhausted) as caught:
        await client(http, fake.url).generate("a fox", Options())

    assert str(caught.value) == QUOTA


# --- Opper --------------------------------------------------------------------------------


async def test_opper_gets_no_auto_and_store_false(
    http: httpx.AsyncClient, fake: FakeGateway
) -> None:
    await opper(http, fake).generate("a fox", Options(size="auto", quality="auto"))
    await opper(http, fake).generate("a fox", Options(size="1024x1536", quality="low"))

    first, second = (r.json for r in fake.image_requests)
    assert "size" not in first and "quality" not in first
    assert first["store"] is False
    assert (second["size"], second["quality"], second["store"]) == ("1024x1536", "low", False)


async def test_imagine_opper_store_keeps_images_on_opper(fake: FakeGateway) -> None:
    env = {"IMAGINE_MODEL": "gpt-image-1", "IMAGINE_OPPER_STORE": "true"}
    async with configured(fake, opper=True, **env) as gateway:
        await gateway.generate("a fox", Options())

    assert fake.image_requests[0].json["store"] is True


async def test_the_stand_in_refuses_auto_on_opper(
    http: httpx.AsyncClient, fake: FakeGateway
) -> None:
    body = {"model": "gpt-image-1", "prompt": "a fox", "quality": "auto"}
    refused = await http.post(fake.opper_url + "/images", json=body)

    assert refused.status_code == 400
    assert refused.json() == {
        "error": {"code": "validation_error", "message": "Invalid 'quality'.",
                  "details": {"field": "quality"}},
    }  # fmt: skip


@pytest.mark.parametrize("fault", ["content_policy_violation", "opper_v2_content_policy"])
async def test_opper_content_policy_refusals_are_safety_blocks(
    http: httpx.AsyncClient, fake: FakeGateway, fault: str
) -> None:
    fake.fail(fault, times=None)

    with pytest.raises(ContentBlocked) as caught:
        await opper(http, fake).generate("a fox", Options())

    assert str(caught.value) == BLOCKED
    assert len(fake.image_requests) == 1


async def test_opper_errors_in_its_own_shape(http: httpx.AsyncClient, fake: FakeGateway) -> None:
    fake.fail("rate_limit", times=None)
    with pytest.raises(GatewayRateLimited):
        await opper(http, fake, max_retries=1).generate("a fox", Options())
    fake.faults.clear()
    with pytest.raises(ModelNotOffered) as caught:
        await opper(http, fake, model="gpt-image-9").generate("a fox", Options())
    raw = await http.post(fake.opper_url + "/images", json={"model": "gpt-image-1", "n": 9})

    assert len(fake.image_requests) == 4
    assert str(caught.value).startswith(
        "The bot is misconfigured: the gateway does not offer model 'gpt-image-9' (IMAGINE_MODEL)"
    )
    assert raw.json()["error"] == {
        "code": "validation_error", "message": "Invalid 'prompt'.", "details": {"field": "prompt"}
    }  # fmt: skip


# --- cost, warnings, sizes and formats ------------------------------------------------------


async def test_the_gateways_own_cost_is_read_exactly(http: httpx.AsyncClient) -> None:
    async with FakeGateway(cost="0.0537") as fake:
        result = await client(http, fake.url).generate("a fox", Options())
        partials: list[bytes] = []

        async def keep(preview: bytes) -> None:
            partials.append(preview)

        streamed = await client(http, fake.url).generate("a fox", Options(n=2), on_partial=keep)

    assert result.cost_usd == Decimal("0.0537")
    assert streamed.cost_usd == Decimal("0.0537")
    assert len(streamed.images) == 2 and partials


def test_a_cost_that_is_not_an_amount_is_no_cost() -> None:
    def cost(value: Any) -> Decimal | None:
        return parse_cost({"provider_metadata": {"gateway": {"cost": value}}})

    assert cost("0.0537") == Decimal("0.0537")
    assert cost(" 0.000123456 ") == Decimal("0.000123456")
    assert [cost(v) for v in ("abc", "-1", "NaN", "Infinity", True, None, [])] == [None] * 7
    assert parse_cost({"usage": {"cost": 0.08}}) == Decimal("0.08")
    assert parse_cost({"providerMetadata": {"gateway": {"cost": "0.01"}}}) == Decimal("0.01")
    assert parse_cost({"usage": {"input_tokens": 3}}) is None


async def test_warnings_reach_the_result(http: httpx.AsyncClient, fake: FakeGateway) -> None:
    fake.fail("warning")

    result = await client(http, fake.url).edit(
        "a hat", [source()], Options(), mask=source(name="mask.png")
    )

    assert result.warnings == (MASK_IGNORED,)


def test_warnings_are_short_single_lines_without_the_key() -> None:
    payload = {
        "warnings": [
            {"type": "unsupported-setting", "setting": "mask"},
            {"type": "other", "message": f"key {KEY}\nwas  used"},
            {"type": "other", "message": "x" * 500},
            "plain text",
            {"type": "other", "message": "plain text"},
            42,
        ]
    }

    assert parse_warnings(payload, KEY) == (
        "the model does not support the 'mask' setting",
        "key [redacted] was used",
        "x" * 199 + "…",
    )
    assert parse_warnings({"warnings": "no list"}, KEY) == ()


@pytest.mark.parametrize(
    ("model", "size"),
    [(GPT2, "1000x1000"), (GPT2, "4096x1024"), (GPT2, "512x512"), ("gpt-image-1", "2048x1152")],
)
async def test_sizes_the_model_cannot_make_are_refused_naming_size(
    http: httpx.AsyncClient, fake: FakeGateway, model: str, size: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await client(http, fake.url, model=model).generate("a fox", Options(size=size))

    assert str(caught.value) == (
        "The image service rejected the request (parameter: size): Invalid 'size'. "
        "You were not charged. Check the options and try again."
    )


@pytest.mark.parametrize(("fmt", "name"), [("jpeg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")])
async def test_images_come_in_the_format_asked_for(
    http: httpx.AsyncClient, fake: FakeGateway, fmt: str, name: str
) -> None:
    made = await client(http, fake.url).edit(
        "a hat", [source()], Options(size="1536x864", output_format=fmt)
    )

    assert [picture(image) for image in made.images] == [(name, (1536, 864))]


# --- a gateway that cannot be reached -------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose listen queue is full: connections to it time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    yield int(listener.getsockname()[1])
    for sock in (*fillers, listener):
        sock.close()


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize(
    ("where", "retries", "cause"),
    [
        ("closed", 1, "connection refused; gave up after 2 attempts"),
        ("tls", 0, "TLS handshake failed; gave up after 1 attempt"),
        ("backlog", 0, "timed out; gave up after 1 attempt"),
    ],
)
async def test_an_unreachable_gateway_logs_host_and_cause_and_tells_the_person_generically(
    http: httpx.AsyncClient,
    fake: FakeGateway,
    full_backlog: int,
    caplog: pytest.LogCaptureFixture,
    where: str,
    retries: int,
    cause: str,
) -> None:
    ports = {"closed": closed_port(), "tls": fake.port, "backlog": full_backlog}
    port, scheme = ports[where], "https" if where == "tls" else "http"  # TLS to plain HTTP
    gateway = client(http, f"{scheme}://127.0.0.1:{port}/v1", max_retries=retries)

    with pytest.raises(GatewayUnavailable) as caught:
        await gateway.generate("a fox", Options())

    assert str(caught.value) == UNAVAILABLE
    assert warnings_logged(caplog) == [f"gateway 127.0.0.1:{port} unreachable: {cause}"]


async def test_no_answer_in_time_is_logged_with_the_host_but_is_no_outage(
    http: httpx.AsyncClient, fake: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.gateway")
    fake.fail("hang")

    with pytest.raises(GatewayTimeout):
        await client(http, fake.url, timeout=0.3).generate("a fox", Options())

    assert warnings_logged(caplog) == []  # it answered the connection: reachable, only slow
    assert f"gateway 127.0.0.1:{fake.port} did not answer within 1 s" in caplog.messages


def test_every_cause_has_words() -> None:
    def raised(cause: BaseException) -> httpx.ConnectError:
        try:
            try:
                raise cause
            except OSError as exc:
                raise httpx.ConnectError("failed") from exc
        except httpx.ConnectError as error:
            return error

    assert unreachable_cause(raised(socket.gaierror(-2, "Name or service not known"))) == (
        "DNS lookup failed"
    )
    assert unreachable_cause(raised(ssl.SSLCertVerificationError(1, "bad cert"))) == (
        "TLS certificate not trusted"
    )
    assert unreachable_cause(raised(ConnectionResetError())) == "connection reset"
    assert unreachable_cause(httpx.ConnectError("failed")) == "ConnectError"
    assert unreachable_cause(TimeoutError()) == "timed out"
