"""Discord as the Vary Region editor's platform (bot/web/platforms.py `EditorPlatform`).

The editor link carries the image's attachment URL with the message it sits on after a
`#message=` fragment (Discord's signed URLs expire after about a day): the image is read only
from Discord's CDN hosts, and when its URL no longer answers the message is fetched again for a
fresh one. The edited result is posted in the original channel with the usual buttons.
"""

from __future__ import annotations

from collections.abc import Callable

import discord
import httpx

from adapters.discord.deliver import delivery_failure
from adapters.discord.replies import result_files, result_text
from adapters.discord.services import Origin, Services
from adapters.discord.sources import attachment_hosts
from bot.delivery import DeliveryFailed
from bot.fetch import Refused, TooLarge, fetch
from bot.models import Result
from bot.web.platforms import Origin as WebOrigin

MESSAGE_MARK = "#message="
READ_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
IMAGE_GONE = DeliveryFailed("the image is no longer on Discord", transient=False)
TOO_LARGE = DeliveryFailed("the image is larger than the bot reads", transient=False)
NOT_CONNECTED = DeliveryFailed("the bot is not connected to Discord right now", transient=True)


def linked_image(attachment: discord.Attachment, message_id: int) -> str:
    """The image URL an editor link carries: the attachment's, and the message it is on."""
    return f"{attachment.url}{MESSAGE_MARK}{message_id}"


class DiscordEditor:
    """Reads images for the editor and posts its results, through the connected client."""

    def __init__(self, services: Services, client: Callable[[], discord.Client | None]) -> None:
        self.services = services
        self.client = client

    async def source_image(self, origin: WebOrigin, url: str, max_bytes: int) -> bytes:
        """The image's bytes, from Discord's CDN only; an expired URL is renewed once from
        its message."""
        plain, _, message_id = url.partition(MESSAGE_MARK)
        data = await self._read(plain, max_bytes)
        if data is None and message_id.isdigit():
            fresh = await self._fresh_url(origin, int(message_id), plain)
            data = await self._read(fresh, max_bytes)
        if data is None:
            raise IMAGE_GONE
        return data

    async def post_result(self, origin: WebOrigin, result: Result, user_id: str) -> str:
        """Post the result in the original channel with its buttons; where, as people read it."""
        channel = await self._channel(origin)
        view = self.services.result_view(result, Origin())
        try:
            await channel.send(
                result_text(result, int(user_id)), files=result_files(result), view=view
            )
        except Exception as exc:
            raise delivery_failure(exc) from None
        name = getattr(channel, "name", None)
        return f"#{name}" if name else "the conversation on Discord"

    async def _read(self, url: str, max_bytes: int) -> bytes | None:
        hosts = attachment_hosts(self.services.settings.discord_api_base)
        try:
            got = await fetch(
                self.services.http, url, max_bytes=max_bytes, timeout=READ_TIMEOUT, allowed=hosts
            )
        except TooLarge:
            raise TOO_LARGE from None
        except (Refused, httpx.HTTPError):
            return None
        return got.data if got.status == 200 else None

    async def _fresh_url(self, origin: WebOrigin, message_id: int, old: str) -> str:
        channel = await self._channel(origin)
        try:
            message = await channel.fetch_message(message_id)
        except discord.HTTPException:
            raise IMAGE_GONE from None
        attachment_id = httpx.URL(old).path.rstrip("/").split("/")[-2:-1]
        for attachment in message.attachments:
            if [str(attachment.id)] == attachment_id:
                return attachment.url
        raise IMAGE_GONE

    async def _channel(self, origin: WebOrigin) -> discord.abc.Messageable:
        client = self.client()
        if client is None or not origin.channel.isdigit():
            raise NOT_CONNECTED
        channel = client.get_channel(int(origin.channel))
        if channel is None:
            try:
                channel = await client.fetch_channel(int(origin.channel))
            except discord.HTTPException as exc:
                raise delivery_failure(exc) from None
        if not isinstance(channel, discord.abc.Messageable):
            raise DeliveryFailed("that channel takes no messages", transient=False)
        return channel
