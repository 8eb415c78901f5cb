"""Budget alerts and log lines in a guild's channels, through the adapter's discord.py client
(the runner's `Channels` for Discord)."""

from __future__ import annotations

import discord

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.replies import public

NO_MENTIONS = discord.AllowedMentions.none()


class DiscordChannels:
    """Posts the runner's notices in a channel of a guild the bot is in."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter

    async def post(self, workspace_id: str, channel_id: str, text: str) -> None:
        """Send `text` to `channel_id`, no mention pinging and no masked link a prompt could
        pose as the bot's (replies.public); raises when Discord refuses."""
        client = self.adapter.client
        if client is None:
            raise ConnectionError("the Discord client is not connected")
        channel = client.get_partial_messageable(int(channel_id), guild_id=int(workspace_id))
        await channel.send(public(text), allowed_mentions=NO_MENTIONS)
