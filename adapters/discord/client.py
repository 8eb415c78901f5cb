"""The discord.py client: intents, commands, persistent buttons, command sync, connection state."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord import mentions, modals
from adapters.discord.admin import build_admin_commands
from adapters.discord.buttons import DYNAMIC_ITEMS
from adapters.discord.commands import build_commands
from adapters.discord.controls import CONTROL_ITEMS
from adapters.discord.permissions import invite_url, user_install_url
from adapters.discord.respond import report_failure
from adapters.discord.services import Services, ServicesClient

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Guilds (channels, roles, upload limits) and guild messages (reply-mentions); nothing
    privileged: interactions carry the member, and mentions carry their text."""
    return discord.Intents(guilds=True, guild_messages=True)


class ImagineClient(ServicesClient):
    """One connection to Discord (or several shards, in the subclass)."""

    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(
            services,
            intents=intents(),
            max_messages=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.tree: app_commands.CommandTree[ImagineClient] = app_commands.CommandTree(self)
        self.tree.on_error = self.on_command_error  # type: ignore[method-assign]
        self.connected = False

    async def setup_hook(self) -> None:
        """Register commands and buttons, sync the commands, log the invite URL."""
        self.add_dynamic_items(*DYNAMIC_ITEMS, *CONTROL_ITEMS)
        models = self.services.settings.offered_models()
        for command in [*build_commands(models), *build_admin_commands()]:
            self.tree.add_command(command)
        await self.sync_commands()
        if self.application_id is not None:
            app_id = self.application_id
            log.info("Invite the bot to a server: %s&integration_type=0", invite_url(app_id))
            log.info("Or install it for yourself (DMs, any server): %s", user_install_url(app_id))

    async def sync_commands(self) -> None:
        """Publish the commands: to DISCORD_GUILD_IDS at once, else globally (shard 0 only)."""
        settings = self.services.settings
        if settings.discord_shard_ids and "0" not in settings.discord_shard_ids:
            log.info("commands are synced by the process that runs shard 0")
            return
        try:
            if not settings.discord_guild_ids:
                await self.tree.sync()
                log.info("slash commands synced globally (may take a while to appear)")
            for guild_id in settings.discord_guild_ids:
                guild = discord.Object(int(guild_id))
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
                log.info("slash commands synced to guild %s", guild_id)
        except discord.HTTPException as exc:
            log.error(
                "could not sync slash commands (%s). If it says Missing Access, invite the bot "
                "again with the URL logged below: it needs the applications.commands scope.",
                exc,
            )

    async def on_connect(self) -> None:
        """The gateway session is up."""
        self.connected = True

    async def on_resumed(self) -> None:
        """The gateway session resumed after a drop."""
        self.connected = True

    async def on_disconnect(self) -> None:
        """The gateway connection dropped; discord.py reconnects."""
        self.connected = False

    async def on_message(self, message: discord.Message) -> None:
        """Reply-mention edits."""
        if self.user is not None:
            await mentions.on_message(self.services, self.user, message)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Sent edit forms (the buttons and commands have their own dispatch)."""
        if interaction.type is discord.InteractionType.modal_submit:
            await modals.submitted(interaction)

    async def on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """A command failed outside the flows' own handling: log it, answer generically."""
        log.error("Discord command failed", exc_info=error)
        await report_failure(interaction)


class ShardedImagineClient(ImagineClient, discord.AutoShardedClient):
    """The same client over several shards (DISCORD_SHARD_COUNT)."""
