"""The offline backend: placeholder images of the requested size, count and format."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot import canvas
from bot.catalog import load_catalog
from bot.images import load_source
from bot.models import Options, SourceImage
from bot.offline import HATCH, OfflineBackend


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


async def source(size: tuple[int, int]) -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, (250, 200, 0)).save(buffer, "PNG")
    return await load_source(buffer.getvalue(), filename="photo.png", max_bytes=10**7)


@pytest.mark.parametrize(
    ("options", "size", "fmt"),
    [
        (Options(), (1024, 1024), "PNG"),
        (Options(size="1536x1024", n=3, output_format="jpeg"), (1536, 1024), "JPEG"),
        (Options(size="1024x1536", n=2, output_format="webp"), (1024, 1536), "WEBP"),
        (Options(size="auto", output_compression=50, output_format="webp"), (1024, 1024), "WEBP"),
    ],
)
async def test_generate_draws_n_images_of_the_size_and_format(
    options: Options, size: tuple[int, int], fmt: str
) -> None:
    result = await OfflineBackend().generate("a red balloon on a wooden table", options)
    assert len(result.images) == options.n
    for data in result.images:
        img = decode(data)
        assert (img.size, img.format, img.mode) == (size, fmt, "RGB")
    assert (result.usage, result.cost_usd) == (None, 0.0)
    assert result.request_id is not None and result.request_id.startswith("offline-")


@pytest.mark.parametrize("fmt", ["png", "webp"])
async def test_a_transparent_background_is_honoured(fmt: str) -> None:
    options = Options(background="transparent", output_format=fmt)
    img = decode((await OfflineBackend().generate("a fox sticker", options)).images[0])
    assert img.mode == "RGBA"
    assert img.getpixel((0, 0))[3] == 0
    assert img.getpixel((512, 512))[3] > 0


async def test_each_image_of_a_request_differs() -> None:
    result = await OfflineBackend().generate("a fox", Options(n=2))
    assert result.images[0] != result.images[1]


async def test_on_partial_gets_one_small_preview() -> None:
    previews: list[bytes] = []

    async def on_partial(preview: bytes) -> None:
        previews.append(preview)

    await OfflineBackend().generate("a fox", Options(size="1536x1024", n=2), on_partial=on_partial)
    assert len(previews) == 1
    preview = decode(previews[0])
    assert (preview.format, preview.size) == ("PNG", (256, 171))


async def test_edit_shows_the_source_and_keeps_its_shape_for_auto() -> None:
    photo = await source((600, 900))
    result = await OfflineBackend().edit(
        "make the balloon blue", [photo], Options(size="auto", n=2), mask=photo
    )
    assert len(result.images) == 2
    img = decode(result.images[0]).convert("RGB")
    assert img.size == (1024, 1536)
    assert img.getpixel((512, 400)) == (250, 200, 0)


async def test_vary_uses_the_requested_size_and_format() -> None:
    photo = await source((900, 600))
    result = await OfflineBackend(vary_prompt="another take").vary(
        photo, Options(size="1024x1024", output_format="jpeg")
    )
    img = decode(result.images[0])
    assert (img.size, img.format) == ((1024, 1024), "JPEG")
    auto = await OfflineBackend().vary(photo, Options(size="auto"), prompt="sunset")
    assert decode(auto.images[0]).size == (1536, 1024)


async def test_a_very_long_prompt_still_draws() -> None:
    result = await OfflineBackend().generate("word " * 6_400 + "x" * 5_000, Options())
    assert decode(result.images[0]).size == (1024, 1024)


async def test_a_zoomed_canvas_shows_the_source_and_hatches_the_new_border() -> None:
    model = load_catalog().get("gpt-image-2")
    assert model is not None
    placed, mask = await canvas.place(
        await source((1024, 1024)), canvas.zoom_placement(model, 1024, 1024, 2.0)
    )
    options = Options(size="1024x1024", control="zoom 2")
    img = decode((await OfflineBackend().edit("fill", [placed], options, mask=mask)).images[0])
    assert img.convert("RGB").getpixel((512, 600)) == (250, 200, 0)
    assert img.convert("RGB").getpixel((100, 900)) in {HATCH[0][:3], HATCH[1][:3]}


async def test_a_blend_shows_every_source_side_by_side() -> None:
    yellow = await source((1024, 1024))
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (0, 90, 250)).save(buffer, "PNG")
    blue = await load_source(buffer.getvalue(), filename="blue.png", max_bytes=10**7)
    options = Options(control="blend")
    img = decode((await OfflineBackend().edit("mix", [yellow, blue], options)).images[0])
    row = [img.convert("RGB").getpixel((x, 300)) for x in range(0, 1024, 4)]
    assert (250, 200, 0) in row and (0, 90, 250) in row
