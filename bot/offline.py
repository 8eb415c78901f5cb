"""A stand-in for the image gateway that draws labelled placeholders with Pillow.

It has the gateway client's interface, calls no network and costs nothing, so anyone can
try every command, and an admin can check an install end to end, without a key. Zoom Out and
Pan (an edit with a mask) show the placed source with the area to fill hatched; Upscale the
source at the new size; Blend every source side by side.
"""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont, ImageOps

from bot.backend import ImageBackend, Job
from bot.config import DEFAULT_VARY_PROMPT
from bot.models import GatewayResult, Options, PartialCallback, SourceImage

LABEL = "OFFLINE — no image service was called"
PREVIEW_SIDE = 256
AUTO_SIDE = 1536  # the longer side of an 'auto' placeholder that follows a source
MAX_PROMPT_SHOWN = 1_000
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


HATCH = ((70, 70, 80, 255), (150, 150, 165, 255))  # the hatched area a model would fill in
MAX_TILES = 5


@dataclass(frozen=True)
class _Job:
    kind: str
    prompt: str
    options: Options
    sources: tuple[SourceImage, ...] = ()
    mask: SourceImage | None = None


class OfflineBackend(ImageBackend):
    """Draws placeholder images locally, in place of the gateway client."""

    def __init__(self, *, vary_prompt: str = DEFAULT_VARY_PROMPT) -> None:
        self.vary_prompt = vary_prompt

    async def make(self, job: Job, on_partial: PartialCallback | None) -> GatewayResult:
        """Placeholders showing the prompt, or the source images (a masked canvas hatched
        where it would be filled in) and the instruction, one per requested image."""
        label = job.kind if job.kind == "generate" else job.options.control or job.kind
        drawn = _Job(label, job.prompt, job.options, job.sources, job.mask)
        images, preview = await asyncio.to_thread(_draw_all, drawn)
        if on_partial is not None:
            await on_partial(preview)
        return GatewayResult(
            images=images,
            usage=None,
            cost_usd=Decimal(0),
            request_id=f"offline-{uuid.uuid4().hex[:12]}",
        )


def _draw_all(job: _Job) -> tuple[tuple[bytes, ...], bytes]:
    """The encoded images and a small PNG preview of the first."""
    sources = [_decode(source) for source in job.sources[:MAX_TILES]]
    size = job.options.size
    if size == "auto":
        size = _shape(*sources[0].size) if sources else "1024x1024"
    width, height = (int(side) for side in size.split("x"))
    drawn = [_picture(job, sources, (width, height), i) for i in range(job.options.n)]
    preview = drawn[0].copy()
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return tuple(_encode(img, job.options) for img in drawn), _encode(preview, Options())


def _shape(width: int, height: int) -> str:
    """The source's shape with its longer side at AUTO_SIDE pixels."""
    scale = AUTO_SIDE / max(width, height)
    return f"{round(width * scale)}x{round(height * scale)}"


def _decode(source: SourceImage) -> Image.Image:
    img = Image.open(io.BytesIO(source.data))
    img.load()
    return img.convert("RGBA")


def _picture(
    job: _Job, sources: list[Image.Image], size: tuple[int, int], index: int
) -> Image.Image:
    """A masked canvas with its new area hatched, an upscaled source, or a card."""
    if job.mask is not None and sources:
        canvas = sources[0].resize(size)
        holes = ImageOps.invert(_decode(job.mask).getchannel("A").resize(size))
        canvas.paste(_hatch(size), (0, 0), holes)
        return _banner(job, canvas, index)
    if job.options.control == "upscale" and sources:
        return _banner(job, sources[0].resize(size, Image.Resampling.LANCZOS), index)
    return _draw(job, sources, size, index)


