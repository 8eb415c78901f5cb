"""The fake gateway answers, and the bot asks, as OpenAI's published OpenAPI spec says.

The real GatewayClient calls the fake gateway through an httpx transport that keeps each
answer's bytes; the requests are read back from the fake's own records. Both are checked
against tests/specs/openai.json: generations (JSON) against `CreateImageRequest`, edits
(multipart) against `CreateImageEditRequest`, answers against `ImagesResponse`, streamed
events against `ImageGenStreamEvent` / `ImageEditStreamEvent`, errors against
`ErrorResponse`.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from bot.errors import UserFacingError
from bot.gateway.client import GatewayClient
from bot.models import Options, SourceImage
from tests.fakes.gateway import ERRORS, VERCEL_ONLY, FakeGateway, Recorded
from tests.specs import fragment, problems

EDIT_FIELDS = fragment("openai")["components"]["schemas"]["CreateImageEditRequest"]["properties"]
OPTIONS = Options(size="1536x1024", quality="low", n=2, background="opaque",
                  output_format="webp", output_compression=80)  # fmt: skip


@dataclass
class Answer:
    """One answer as it came off the wire."""

    path: str
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def events(self) -> list[tuple[str, Any]]:
        """A server-sent event stream as (event name, JSON data) pairs."""
        found = []
        for block in self.body.decode().split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "data" in lines:
                found.append((lines.get("event", ""), json.loads(lines["data"])))
        return found


class Recording(httpx.AsyncBaseTransport):
    """The ordinary transport, keeping a copy of every answer it reads."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.answers: list[Answer] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request; read the whole answer, keep it, and hand it on."""
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        kind = response.headers.get("content-type", "")
        self.answers.append(Answer(request.url.path, response.status_code, kind, body))
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    async def aclose(self) -> None:
        """Close the ordinary transport."""
        await self.inner.aclose()


@pytest.fixture
async def wire() -> AsyncIterator[Recording]:
    """The recording transport."""
    recording = Recording()
    yield recording
    await recording.aclose()


@pytest.fixture
async def client(gateway: FakeGateway, wire: Recording) -> AsyncIterator[GatewayClient]:
    """The gateway client on the recording transport, without retries."""
    async with httpx.AsyncClient(transport=wire, timeout=10) as http:
        yield GatewayClient(
            http, base_url=gateway.url, api_key="sk-spec", model="gpt-image-2", max_retries=0
        )


def source(size: tuple[int, int] = (96, 64)) -> SourceImage:
    """A PNG to edit."""
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 255)).save(out, format="PNG")
    return SourceImage(out.getvalue(), "photo.png", "image/png", *size)


def declared_type(name: str) -> str:
    """The JSON type the edit schema gives a field (through a $ref or a nullable anyOf)."""
    schemas = fragment("openai")["components"]["schemas"]
    schema = EDIT_FIELDS.get(name, {})
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    kinds = [schema.get("type")] + [alt.get("type") for alt in schema.get("anyOf", [])]
    return next((k for k in kinds if k not in (None, "null")), "string")


def edit_form(seen: Recorded) -> dict[str, Any]:
    """A multipart edit as the instance its schema describes: typed fields, `image` a list."""
    parse = {"integer": int, "boolean": lambda text: text == "true"}
    typed: dict[str, Any] = {
        name: parse.get(declared_type(name), str)(text) for name, text in seen.form.items()
    }
    for part in seen.parts:
        if part.filename is not None:
            typed.setdefault(part.name.removesuffix("[]"), []).append(part.data.decode("latin-1"))
    if "mask" in typed:
        typed["mask"] = typed["mask"][0]
    return typed


async def ignore(_: Any) -> None:
    """A preview callback that keeps nothing."""


