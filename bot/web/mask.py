"""The editor's painting as the mask the images API takes: painted = transparent = change."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io

from PIL import Image, UnidentifiedImageError

from bot.errors import BadRequest
from bot.images import load_mask
from bot.models import SourceImage

DATA_URL = "data:image/png;base64,"
MAX_PAINTING_BYTES = 8 * 1024 * 1024
NOTHING_PAINTED = BadRequest(
    "Nothing was painted.", then="Paint over the part of the image that should change."
)


def painting_bytes(field: str) -> bytes:
    """The PNG the editor's script sent as a data URL."""
    if not field.startswith(DATA_URL) or len(field) > MAX_PAINTING_BYTES * 4 // 3 + 64:
        raise NOTHING_PAINTED
    try:
        return base64.b64decode(field[len(DATA_URL) :], validate=True)
    except binascii.Error:
        raise NOTHING_PAINTED from None


def _inverted(painting: bytes) -> bytes:
    """A PNG whose alpha is 0 wherever the painting has any paint, 255 elsewhere."""
    try:
        with Image.open(io.BytesIO(painting), formats=("PNG",)) as img:
            alpha = img.convert("RGBA").getchannel("A")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise NOTHING_PAINTED from None
    if alpha.getextrema()[1] == 0:
        raise NOTHING_PAINTED
    holes = alpha.point(lambda a: 0 if a else 255)
    black = Image.new("L", holes.size, 0)
    out = io.BytesIO()
    Image.merge("RGBA", (black, black, black, holes)).save(out, format="PNG")
    return out.getvalue()


async def mask_from_painting(field: str, source: SourceImage) -> SourceImage:
    """The mask for `source` from the editor's painting (a PNG data URL of its shape)."""
    inverted = await asyncio.to_thread(_inverted, painting_bytes(field))
    return await load_mask(inverted, source, filename="region.png")
