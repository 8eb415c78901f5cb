"""The creative controls through the handler: what the local gateway receives, and the ledger.

Every image and mask is decoded from the multipart request the fake gateway recorded.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot import controls
from bot.errors import BadRequest, Duplicate, OptionNotAllowed
from bot.handler import ImagineHandler
from bot.images import load_source
from bot.models import Actor, ImageRequest, LedgerEntry, Options, Scope, SourceImage
from tests.fakes.gateway import FakeGateway, Recorded
from tests.support import gateway_handler, make_settings, models_file

QUADRANTS = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 40))  # TL, TR, BL, BR
ALICE = Actor("discord", "guild1", "general", "alice")
_keys = iter(range(1_000_000))


def quadrants(size: tuple[int, int]) -> bytes:
    """A PNG in four coloured quarters, so placement and scale can be read back."""
    width, height = size
    img = Image.new("RGB", size)
    for index, colour in enumerate(QUADRANTS):
        left, top = (index % 2) * width // 2, (index // 2) * height // 2
        img.paste(colour, (left, top, left + width // 2, top + height // 2))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


async def source(size: tuple[int, int] = (1024, 1024)) -> SourceImage:
    return await load_source(quadrants(size), filename="photo.png", max_bytes=10**8)


def decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGBA")


def request(sources: tuple[SourceImage, ...], words: str = "", **options: Any) -> ImageRequest:
    return ImageRequest(
        kind="edit",
        prompt=words,
        actor=ALICE,
        idempotency_key=f"press-{next(_keys)}",
        options=Options(**options),
        sources=sources,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


def running(
    tmp_path: Path, fake: FakeGateway, **env: Any
) -> AbstractAsyncContextManager[ImagineHandler]:
    return gateway_handler(make_settings(tmp_path, IMAGINE_GATEWAY_URL=fake.url, **env))


async def rows(handler: ImagineHandler) -> list[LedgerEntry]:
    since, until = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return [entry async for entry in handler.store.export(since, until)]


def sent(fake: FakeGateway) -> tuple[Recorded, list[Image.Image], Image.Image | None]:
    """The one edit the gateway received: the request, its images and its mask."""
    (seen,) = fake.image_requests
    assert seen.path == "/v1/images/edits"
    masks = seen.files("mask")
    mask = decoded(masks[0].data) if masks else None
    return seen, [decoded(p.data) for p in seen.files("image[]")], mask


def alpha_range(img: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int]:
    low, high = img.getchannel("A").crop(box).getextrema()
    return int(low), int(high)


def near(pixel: Any, colour: tuple[int, int, int]) -> bool:
    return all(abs(int(a) - b) <= 3 for a, b in zip(pixel[:3], colour, strict=True))


async def test_zoom_2_of_a_square_sends_it_halved_centred_and_opaque_in_a_same_size_mask(
    tmp_path: Path, fake: FakeGateway
) -> None:
    async with running(tmp_path, fake) as handler:
        result = await handler.control(request((await source(),)), controls.zoom("2"))
        (entry,) = await rows(handler)
    seen, (canvas,), mask = sent(fake)
    assert mask is not None and canvas.size == mask.size == (1024, 1024)
    assert seen.fields["size"] == "1024x1024"
    assert seen.fields["prompt"] == controls.ZOOM_PROMPT
    assert "input_fidelity" not in seen.fields and "moderation" not in seen.fields
    # the source, 512x512, from (256, 256): its quarters are 256 pixels a side
    for (x, y), colour in zip(
        [(384, 384), (640, 384), (384, 640), (640, 640)], QUADRANTS, strict=True
    ):
        assert near(canvas.getpixel((x, y)), colour)
    assert alpha_range(canvas, (256, 256, 768, 768)) == (255, 255)
    assert alpha_range(mask, (256, 256, 768, 768)) == (255, 255)
    for border in (
        (0, 0, 1024, 256),
        (0, 768, 1024, 1024),
        (0, 0, 256, 1024),
        (768, 0, 1024, 1024),
    ):
        assert alpha_range(mask, border) == (0, 0)
        assert alpha_range(canvas, border) == (0, 0)
    assert (entry.kind, entry.status, entry.images_delivered) == ("zoom", "succeeded", 1)
    assert entry.options.control == "zoom 2"
    assert entry.est_cost_usd == result.cost_usd > 0


@pytest.mark.parametrize(
    ("factor", "box"), [("1.5", (171, 171, 853, 853)), (3, (342, 342, 682, 682))]
)
async def test_other_zoom_factors_shrink_the_source_by_that_much(
    tmp_path: Path, fake: FakeGateway, factor: str | int, box: tuple[int, int, int, int]
) -> None:
    async with running(tmp_path, fake) as handler:
        await handler.control(request((await source(),)), controls.zoom(factor))
    _, _, mask = sent(fake)
    assert mask is not None
    assert alpha_range(mask, box) == (255, 255)
    assert alpha_range(mask, (0, 0, 1024, box[1] - 1)) == (0, 0)


@pytest.mark.parametrize("factor", ["1", "3.5", "0", "two", "nan"])
async def test_a_zoom_factor_outside_1_1_to_3_is_bad_usage_and_sends_nothing(
    tmp_path: Path, fake: FakeGateway, factor: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        controls.zoom(factor)
    assert caught.value.message == (
        f'The zoom factor must be a number from 1.1 to 3, e.g. 1.5 or 2, not "{factor}". '
        "You were not charged."
    )
    assert fake.image_requests == []


@pytest.mark.parametrize(
    ("direction", "size", "box", "strip"),
    [
        ("left", (1536, 1024), (512, 0, 1536, 1024), (0, 0, 512, 1024)),
        ("right", (1536, 1024), (0, 0, 1024, 1024), (1024, 0, 1536, 1024)),
        ("up", (1024, 1536), (0, 512, 1024, 1536), (0, 0, 1024, 512)),
        ("down", (1024, 1536), (0, 0, 1024, 1024), (0, 1024, 1024, 1536)),
    ],
)
async def test_pan_grows_the_canvas_by_half_with_the_source_flush_against_the_other_side(
    tmp_path: Path,
    fake: FakeGateway,
    direction: str,
    size: tuple[int, int],
    box: tuple[int, int, int, int],
    strip: tuple[int, int, int, int],
) -> None:
    async with running(tmp_path, fake) as handler:
        await handler.control(request((await source(),)), controls.pan(direction))
        (entry,) = await rows(handler)
    seen, (canvas,), mask = sent(fake)
    assert mask is not None and canvas.size == mask.size == size
    assert seen.fields["size"] == f"{size[0]}x{size[1]}"
    assert alpha_range(mask, box) == (255, 255) and alpha_range(canvas, box) == (255, 255)
    assert alpha_range(mask, strip) == (0, 0) and alpha_range(canvas, strip) == (0, 0)
    assert near(canvas.getpixel((box[0] + 10, box[1] + 10)), QUADRANTS[0])  # unscaled
    side = {"left": "left", "right": "right", "up": "top", "down": "bottom"}[direction]
    assert seen.fields["prompt"] == controls.PAN_PROMPT.format(side=side)
    assert (entry.kind, entry.size) == ("pan", f"{size[0]}x{size[1]}")


async def test_pan_on_a_fixed_size_model_scales_the_source_to_fit_a_legal_size(
    tmp_path: Path, fake: FakeGateway
) -> None:
    extra = models_file(tmp_path, {"id": "gpt-image-1", "status": "active", "shutdown": None})
    env = {"IMAGINE_MODELS_FILE": extra, "IMAGINE_MODEL": "openai/gpt-image-1"}
    async with running(tmp_path, fake, **env) as handler:
        await handler.control(request((await source((1536, 1024)),)), controls.pan("right"))
    _, (canvas,), mask = sent(fake)
    assert mask is not None and canvas.size == mask.size == (1536, 1024)
    # 1536x1024 plus half is 2304x1024: scaled by 2/3 to 1024x683, against the left side
    assert alpha_range(mask, (0, 170, 1024, 853)) == (255, 255)
    assert alpha_range(mask, (1024, 0, 1536, 1024)) == (0, 0)
    assert alpha_range(mask, (0, 0, 1024, 170)) == (0, 0)
    assert alpha_range(mask, (0, 853, 1024, 1024)) == (0, 0)


async def test_upscale_re_renders_at_the_largest_legal_size_of_the_same_shape(
    tmp_path: Path, fake: FakeGateway
) -> None:
    async with running(tmp_path, fake) as handler:
        result = await handler.control(request((await source((1536, 1024)),)), controls.UPSCALE)
        (entry,) = await rows(handler)
    seen, (image,), mask = sent(fake)
    assert mask is None and image.size == (1536, 1024)
    assert seen.fields["size"] == "3520x2352"  # about 3:2, within gpt-image-2's 8,294,400 pixels
    assert seen.fields["prompt"] == controls.UPSCALE_PROMPT
    assert "input_fidelity" not in seen.fields  # OpenAI: omit it for gpt-image-2
    assert (entry.kind, entry.size) == ("upscale", "3520x2352")
    assert entry.est_cost_usd == result.cost_usd  # priced at the larger size, charged once
    assert result.cost_usd > 0.08


async def test_upscale_and_subtle_ask_for_high_input_fidelity_where_the_model_takes_it(
    tmp_path: Path, fake: FakeGateway
) -> None:
    extra = models_file(tmp_path, {"id": "gpt-image-2", "input_fidelity": True})
    async with running(tmp_path, fake, IMAGINE_MODELS_FILE=extra) as handler:
        for control in (controls.UPSCALE, controls.vary("subtle"), controls.vary("strong")):
            await handler.control(request((await source(),)), control)
    fidelity = [seen.fields.get("input_fidelity") for seen in fake.image_requests]
    assert fidelity == ["high", "high", None]


async def test_vary_subtle_and_strong_send_their_own_configured_instructions(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = {"IMAGINE_VARY_SUBTLE_PROMPT": "Tiny changes.", "IMAGINE_VARY_STRONG_PROMPT": "Go wild."}
    async with running(tmp_path, fake, **env) as handler:
        await handler.control(request((await source((1024, 1536)),)), controls.vary("subtle"))
        await handler.control(request((await source(),)), controls.vary("strong"))
        entries = await rows(handler)
    subtle, strong = fake.image_requests
    assert (subtle.fields["prompt"], strong.fields["prompt"]) == ("Tiny changes.", "Go wild.")
    assert (subtle.fields["size"], strong.fields["size"]) == ("1024x1536", "1024x1024")
    assert [len(r.files("image[]")) for r in fake.image_requests] == [1, 1]
    assert not subtle.files("mask")
    assert [e.kind for e in entries] == ["vary", "vary"]
    assert sorted(e.options.control for e in entries) == [
        "vary strong",
        "vary subtle",
    ]


async def test_blend_sends_every_image_as_an_image_part_in_one_edit(
    tmp_path: Path, fake: FakeGateway
) -> None:
    images = (await source(), await source((1536, 1024)), await source((1024, 1536)))
    async with running(tmp_path, fake) as handler:
        await handler.control(request(images, "a fox in a forest"), controls.BLEND)
        (entry,) = await rows(handler)
    seen, received, mask = sent(fake)
    assert [img.size for img in received] == [(1024, 1024), (1536, 1024), (1024, 1536)]
    assert mask is None
    assert seen.fields["prompt"] == "Blend these images into one picture: a fox in a forest"
    assert (entry.kind, entry.n, entry.status) == ("blend", 1, "succeeded")


async def test_blend_without_an_instruction_uses_the_default_one(
    tmp_path: Path, fake: FakeGateway
) -> None:
    async with running(tmp_path, fake) as handler:
        await handler.control(request((await source(), await source())), controls.BLEND)
    assert fake.image_requests[0].fields["prompt"] == controls.BLEND_PROMPT


@pytest.mark.parametrize("count", [1, 6])
async def test_blend_takes_two_to_five_images(
    tmp_path: Path, fake: FakeGateway, count: int
) -> None:
    images = tuple([await source((1024, 1024))] * count)
    async with running(tmp_path, fake) as handler:
        with pytest.raises(BadRequest) as caught:
            await handler.control(request(images), controls.BLEND)
        assert await rows(handler) == []
    assert caught.value.message == (
        f"Blend takes 2 to 5 images, not {count}. You were not charged."
    )
    assert fake.image_requests == []


async def test_a_model_without_masks_gets_the_canvas_alone_and_the_result_says_so(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = {"IMAGINE_MODEL": "bfl/flux-kontext-pro"}
    async with running(tmp_path, fake, **env) as handler:
        result = await handler.control(request((await source(),)), controls.zoom(2))
    seen, (canvas,), mask = sent(fake)
    assert mask is None and seen.fields["size"] == "1024x1024"
    assert alpha_range(canvas, (0, 0, 1024, 256)) == (0, 0)
    assert result.warnings[0] == (
        "bfl/flux-kontext-pro does not take masks, so it redrew the whole picture: "
        "the original pixels may have changed."
    )


async def test_a_control_pressed_twice_is_charged_once(tmp_path: Path, fake: FakeGateway) -> None:
    press = request((await source(),))
    async with running(tmp_path, fake) as handler:
        await handler.control(press, controls.pan("left"))
        with pytest.raises(Duplicate):
            await handler.control(press, controls.pan("left"))
        entries = await rows(handler)
        usage = await handler.usage(ALICE)
    assert len(fake.image_requests) == 1
    assert [(e.kind, e.status) for e in entries] == [("pan", "succeeded")]
    assert usage.images_today == 1


async def test_re_roll_of_a_control_runs_the_same_control_again(
    tmp_path: Path, fake: FakeGateway
) -> None:
    original = await source()
    async with running(tmp_path, fake) as handler:
        first = await handler.control(request((original,), "at dusk"), controls.zoom("1.5"))
        again = await handler.reroll(first.request_id, ALICE, "reroll-1", sources=(original,))
        entries = {e.id: e for e in await rows(handler)}
    one, two = fake.image_requests
    assert one.fields["prompt"] == two.fields["prompt"] == f"{controls.ZOOM_PROMPT} at dusk"
    assert one.files("mask")[0].data == two.files("mask")[0].data
    assert one.files("image[]")[0].data == two.files("image[]")[0].data
    assert entries[again.request_id].kind == "zoom"
    assert entries[again.request_id].parent_id == first.request_id


async def test_re_roll_of_a_control_whose_prompt_was_forgotten_rebuilds_the_instruction(
    tmp_path: Path, fake: FakeGateway
) -> None:
    original = await source()
    env = {"IMAGINE_PROMPT_RETENTION_DAYS": "0"}
    async with running(tmp_path, fake, **env) as handler:
        first = await handler.control(request((original,), "at dusk"), controls.pan("up"))
        await handler.reroll(first.request_id, ALICE, "reroll-2", sources=(original,))
    assert fake.image_requests[1].fields["prompt"] == controls.PAN_PROMPT.format(side="top")
    assert fake.image_requests[1].fields["size"] == "1024x1536"


async def test_moderation_low_is_sent_on_generations_only_where_the_limit_allows_it(
    tmp_path: Path, fake: FakeGateway
) -> None:
    generate = ImageRequest("generate", "a fox", ALICE, "g-1", Options(moderation="low"))
    async with running(tmp_path, fake) as handler:
        with pytest.raises(OptionNotAllowed) as caught:
            await handler.generate(generate)
        assert await rows(handler) == []
        scope = Scope("discord", "guild1", "*")
        await handler.set_limits(scope, {"allow_low_moderation": "true"}, "admin")
        await handler.generate(replace_key(generate, "g-2"))
        edit = request((await source(),), "make it blue", moderation="low")
        await handler.edit(edit)
    assert caught.value.message == (
        "Not allowed here: moderation low; leave out --moderation, or ask an admin "
        "(allow_low_moderation). You were not charged."
    )
    generated, edited = fake.image_requests
    assert generated.fields["moderation"] == "low"
    assert "moderation" not in edited.fields


async def test_private_results_are_refused_where_an_admin_turned_them_off(
    tmp_path: Path, fake: FakeGateway
) -> None:
    private = ImageRequest("generate", "a fox", ALICE, "p-1", Options(private=True))
    async with running(tmp_path, fake) as handler:
        await handler.generate(private)
        await handler.set_limits(Scope("discord", "guild1", "*"), {"allow_private": "off"}, "ad")
        with pytest.raises(OptionNotAllowed) as caught:
            await handler.generate(replace_key(private, "p-2"))
        await handler.generate(ImageRequest("generate", "a fox", ALICE, "p-3", Options()))
        charged = [e.idempotency_key for e in await rows(handler) if e.status == "succeeded"]
    assert caught.value.message == (
        "Not allowed here: private results; leave out --private (allow_private). "
        "You were not charged."
    )
    assert charged == ["p-1", "p-3"] and len(fake.image_requests) == 2


def replace_key(req: ImageRequest, key: str) -> ImageRequest:
    return ImageRequest(req.kind, req.prompt, req.actor, key, req.options, req.sources)


async def test_a_plain_vary_of_a_control_result_is_a_plain_vary_and_re_rolls_as_one(
    tmp_path: Path, fake: FakeGateway
) -> None:
    original = await source()
    async with running(tmp_path, fake) as handler:
        zoomed = await handler.control(request((original,)), controls.zoom(2))
        kept = (await handler.entry(zoomed.request_id)).options
        plain = ImageRequest(
            "vary", "", ALICE, "vary-1", kept, (original,), parent_id=zoomed.request_id
        )
        varied = await handler.vary(plain)
        await handler.reroll(varied.request_id, ALICE, "reroll-3", sources=(original,))
        entry = await handler.entry(varied.request_id)
    assert entry.options.control == ""
    _, vary, again = fake.image_requests
    assert vary.fields["prompt"] == again.fields["prompt"] == handler.settings.vary_prompt
    assert not vary.files("mask") and not again.files("mask")
