"""Canvases and masks for Zoom Out and Pan, and the sizes of Upscale.

    placement = zoom_placement(model, 1024, 1024, 2.0)   # canvas 1024x1024, source in a box
    canvas, mask = await place(source, placement)      # RGBA PNGs of the canvas's size

A placement is a legal canvas size of the model and the box the source is drawn in. The
canvas image holds the source (scaled to the box) on a transparent ground; the mask is
opaque exactly over the box and transparent everywhere else, the area the model fills in.
Zoom keeps the source's shape and the size an edit of it would have; Pan adds half the
source in one direction (for models with free sizes a larger canvas, otherwise the fixed
size closest to that shape, the source scaled to fit). Pillow runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from bot.catalog import ModelInfo
from bot.errors import BadRequest
from bot.models import SourceImage
from bot.sizes import SOURCE_MAX_PIXELS, parse_dims, shape_size, source_size

Direction = Literal["left", "right", "up", "down"]
DIRECTIONS: tuple[Direction, ...] = ("left", "right", "up", "down")
PAN_GROWTH = 0.5  # the new strip is half the source's width (left, right) or height (up, down)


@dataclass(frozen=True)
class Placement:
    """A canvas of `size` (width, height) with the source drawn into `box` (x, y, w, h)."""

    size: tuple[int, int]
    box: tuple[int, int, int, int]

    @property
    def size_text(self) -> str:
        """The canvas as the gateway's 'WxH'."""
        return f"{self.size[0]}x{self.size[1]}"


def zoom_placement(model: ModelInfo, width: int, height: int, factor: float) -> Placement:
    """The source shrunk by `factor`, centred on the legal canvas of its shape and size."""
    canvas = _dims(source_size(model, width, height))
    fit = min(canvas[0] / width, canvas[1] / height) / factor
    box_w, box_h = max(1, round(width * fit)), max(1, round(height * fit))
    x, y = (canvas[0] - box_w) // 2, (canvas[1] - box_h) // 2
    return Placement(canvas, (x, y, box_w, box_h))


def pan_placement(model: ModelInfo, width: int, height: int, direction: Direction) -> Placement:
    """The source against the side opposite `direction`, with a new strip half its size."""
    sideways = direction in ("left", "right")
    grown_w = width * (1 + PAN_GROWTH) if sideways else float(width)
    grown_h = float(height) if sideways else height * (1 + PAN_GROWTH)
    base = min(1.0, (SOURCE_MAX_PIXELS / (width * height)) ** 0.5)  # an edit's scale at most
    area = round(grown_w * grown_h * base * base)
    canvas = _dims(shape_size(model, grown_w, grown_h, area))
    fit = min(canvas[0] / grown_w, canvas[1] / grown_h)
    box_w, box_h = max(1, round(width * fit)), max(1, round(height * fit))
    x = {"left": canvas[0] - box_w, "right": 0}.get(direction, (canvas[0] - box_w) // 2)
    y = {"up": canvas[1] - box_h, "down": 0}.get(direction, (canvas[1] - box_h) // 2)
    return Placement(canvas, (x, y, box_w, box_h))


def upscale_size(model: ModelInfo, width: int, height: int) -> str:
    """The largest legal size of `model` with (about) the shape of a WxH image."""
    if model.size_rule is not None:
        return shape_size(model, width, height, model.size_rule.max_pixels)
    largest = max((_area(size) for size in model.fixed_sizes), default=0)
    return shape_size(model, width, height, largest)


async def place(source: SourceImage, placement: Placement) -> tuple[SourceImage, SourceImage]:
    """The canvas (source in its box on a transparent ground) and its mask, both PNG."""
    return await asyncio.to_thread(_place, source, placement)


def _place(source: SourceImage, placement: Placement) -> tuple[SourceImage, SourceImage]:
    x, y, box_w, box_h = placement.box
    with Image.open(io.BytesIO(source.data)) as opened:
        picture = opened.convert("RGBA")
    picture = picture.resize((box_w, box_h), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", placement.size, (0, 0, 0, 0))
    canvas.paste(picture, (x, y))
    alpha = Image.new("L", placement.size, 0)
    alpha.paste(255, (x, y, x + box_w, y + box_h))
    black = Image.new("L", placement.size, 0)
    mask = Image.merge("RGBA", (black, black, black, alpha))
    width, height = placement.size
    stem = source.filename.rsplit(".", 1)[0] or "image"
    return (
        SourceImage(_png(canvas), f"{stem}-canvas.png", "image/png", width, height),
        SourceImage(_png(mask), f"{stem}-mask.png", "image/png", width, height),
    )


def _png(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def _dims(size: str) -> tuple[int, int]:
    dims = parse_dims(size)
    if dims is None:
        raise BadRequest(f"No canvas can be made at {size}: the model lists no sizes.")
    return dims


def _area(size: str) -> int:
    dims = parse_dims(size)
    return dims[0] * dims[1] if dims else 0
