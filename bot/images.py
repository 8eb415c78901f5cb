"""Pillow work on sources: validate and normalise source images and edit masks.

Sources: PNG, JPEG, WebP, GIF, BMP and TIFF. The byte cap is checked before anything is
parsed and the pixel cap from the header before anything is decoded, so a decompression
bomb is refused before a pixel is decoded. Animated images and multi-picture JPEGs give
their first frame, EXIF orientation is applied, CMYK and 16-bit images become 8-bit RGB.
The gateway gets the untouched bytes when they are already fine (PNG, JPEG or WebP; one
frame; RGB/RGBA; no EXIF block; longest side at most MAX_SIDE). Otherwise a re-encode
without metadata, so a photo's location never reaches the image service: PNG when it has
transparency, JPEG (quality 95) when it came as JPEG, PNG otherwise, downscaled to
MAX_SIDE, more than the model looks at. Results are fitted for upload in bot/fitting.py.
Decoding and encoding run in worker threads; `image_info` reads the header only.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
from typing import cast

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.errors import ImageRejected
from bot.models import SourceImage
from bot.text import inert_line
from bot.wording import human_size

ACCEPTED = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
MIME = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
EXTENSIONS = {
    "PNG": "png",
    "JPEG": "jpg",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
}
PASS_THROUGH = ("PNG", "JPEG", "WEBP")
ALPHA_MODES = ("RGBA", "LA", "PA")
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
MAX_SIDE = 2048
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MASK_INPUT_BYTES = 25 * 1024 * 1024
MASK_MAX_BYTES = 4 * 1024 * 1024
MASK_SHAPE_TOLERANCE = 0.02
SEND_INSTEAD = "Send a PNG, JPEG, WebP, GIF, BMP or TIFF file."


async def load_source(
    data: bytes,
    *,
    filename: str = "image",
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> SourceImage:
    """A validated source image, normalised for the gateway; ImageRejected says why not."""
    return await asyncio.to_thread(_source, data, filename, max_bytes, max_pixels)


async def load_mask(
    data: bytes,
    like: SourceImage,
    *,
    filename: str = "mask.png",
    max_bytes: int = DEFAULT_MASK_INPUT_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> SourceImage:
    """An edit mask as a PNG of `like`'s size whose transparent areas mark what to change.

    A mask of another size but the same shape (within 2 %) is resized to match; another
    shape, or a mask with no transparent pixel, is refused.
    """
    return await asyncio.to_thread(_mask, data, like, filename, max_bytes, max_pixels)


def image_info(data: bytes) -> tuple[str, int, int]:
    """(mime type, width, height) read from the header alone, without decoding pixels."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED) as img:
            return MIME[_format(img)], img.width, img.height
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise ImageRejected(f"This file is not an image the bot can read. {SEND_INSTEAD}") from exc


def _source(data: bytes, filename: str, max_bytes: int, max_pixels: int) -> SourceImage:
    name = _shown(filename)
    check_size(len(data), name, max_bytes)
    img = _open(data, name, max_pixels)
    fmt = _format(img)
    orientation = _orientation(img)
    if (
        fmt in PASS_THROUGH
        and getattr(img, "n_frames", 1) == 1
        and orientation == 1
        and "exif" not in img.info
        and img.mode in ("RGB", "RGBA")
        and max(img.size) <= MAX_SIDE
    ):
        return SourceImage(data, f"{_stem(filename)}.{EXTENSIONS[fmt]}", MIME[fmt], *img.size)
    icc = None if img.mode == "CMYK" else img.info.get("icc_profile")
    img = _upright(rgb(img), orientation)
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out_fmt = "JPEG" if fmt == "JPEG" and img.mode == "RGB" else "PNG"
    out = encode(img, out_fmt, 95, icc)
    stem = _stem(filename)
    return SourceImage(out, f"{stem}.{EXTENSIONS[out_fmt]}", MIME[out_fmt], *img.size)


def _mask(
    data: bytes, like: SourceImage, filename: str, max_bytes: int, max_pixels: int
) -> SourceImage:
    name = _shown(filename)
    check_size(len(data), name, max_bytes)
    img = _open(data, name, max_pixels)
    img = _upright(img, _orientation(img))
    no_holes = ImageRejected(
        f'The mask "{name}" has no transparent areas.',
        then="Send a PNG whose transparent parts mark where the image should change.",
    )
    if img.mode not in ALPHA_MODES and "transparency" not in img.info:
        raise no_holes
    alpha = img.convert("RGBA").getchannel("A")
    if alpha.getextrema()[0] == 255:
        raise no_holes
    width, height = (like.width, like.height) if like.width else image_info(like.data)[1:]
    if alpha.size != (width, height):
        if abs(math.log(alpha.width / alpha.height / (width / height))) > MASK_SHAPE_TOLERANCE:
            raise ImageRejected(
                f'The mask "{name}" is {alpha.width}×{alpha.height} but the image is '
                f"{width}×{height}; they must have the same shape.",
                then="Draw the mask over the image itself.",
            )
        alpha = alpha.resize((width, height), Image.Resampling.BILINEAR)
    black = Image.new("L", alpha.size, 0)
    out = encode(Image.merge("RGBA", (black, black, black, alpha)), "PNG", 0, None)
    if len(out) > MASK_MAX_BYTES:
        raise ImageRejected(
            f'The mask "{name}" is too detailed to send '
            f"(over {human_size(MASK_MAX_BYTES)} as PNG).",
            then="Use a simpler mask.",
        )
    return SourceImage(out, f"{_stem(filename)}.png", "image/png", width, height)


