"""Edit by reply: answer an image with an instruction that mentions the bot.

Without the privileged Message Content intent Discord still delivers the text of
messages that mention the bot, so this works with no special intent. The images come
from the message replied to (fetched again for fresh attachment URLs), or from the
mentioning message itself when it carries images. Only an @mention written in the text
counts; the ping Discord adds to a reply does not.
"""

from __future__ import annotations

import logging
import re

import discord

from adapters.discord.permissions import message_actor
from adapters.discord.replies import public
from adapters.discord.respond import MessageResponder
from adapters.discord.services import Origin, Services
from adapters.discord.sources import image_attachments, load_sources
from adapters.discord.surface import DiscordSurface
from bot.errors import BadRequest
from bot.models import SourceImage
from bot.requests import Ask

log = logging.getLogger(__name__)

HOW_TO = (
    "Reply to a message with an image and mention me with what to change "
    "(e.g. *make the balloon blue*), or use /imagine to create a new image."
)
NO_INSTRUCTION = BadRequest("Say how the image should change, e.g. make the balloon blue.")


def mentions_me(message: discord.Message, me: discord.abc.Snowflake) -> bool:
    """Whether the text names the bot: a reply's automatic ping alone does not count, so a
    "nice!" under a result is not taken as an instruction (and charged)."""
    return re.search(rf"<@!?{me.id}>", message.content) is not None


def instruction(message: discord.Message, me: discord.abc.Snowflake) -> str:
    """The message text without the bot's mention."""
    return re.sub(rf"<@!?{me.id}>", " ", message.content).strip()


async def source_message(message: discord.Message) -> discord.Message | None:
    """The message whose images are edited: the one replied to (fetched, so its attachment
    URLs are fresh), else this one."""
    ref = message.reference
    if ref is not None and ref.message_id is not None and ref.channel_id == message.channel.id:
        try:
            return await message.channel.fetch_message(ref.message_id)
        except discord.NotFound:
            return None
    return message if image_attachments(message) else None


async def on_message(services: Services, me: discord.ClientUser, message: discord.Message) -> None:
    """Edit the images of the replied-to message when someone mentions the bot."""
    if message.author.bot or message.guild is None or not mentions_me(message, me):
        return
    text = instruction(message, me)
    source = await source_message(message)
    if source is None or not image_attachments(source):
        await message.reply(HOW_TO, mention_author=False)
        return
    if not text:
        await message.reply(public(NO_INSTRUCTION.message), mention_author=False)
        return
    found = image_attachments(source)

    async def sources() -> tuple[SourceImage, ...]:
        return await load_sources(services, found)

    ask = Ask(
        "edit",
        message_actor(message),
        f"discord:msg:{message.id}",
        text=text,
        sources=sources,
        upload_cap_bytes=message.guild.filesize_limit,
    )
    responder = MessageResponder(message)
    surface = DiscordSurface(responder, services, message.author.id, Origin(source.id))
    await services.runner.submit(ask, surface)
