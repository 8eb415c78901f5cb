"""Source images from Discord messages and attachments, downloaded and validated."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import discord
import httpx

from bot import images
from bot.errors import NOT_CHARGED, BadRequest, ImageRejected
from bot.models import SourceImage

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
NO_IMAGES = (
    "That message has no images. Use this on a message with a picture attached, "
    "or use /edit and attach the image."
)
MESSAGE_GONE = "The message with the image was deleted, so there is nothing to change."


def is_image(attachment: discord.Attachment) -> bool:
    """Whether an attachment looks like an image (by content type, else by name)."""
    if attachment.content_type:
        return attachment.content_type.startswith("image/")
    return attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def image_attachments(message: discord.Message) -> list[discord.Attachment]:
    """A message's image attachments, in order."""
    return [a for a in message.attachments if is_image(a)]


async def fresh_message(message: discord.Message) -> discord.Message:
    """The message fetched again, for attachment URLs that have not expired."""
    try:
        return await message.channel.fetch_message(message.id)
    except discord.NotFound:
        raise BadRequest(MESSAGE_GONE) from None
    except discord.Forbidden:
        return message


async def download(
    http: httpx.AsyncClient, attachment: discord.Attachment, max_bytes: int
) -> SourceImage:
    """One attachment's bytes, validated as a source image."""
    if attachment.size > max_bytes:
        raise ImageRejected(
            f'The image "{attachment.filename}" is too large: '
            f"{attachment.size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB. "
            f"{NOT_CHARGED} Send a smaller file."
        )
    try:
        response = await http.get(attachment.url, follow_redirects=True)
    except httpx.HTTPError:
        raise ImageRejected(_unreadable(attachment)) from None
    if response.status_code != 200:
        raise ImageRejected(_unreadable(attachment))
    return await images.load_source(
        response.content, filename=attachment.filename, max_bytes=max_bytes
    )


async def load_sources(
    http: httpx.AsyncClient, attachments: Sequence[discord.Attachment], max_bytes: int
) -> tuple[SourceImage, ...]:
    """Every attachment downloaded and validated, in order."""
    if not attachments:
        raise BadRequest(NO_IMAGES)
    found = await asyncio.gather(*(download(http, a, max_bytes) for a in attachments))
    return tuple(found)


def _unreadable(attachment: discord.Attachment) -> str:
    return (
        f'Could not download "{attachment.filename}" from Discord. {NOT_CHARGED} '
        "Post the image again and retry."
    )