def check_size(size: int, name: str, max_bytes: int) -> None:
    """Refuse an image of `size` bytes over the cap (ImageRejected), before or after reading."""
    if size > max_bytes:
        raise ImageRejected(
            f'The image "{name}" is too large: {human_size(size)}; the limit is '
            f"{human_size(max_bytes)}.",
            then="Send a smaller file.",
        )


def _open(data: bytes, name: str, max_pixels: int) -> Image.Image:
    """The first frame, verified and decoded, after the format and pixel checks."""
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_many_pixels(name, None, max_pixels) from None
    except UnidentifiedImageError:
        sniffed = _sniff(data)
        if sniffed:
            raise _unsupported(name, sniffed) from None
        raise ImageRejected(f'The file "{name}" is not an image.', then=SEND_INSTEAD) from None
    fmt = _format(img)
    if fmt not in ACCEPTED:
        raise _unsupported(name, fmt)
    if img.width * img.height > max_pixels:
        raise _too_many_pixels(name, img.size, max_pixels)
    try:
        img.verify()
        img = Image.open(io.BytesIO(data), formats=[fmt])
        img.load()
    except Exception as exc:  # Pillow raises many types for broken files; all mean "damaged".
        raise ImageRejected(
            f'The image "{name}" is damaged or incomplete and cannot be read.',
            then="Save it again and send it once more.",
        ) from exc
    return img


def _format(img: Image.Image) -> str:
    """Pillow's format name, with MPO (a JPEG holding several pictures) as JPEG."""
    return "JPEG" if img.format == "MPO" else str(img.format)


def _sniff(data: bytes) -> str | None:
    """Name formats Pillow cannot open, so the refusal can say what was sent."""
    head = data[:1024]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "HEIC" if brand in HEIF_BRANDS else "AVIF" if brand in (b"avif", b"avis") else None
    if head.startswith(b"%PDF"):
        return "PDF"
    if b"<svg" in head.lower():
        return "SVG"
    return None


def _unsupported(name: str, fmt: str) -> ImageRejected:
    return ImageRejected(
        f'The image "{name}" is in {fmt} format, which the bot cannot use.', then=f"{SEND_INSTEAD}"
    )


def _too_many_pixels(name: str, size: tuple[int, int] | None, max_pixels: int) -> ImageRejected:
    shown = f" ({size[0]}×{size[1]})" if size else ""
    return ImageRejected(
        f'The image "{name}" has too many pixels{shown}; the limit is '
        f"{max_pixels / 1_000_000:g} megapixels.",
        then="Send a smaller image.",
    )


def _orientation(img: Image.Image) -> int:
    value = img.getexif().get(0x0112, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _upright(img: Image.Image, orientation: int) -> Image.Image:
    return ImageOps.exif_transpose(img) if orientation != 1 else img


def rgb(img: Image.Image) -> Image.Image:
    """RGBA when the image has transparency, RGB otherwise; 16-bit and float scaled to 8."""
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        floats = img.convert("F")
        low, high = cast(tuple[float, float], floats.getextrema())
        low = min(low, 0.0)
        scale = 255 / (high - low) if high > 255 or low < 0 else 1.0
        img = floats.point(lambda v: (v - low) * scale).convert("L")
    alpha = img.mode in ALPHA_MODES or "transparency" in img.info
    target = "RGBA" if alpha else "RGB"
    return img if img.mode == target else img.convert(target)


def encode(img: Image.Image, fmt: str, quality: int, icc: bytes | None) -> bytes:
    """The image saved as `fmt` (PNG ignores `quality`), with no metadata but `icc`."""
    buffer = io.BytesIO()
    if fmt == "PNG":
        img.save(buffer, "PNG", icc_profile=icc)
    else:
        img.save(buffer, fmt, quality=quality, icc_profile=icc)
    return buffer.getvalue()


def _stem(filename: str) -> str:
    base = re.split(r"[/\\]", filename)[-1].rsplit(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", base).strip("-")[:60] or "image"


def _shown(filename: str) -> str:
    """A file name safe to quote in a message: inert (bot.text), no quotes, short."""
    name = re.sub(r'["`]+', "", inert_line(filename)).strip() or "image"
    return name if len(name) <= 60 else name[:59] + "…"
