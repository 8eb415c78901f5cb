"""Pillow work on results: a made image fitted under the caller's upload cap.

A result is returned untouched when it fits, and re-encoded (WebP, or JPEG when JPEG was
asked for) at falling quality, then downscaled, only when not. The work runs in a worker
thread.
"""

from __future__ import annotations

import asyncio
import io
import math

from PIL import Image

from bot.errors import ImageRejected
from bot.gateway.errors import BadGatewayResponse
from bot.images import ACCEPTED, EXTENSIONS, MIME, encode, image_info, rgb
from bot.models import GeneratedImage
from bot.wording import human_size

MIME_EXTENSIONS = {mime: EXTENSIONS[fmt] for fmt, mime in MIME.items()}
RESULT_QUALITIES = (85, 70, 50)
SHRINK_STEPS = 4
MIN_RESULT_SIDE = 256


async def fit_for_upload(
    data: bytes, *, cap_bytes: int | None, preferred_format: str, filename_stem: str
) -> GeneratedImage:
    """A result ready to upload: the same bytes when they fit `cap_bytes`, else re-encoded."""
    return await asyncio.to_thread(_fit, data, cap_bytes, preferred_format, filename_stem)


def _fit(data: bytes, cap: int | None, preferred: str, stem: str) -> GeneratedImage:
    try:
        mime, width, height = image_info(data)
    except ImageRejected:
        raise BadGatewayResponse("an image could not be read") from None
    if cap is None or len(data) <= cap:
        return GeneratedImage(data, mime, f"{stem}.{MIME_EXTENSIONS[mime]}", width, height)
    img = rgb(_decode_result(data))
    fmt = "JPEG" if preferred == "jpeg" else "WEBP"
    if fmt == "JPEG" and img.mode == "RGBA":
        img = _flatten(img)
    out = b""
    for quality in RESULT_QUALITIES:
        out = encode(img, fmt, quality, None)
        if len(out) <= cap:
            return GeneratedImage(out, MIME[fmt], f"{stem}.{EXTENSIONS[fmt]}", *img.size)
    for _ in range(SHRINK_STEPS):
        scale = math.sqrt(cap / len(out)) * 0.9
        size = (round(img.width * scale), round(img.height * scale))
        if max(size) < MIN_RESULT_SIDE:
            break
        img = img.resize(size, Image.Resampling.LANCZOS)
        out = encode(img, fmt, RESULT_QUALITIES[-1], None)
        if len(out) <= cap:
            return GeneratedImage(out, MIME[fmt], f"{stem}.{EXTENSIONS[fmt]}", *img.size)
    raise ImageRejected(
        f"A generated image is too large to upload here ({human_size(len(data))}; the limit is "
        f"{human_size(cap)}) and could not be made small enough."
    )


def _decode_result(data: bytes) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data), formats=ACCEPTED)
        img.load()
    except Exception as exc:  # Pillow raises many types for broken files.
        raise BadGatewayResponse("an image could not be read") from exc
    return img


def _flatten(img: Image.Image) -> Image.Image:
    flat = Image.new("RGB", img.size, "white")
    flat.paste(img, mask=img.getchannel("A"))
    return flat
