"""Canvas geometry for Zoom Out and Pan, and Upscale's size, on free and fixed-size models."""

from __future__ import annotations

import pytest

from bot.canvas import pan_placement, upscale_size, zoom_placement
from bot.catalog import load_catalog

CATALOG = load_catalog()
FREE = CATALOG.get("gpt-image-2")
FIXED = CATALOG.get("gpt-image-1")
FLUX = CATALOG.get("flux-kontext-pro")
assert FREE is not None and FIXED is not None and FLUX is not None


@pytest.mark.parametrize(
    ("source", "factor", "size", "box"),
    [
        ((1024, 1024), 2.0, (1024, 1024), (256, 256, 512, 512)),
        ((1024, 1024), 1.5, (1024, 1024), (170, 170, 683, 683)),
        ((1536, 1024), 2.0, (1536, 1024), (384, 256, 768, 512)),
        ((3000, 1000), 3.0, (2160, 720), (720, 240, 720, 240)),  # at most an edit's area
    ],
)
def test_zoom_keeps_the_shape_and_centres_the_shrunk_source(
    source: tuple[int, int], factor: float, size: tuple[int, int], box: tuple[int, int, int, int]
) -> None:
    placed = zoom_placement(FREE, *source, factor)
    assert (placed.size, placed.box) == (size, box)


def test_zoom_on_a_fixed_size_model_uses_the_size_nearest_the_shape() -> None:
    placed = zoom_placement(FIXED, 1600, 900, 2.0)
    assert placed.size_text == "1536x1024"
    assert placed.box == (384, 296, 768, 432)  # 16:9 fitted into 3:2, then halved


@pytest.mark.parametrize(
    ("direction", "size", "box"),
    [
        ("left", (1536, 1024), (512, 0, 1024, 1024)),
        ("right", (1536, 1024), (0, 0, 1024, 1024)),
        ("up", (1024, 1536), (0, 512, 1024, 1024)),
        ("down", (1024, 1536), (0, 0, 1024, 1024)),
    ],
)
def test_pan_adds_half_the_source_on_one_side(
    direction: str, size: tuple[int, int], box: tuple[int, int, int, int]
) -> None:
    placed = pan_placement(FREE, 1024, 1024, direction)  # type: ignore[arg-type]
    assert (placed.size, placed.box) == (size, box)


def test_pan_past_the_widest_shape_keeps_the_canvas_legal() -> None:
    placed = pan_placement(FREE, 2400, 800, "right")  # 3:1 grown to 4.5:1; gpt-image-2 ends at 3:1
    width, height = placed.size
    assert FREE.size_problem(width, height) is None and width == 3 * height
    x, y, box_w, box_h = placed.box
    assert (x, box_w) == (0, round(width * 2 / 3)) and y + box_h <= height


def test_pan_on_a_fixed_size_model_scales_the_source_into_a_listed_size() -> None:
    placed = pan_placement(FLUX, 1024, 1024, "left")
    assert placed.size_text in FLUX.sizes
    assert placed.size == (1248, 832) and placed.box == (416, 0, 832, 832)


@pytest.mark.parametrize(
    ("model", "source", "size"),
    [
        (FREE, (1024, 1024), "2880x2880"),
        (FREE, (1024, 1536), "2352x3520"),
        (FIXED, (1024, 1024), "1024x1024"),
        (FIXED, (1600, 1000), "1536x1024"),
        (FLUX, (1600, 900), "1392x752"),
    ],
)
def test_upscale_is_the_largest_legal_size_of_the_shape(model, source, size) -> None:  # type: ignore[no-untyped-def]
    assert upscale_size(model, *source) == size