def _hatch(size: tuple[int, int]) -> Image.Image:
    """Diagonal stripes: the area a real model would fill in."""
    stripes = Image.new("RGBA", size, HATCH[0])
    draw = ImageDraw.Draw(stripes)
    step = max(8, min(size) // 32)
    for x in range(-size[1], size[0], step * 2):
        draw.line((x, size[1], x + size[1], 0), fill=HATCH[1], width=step // 2)
    return stripes


def _banner(job: _Job, img: Image.Image, index: int) -> Image.Image:
    """The label and the footer on a dark band across the top of a picture."""
    width, height = img.size
    band = Image.new("RGBA", (width, max(48, height // 7)), (0, 0, 0, 170))
    img.alpha_composite(band)
    draw = ImageDraw.Draw(img)
    margin = width // 32
    _label(draw, (margin, margin // 2), _font(height // 30))
    draw.text((margin, band.height // 2 + margin // 4), _footer(job, img.size, index),
              font=_font(height // 40), fill=(220, 220, 220))  # fmt: skip
    return img


def _footer(job: _Job, size: tuple[int, int], index: int) -> str:
    opts = job.options
    masked = " (with mask)" if job.mask is not None else ""
    text = f"{job.kind}{masked} · image {index + 1} of {opts.n}"
    return text + f" · {size[0]}x{size[1]} · quality {opts.quality} · {opts.output_format}"


def _draw(job: _Job, sources: list[Image.Image], size: tuple[int, int], index: int) -> Image.Image:
    width, height = size
    opts = job.options
    transparent = opts.background == "transparent" and opts.output_format in ("png", "webp")
    img = _backdrop(job.prompt, index, size, transparent)
    draw = ImageDraw.Draw(img)
    margin = width // 16
    title, body = _font(height // 22), _font(height // 32)
    _label(draw, (margin, margin), title)
    top = margin + height // 12
    if sources:
        cell = (width - 2 * margin) // len(sources)
        tallest = 0
        for place, source in enumerate(sources):
            thumb = source.copy()
            thumb.thumbnail((cell - margin // 4, int(height * 0.4)))
            left = margin + place * cell + (cell - thumb.width) // 2
            img.paste(thumb, (left, top), thumb)
            tallest = max(tallest, thumb.height)
        top += tallest + margin // 2
    footer = _footer(job, size, index)
    line_height = int(body.size * 1.3) if isinstance(body, ImageFont.FreeTypeFont) else 14
    room = max(1, (height - margin * 2 - line_height - top) // line_height)
    for line in _wrap(job.prompt[:MAX_PROMPT_SHOWN], body, width - 2 * margin, room):
        draw.text((margin, top), line, font=body, fill="white")
        top += line_height
    draw.text((margin, height - margin - line_height), footer, font=body, fill=(220, 220, 220))
    return img


def _label(draw: ImageDraw.ImageDraw, xy: tuple[int, int], font: Font) -> None:
    """LABEL, with its dash drawn as a bar: Pillow's built-in font has no em dash glyph."""
    head, tail = LABEL.split(" — ")
    x, y = xy
    draw.text((x, y), head, font=font, fill="white")
    x += int(font.getlength(head + " "))
    dash = int(font.getlength("M"))
    top, bottom = font.getbbox("x")[1::2]
    middle = y + (int(top) + int(bottom)) // 2
    thickness = max(2, dash // 12)
    draw.rectangle((x, middle - thickness // 2, x + dash, middle + thickness // 2), fill="white")
    draw.text((x + dash + int(font.getlength(" ")), y), tail, font=font, fill="white")


def _backdrop(prompt: str, index: int, size: tuple[int, int], transparent: bool) -> Image.Image:
    """A gradient coloured by the prompt, or a dark card on a transparent canvas."""
    width, height = size
    if transparent:
        img = Image.new("RGBA", size, (0, 0, 0, 0))
        inset = width // 32
        box = (inset, inset, width - inset, height - inset)
        ImageDraw.Draw(img).rounded_rectangle(box, radius=inset * 2, fill=(24, 26, 38, 210))
        return img
    digest = hashlib.sha256(f"{index}:{prompt}".encode()).digest()
    hue = digest[0] / 255
    dark = _colour(hue, 0.6, 0.25)
    light = _colour((hue + 0.15) % 1.0, 0.5, 0.6)
    ramp = Image.linear_gradient("L").resize(size)
    return ImageOps.colorize(ramp, dark, light)


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _font(size: int) -> Font:
    return ImageFont.load_default(size=max(size, 10))


def _wrap(text: str, font: Font, width: int, max_lines: int) -> list[str]:
    """Lines of `text` no wider than `width` (a longer word gets a line of its own)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and font.getlength(candidate) > width:
                lines.append(line)
                candidate = word
            line = candidate
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += " …"
    return lines


def _encode(img: Image.Image, options: Options) -> bytes:
    buffer = io.BytesIO()
    quality = options.output_compression if options.output_compression is not None else 90
    if options.output_format == "png":
        img.save(buffer, "PNG", compress_level=1)
    elif options.output_format == "webp":
        img.save(buffer, "WEBP", quality=quality)
    else:
        img.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
