"""/limits for one role or one person (tiers and exceptions), how the views name them, and
the channels (alert_channel, log_channel) the bot must be able to post in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.errors import BadSetting
from bot.handler import ImagineHandler
from bot.limits import channels_named
from bot.models import LIMITS, Scope
from bot.reports import format_tiers

Tier = discord.Role | discord.Member | discord.User
BOTH = "Choose a `role` or a `user`, not both: a person's own limits come before any role's."
EVERYONE = "@everyone is the whole server: leave out `role` to set the server's limits."
NOT_PERSONAL = (
    "`{key}` is not a person's limit, so a role or a person cannot have their own: set it "
    "for the server or a channel, without `role` or `user`."
)
TIERS_SHOWN = 10  # the rest are on the dashboard and in `imagine-bot limits show`


def tier_refusal(
    interaction: discord.Interaction[Any], role: Tier | None, user: Tier | None
) -> str | None:
    """Why this role and person cannot be one tier's target, or None when they can."""
    if role is not None and user is not None:
        return BOTH
    if role is not None and role.id == interaction.guild_id:
        return EVERYONE
    return None


def tier_scope(interaction: discord.Interaction[Any], tier: Tier) -> tuple[Scope, str]:
    """The scope of a role's tier or a person's override in this server, and its mention."""
    guild = str(interaction.guild_id or 0)
    if isinstance(tier, discord.Role):
        return Scope.role("discord", guild, str(tier.id)), tier.mention
    return Scope.person("discord", guild, str(tier.id)), tier.mention


def tier_name(scope: Scope) -> str:
    """A tier as Discord shows it: a role or a person mention (a CLI-set id that is no
    snowflake shows as code, so it can never ping)."""
    who = scope.role_id or scope.user_id or ""
    if not who.isdigit():
        return f"`{who}`"
    return f"<@&{who}>" if scope.role_id is not None else f"<@{who}>"


async def tiers_text(handler: ImagineHandler, scope: Scope) -> str:
    """The server's role tiers and person overrides, for /limits show ('' when none)."""
    tiers = await handler.tiers(scope)
    return format_tiers(tiers, tier_name, most=TIERS_SHOWN)


def check_key(target: Scope, key: str) -> None:
    """Refuse a key that is not a person's own for a role's tier or a person's override."""
    tier = target.role_id is not None or target.user_id is not None
    if tier and key in LIMITS and not LIMITS[key].person:
        raise BadSetting(NOT_PERSONAL.format(key=key))


async def check_channels(
    interaction: discord.Interaction[Any], assignments: Mapping[str, str]
) -> None:
    """Refuse a channel key naming a channel the bot cannot post in, with the reason."""
    for key, channel_id in channels_named(assignments).items():
        reason = post_refusal(interaction, channel_id)
        if reason is not None:
            raise BadSetting(f"`{key}` was not changed: {reason}")


def post_refusal(interaction: discord.Interaction[Any], channel_id: str) -> str | None:
    """Why the bot cannot post in this channel of the interaction's server, or None."""
    guild = interaction.client.get_guild(interaction.guild_id or 0)
    if guild is None:
        return (
            "I am not a member of this server, so I cannot post in any of its channels. "
            "Add me to the server with the invite link first."
        )
    channel = guild.get_channel_or_thread(int(channel_id)) if channel_id.isdigit() else None
    if channel is None:
        return f"there is no channel {channel_id} in this server that I can see."
    if isinstance(channel, discord.CategoryChannel | discord.ForumChannel):
        return f"<#{channel_id}> is a category or a forum: choose a channel messages go in."
    perms = channel.permissions_for(guild.me)
    send = (
        perms.send_messages_in_threads
        if isinstance(channel, discord.Thread)
        else perms.send_messages
    )
    if not (perms.view_channel and send):
        return (
            f"I cannot post in <#{channel_id}>: I need the **View Channel** and "
            "**Send Messages** permissions there."
        )
    return None