async def test_a_generation_asks_and_is_answered_as_the_spec_says(
    client: GatewayClient, gateway: FakeGateway, wire: Recording
) -> None:
    await client.generate("a red balloon", OPTIONS, user="discord-7")
    [seen] = gateway.image_requests
    [answer] = wire.answers
    assert problems("openai", "CreateImageRequest", seen.json) == []
    assert (answer.status, problems("openai", "ImagesResponse", answer.json())) == (200, [])
    assert len(answer.json()["data"]) == 2


async def test_a_streamed_generation_sends_events_the_spec_describes(
    client: GatewayClient, gateway: FakeGateway, wire: Recording
) -> None:
    await client.generate("a red balloon", OPTIONS, on_partial=ignore)
    [seen] = gateway.image_requests
    [answer] = wire.answers
    assert seen.json["stream"] is True
    assert problems("openai", "CreateImageRequest", seen.json) == []
    events = answer.events()
    assert [name for name, _ in events].count("image_generation.completed") == 2
    for name, data in events:
        assert data["type"] == name
        assert problems("openai", "ImageGenStreamEvent", data) == []


@pytest.mark.parametrize("stream", [False, True])
async def test_an_edit_asks_and_is_answered_as_the_spec_says(
    client: GatewayClient, gateway: FakeGateway, wire: Recording, stream: bool
) -> None:
    await client.edit(
        "make it blue",
        [source(), source()],
        OPTIONS,
        mask=source(),
        on_partial=ignore if stream else None,
    )
    [seen] = gateway.image_requests
    [answer] = wire.answers
    form = edit_form(seen)
    assert len(form["image"]) == 2 and "mask" in form
    assert problems("openai", "CreateImageEditRequest", form) == []
    if not stream:
        assert problems("openai", "ImagesResponse", answer.json()) == []
        return
    events = answer.events()
    assert [name for name, _ in events][-1] == "image_edit.completed"
    for name, data in events:
        assert data["type"] == name
        assert problems("openai", "ImageEditStreamEvent", data) == []


@pytest.mark.parametrize("fault", sorted(set(ERRORS) - set(VERCEL_ONLY)))
async def test_every_openai_error_the_fake_answers_is_as_the_spec_says(
    client: GatewayClient, gateway: FakeGateway, wire: Recording, fault: str
) -> None:
    gateway.fail(fault)
    with pytest.raises(UserFacingError):
        await client.generate("a red balloon", Options())
    answer = wire.answers[0]  # an unknown model is followed by GET /models
    assert answer.status == ERRORS[fault][0]
    assert problems("openai", "ErrorResponse", answer.json()) == []


async def test_an_error_in_a_stream_is_an_openai_error(
    client: GatewayClient, gateway: FakeGateway, wire: Recording
) -> None:
    gateway.fail("stream_error")
    with pytest.raises(UserFacingError):
        await client.generate("a red balloon", Options(), on_partial=ignore)
    [answer] = wire.answers
    *previews, (name, data) = answer.events()
    assert name == "error" and previews
    assert problems("openai", "ErrorResponse", data) == []


@pytest.mark.parametrize("fault", ["url", "data_url"])
async def test_images_as_urls_are_still_an_images_response(
    client: GatewayClient, gateway: FakeGateway, wire: Recording, fault: str
) -> None:
    gateway.fail(fault)
    await client.generate("a red balloon", Options())
    body = wire.answers[0].json()
    assert "url" in body["data"][0]
    assert problems("openai", "ImagesResponse", body) == []


def test_the_spec_check_refuses_what_openai_would_refuse() -> None:
    assert problems("openai", "CreateImageRequest", {"prompt": "x", "n": 11}) == [
        "n: 11 is greater than the maximum of 10"
    ]
    assert problems("openai", "ImagesResponse", {"data": []}) == [
        "(top): 'created' is a required property"
    ]
    assert problems("openai", "ErrorResponse", {"error": {"message": "m", "code": None}}) == [
        "error: 'type' is a required property",
        "error: 'param' is a required property",
    ]
