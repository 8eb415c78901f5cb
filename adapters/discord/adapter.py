"""DiscordAdapter: what `imagine-bot run` starts when DISCORD_TOKEN is set."""

from __future__ import annotations

import logging

import discord
import discord.gateway
import discord.http
import httpx
import yarl

from adapters.discord.client import ImagineClient, ShardedImagineClient
from adapters.discord.editor import DiscordEditor
from adapters.discord.services import TOKEN_TTL_S, Services
from adapters.discord.views import deliver_again_view, picked_view, result_view
from bot.config import Settings
from bot.errors import ConfigError
from bot.models import Result
from bot.requests import Runner
from bot.web.context import Web
from bot.web.platforms import Origin as WebOrigin

log = logging.getLogger(__name__)


def configure_discord(settings: Settings) -> None:
    """Point discord.py's REST and gateway at the configured endpoints (a proxy, a local server).

    discord.py builds every REST URL from `Route.BASE`, and connects a plain client to
    `DEFAULT_GATEWAY` (never asking GET /gateway); a session later resumes on the
    `resume_gateway_url` that READY names, and falls back to `DEFAULT_GATEWAY`. The bot
    never joins voice, so discord.py's warnings about missing voice libraries are off.
    """
    gateway = settings.discord_gateway_url
    if not gateway.startswith(("ws://", "wss://")):
        raise ConfigError("Invalid setting DISCORD_GATEWAY_URL: must start with wss:// or ws://")
    discord.http.Route.BASE = settings.discord_api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def build_client(services: Services) -> ImagineClient:
    """A plain client, or a sharded one when DISCORD_SHARD_COUNT is set."""
    settings = services.settings
    if settings.discord_shard_count is None:
        return ImagineClient(services)
    shard_ids = [int(shard) for shard in settings.discord_shard_ids] or None
    return ShardedImagineClient(
        services, shard_count=settings.discord_shard_count, shard_ids=shard_ids
    )


class DiscordAdapter:
    """Slash commands, menus, persistent buttons and reply-mentions, each a request for the
    runner; and the Vary Region editor's platform (`source_image`, `post_result`)."""

    platform = "discord"

    def __init__(
        self,
        settings: Settings,
        runner: Runner,
        http: httpx.AsyncClient,
        *,
        token_ttl_s: float = TOKEN_TTL_S,
        web_: Web | None = None,
    ) -> None:
        if settings.discord_token is None:
            raise ConfigError("Missing setting DISCORD_TOKEN: the bot token from Discord.")
        self._token = settings.discord_token
        self._services = Services(
            settings,
            runner,
            http,
            result_view,
            deliver_again_view,
            picked_view,
            token_ttl_s,
            web_,
        )
        self._client: ImagineClient | None = None
        self._closing = False
        self._editor = DiscordEditor(self._services, lambda: self._client)

    @property
    def client(self) -> ImagineClient | None:
        """The discord.py client while running (None before `run`)."""
        return self._client

    @property
    def ready(self) -> bool:
        """Connected to the gateway."""
        client = self._client
        return client is not None and client.connected and not client.is_closed()

    async def run(self) -> None:
        """Log in, connect and serve until `close()`."""
        if self._closing:
            return
        configure_discord(self._services.settings)
        client = build_client(self._services)
        self._client = client
        try:
            async with client:
                await client.start(self._token.get_secret_value())
        except discord.LoginFailure:
            raise ConfigError(
                "Discord rejected DISCORD_TOKEN. Copy the bot token again from the developer "
                "portal (Bot → Reset Token)."
            ) from None

    async def source_image(self, origin: WebOrigin, url: str, max_bytes: int) -> bytes:
        """The editor's image, read from Discord (raises DeliveryFailed when it is gone)."""
        return await self._editor.source_image(origin, url, max_bytes)

    async def post_result(self, origin: WebOrigin, result: Result, user_id: str) -> str:
        """Post the editor's result in the original channel (raises DeliveryFailed)."""
        return await self._editor.post_result(origin, result, user_id)

    async def close(self) -> None:
        """Disconnect (the runner, drained first, has let running requests finish)."""
        self._closing = True
        if self._client is not None:
            await self._client.close()
