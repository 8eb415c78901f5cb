"""The controls on the wire: Opper's JSON body, and OpenAI's published spec for what is sent.

Opper takes the canvas as `image`, further blend images as `reference_images` and the mask as
`mask`, each a data URI; `moderation` and `input_fidelity` ride in `parameters` (unverified:
see bot/gateway/opper.py). OpenAI's edits carry `input_fidelity` and the mask; its
generations `moderation`; both are checked against tests/specs/openai.json.
"""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot import controls
from bot.handler import ImagineHandler
from bot.models import Actor, ImageRequest, Options, Scope, SourceImage
from tests.fakes.gateway import FakeGateway
from tests.specs import problems
from tests.support import gateway_handler, make_settings, models_file
from tests.test_specs_openai import edit_form

ALICE = Actor("slack", "T1", "C1", "alice")
FIDELITY = {"id": "gpt-image-2", "input_fidelity": True}


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


@asynccontextmanager
async def running(tmp_path: Path, url: str, **env: Any) -> AsyncIterator[ImagineHandler]:
    async with gateway_handler(make_settings(tmp_path, IMAGINE_GATEWAY_URL=url, **env)) as handler:
        await handler.set_limits(Scope("slack"), {"allow_low_moderation": "true"}, "admin")
        yield handler


def png(size: tuple[int, int], colour: tuple[int, int, int] = (200, 40, 40)) -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SourceImage(buffer.getvalue(), "photo.png", "image/png", *size)


_keys = iter(range(1_000_000))


def press(*sources: SourceImage, words: str = "") -> ImageRequest:
    return ImageRequest("edit", words, ALICE, f"press-{next(_keys)}", Options(), sources)


def from_uri(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    img.load()
    return img.convert("RGBA")


async def test_opper_gets_the_zoom_canvas_and_its_mask_as_data_uris(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = {
        "IMAGINE_GATEWAY_PROTOCOL": "opper",
        "IMAGINE_MODELS_FILE": models_file(tmp_path, FIDELITY),
    }
    async with running(tmp_path, fake.opper_url, **env) as handler:
        await handler.control(press(png((1024, 1024))), controls.zoom(2))
        await handler.control(press(png((1024, 1024)), words="x"), controls.vary("subtle"))
    zoom, subtle = (seen.json for seen in fake.image_requests)
    canvas, mask = from_uri(zoom["image"]), from_uri(zoom["mask"])
    assert canvas.size == mask.size == (1024, 1024)
    assert mask.getchannel("A").crop((256, 256, 768, 768)).getextrema() == (255, 255)
    assert mask.getchannel("A").crop((0, 0, 1024, 256)).getextrema() == (0, 0)
    assert (zoom["size"], "reference_images" in zoom) == ("1024x1024", False)
    assert "input_fidelity" not in zoom["parameters"]  # a masked canvas: the mask keeps pixels
    assert subtle["parameters"]["input_fidelity"] == "high"


async def test_opper_gets_a_blend_as_image_and_reference_images(
    tmp_path: Path, fake: FakeGateway
) -> None:
    blue = png((1536, 1024), (30, 30, 220))
    async with running(tmp_path, fake.opper_url, IMAGINE_GATEWAY_PROTOCOL="opper") as handler:
        await handler.control(press(png((1024, 1024)), blue, png((1024, 1536))), controls.BLEND)
    (seen,) = fake.image_requests
    assert from_uri(seen.json["image"]).size == (1024, 1024)
    assert [from_uri(uri).size for uri in seen.json["reference_images"]] == [
        (1536, 1024),
        (1024, 1536),
    ]
    assert "mask" not in seen.json


async def test_opper_generations_carry_moderation_in_parameters(
    tmp_path: Path, fake: FakeGateway
) -> None:
    generate = ImageRequest("generate", "a fox", ALICE, "g", Options(moderation="low"))
    async with running(tmp_path, fake.opper_url, IMAGINE_GATEWAY_PROTOCOL="opper") as handler:
        await handler.generate(generate)
    assert fake.image_requests[0].json["parameters"]["moderation"] == "low"


async def test_openai_control_edits_and_moderated_generations_are_as_the_spec_says(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = {
        "IMAGINE_MODELS_FILE": models_file(tmp_path, FIDELITY),
        "IMAGINE_STREAM_PREVIEWS": "false",
    }
    generate = ImageRequest("generate", "a fox", ALICE, "g", Options(moderation="low"))
    async with running(tmp_path, fake.url, **env) as handler:
        await handler.control(press(png((1024, 1024))), controls.pan("right"))
        await handler.control(press(png((1024, 1024))), controls.UPSCALE)
        await handler.control(press(png((1024, 1024)), png((1024, 1024))), controls.BLEND)
        await handler.generate(generate)
    pan, upscale, blend, generated = fake.image_requests
    for seen in (pan, upscale, blend):
        assert problems("openai", "CreateImageEditRequest", edit_form(seen)) == []
        assert "moderation" not in seen.form
    assert "mask" in edit_form(pan) and upscale.form["input_fidelity"] == "high"
    assert len(edit_form(blend)["image"]) == 2
    assert problems("openai", "CreateImageRequest", generated.json) == []
    assert (generated.json["moderation"], "input_fidelity" in generated.json) == ("low", False)
