"""Source images from Discord messages and attachments, downloaded and validated."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord
import httpx

from adapters.discord.services import Services
from bot import images
from bot.errors import BadRequest, ImageRejected
from bot.fetch import Hosts, OffHost, Refused, TooLarge, fetch
from bot.models import SourceImage
from bot.text import inert_line

log = logging.getLogger(__name__)

DISCORD_CDN = ("https://cdn.discordapp.com", "https://media.discordapp.net")
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

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


def shown_name(attachment: discord.Attachment) -> str:
    """An attachment's file name, safe to quote in the bot's words (bot.text)."""
    return inert_line(attachment.filename) or "image"


def image_attachments(message: discord.Message) -> list[discord.Attachment]:
    """A message's image attachments, in order."""
    return [a for a in message.attachments if is_image(a)]


async def fresh_message(message: discord.Message) -> discord.Message:
    """The message fetched again, for attachment URLs that have not expired (a private,
    ephemeral message cannot be fetched: its press just brought it, fresh)."""
    if message.flags.ephemeral:
        return message
    try:
        return await message.channel.fetch_message(message.id)
    except discord.NotFound:
        raise BadRequest(MESSAGE_GONE) from None
    except discord.Forbidden:
        return message


def attachment_hosts(api_base: str) -> Hosts:
    """Where attachments may be fetched from: Discord's CDN and the REST base's own origin."""
    return Hosts.of(*DISCORD_CDN, api_base)


async def download(
    http: httpx.AsyncClient, attachment: discord.Attachment, hosts: Hosts, max_bytes: int
) -> SourceImage:
    """One attachment's bytes, counted as they stream in, validated as a source image."""
    if attachment.size > max_bytes:
        raise ImageRejected(
            f'The image "{shown_name(attachment)}" is too large: '
            f"{attachment.size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB.",
            then="Send a smaller file.",
        )
    try:
        got = await fetch(
            http, attachment.url, max_bytes=max_bytes, timeout=DOWNLOAD_TIMEOUT, allowed=hosts
        )
    except TooLarge:
        raise ImageRejected(
            f'The image "{shown_name(attachment)}" is too large: the limit is '
            f"{max_bytes / 1048576:.0f} MB.",
            then="Send a smaller file.",
        ) from None
    except OffHost as exc:
        log.warning("Discord attachment %s not fetched: %s", attachment.id, exc)
        raise _unreadable(attachment) from None
    except (Refused, httpx.HTTPError):
        raise _unreadable(attachment) from None
    if got.status != 200:
        raise _unreadable(attachment)
    return await images.load_source(got.data, filename=attachment.filename, max_bytes=max_bytes)


async def load_sources(
    services: Services, attachments: Sequence[discord.Attachment]
) -> tuple[SourceImage, ...]:
    """Every attachment downloaded and validated, in order."""
    if not attachments:
        raise BadRequest(NO_IMAGES)
    settings = services.settings
    hosts, cap = attachment_hosts(settings.discord_api_base), settings.max_source_bytes
    found = await asyncio.gather(*(download(services.http, a, hosts, cap) for a in attachments))
    return tuple(found)


def _unreadable(attachment: discord.Attachment) -> ImageRejected:
    return ImageRejected(
        f'Could not download "{shown_name(attachment)}" from Discord.',
        then="Post the image again and retry.",
    )
