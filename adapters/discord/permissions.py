"""Who is asking and what they may do: actors, admin checks, refusals, the invite URL."""

from __future__ import annotations

from typing import Any, Literal

import discord

from bot.models import Actor, LedgerEntry

ScopeKind = Literal["server", "channel"]

# Only what the bot really uses. Interaction replies need no channel permission at all;
# these cover the bot-token paths: posting results that outlive the 15-minute interaction
# token and answering reply-mentions (View Channel, Send Messages, Send Messages in Threads,
# Attach Files), and re-fetching a message for fresh attachment URLs or replying to it
# (Read Message History). Results are plain text plus files, so no Embed Links.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    attach_files=True,
    read_message_history=True,
)
INVITE_SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    """The URL that adds the bot to a server with exactly the scopes and permissions it needs."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES
    )


def user_install_url(application_id: int) -> str:
    """The URL that installs the app for one person, so its commands work in DMs and in
    servers that never added the bot (Discord's user install: integration_type=1)."""
    url = discord.utils.oauth_url(application_id, scopes=("applications.commands",))
    return f"{url}&integration_type=1"


def scope_channel_id(channel: object) -> int:
    """The channel whose limits apply: a thread counts as its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return channel.parent_id
    channel_id = getattr(channel, "id", 0)
    return channel_id if isinstance(channel_id, int) else 0


def is_admin(perms: discord.Permissions) -> bool:
    """Whether Discord says this person administers the server or the channel."""
    return perms.administrator or perms.manage_guild or perms.manage_channels


DM_WORKSPACE = "dm"


def workspace_of(interaction: discord.Interaction[Any]) -> str:
    """The server, or 'dm' for a bot DM or a private channel (the user-installed app): every
    DM is limited under the workspace 'dm', each conversation as its own channel."""
    return str(interaction.guild_id) if interaction.guild_id else DM_WORKSPACE


def role_ids(person: discord.User | discord.Member) -> tuple[str, ...]:
    """The ids of a member's roles (their tiers), as the interaction or message carried them.

    `Member.roles` keeps only the roles of a cached guild, and a user-installed app's guild
    is never cached; discord.py keeps the ids it was sent in `Member._roles` and exposes them
    no other way. A DM's author is a User, with no roles.
    """
    if not isinstance(person, discord.Member):
        return ()
    return tuple(str(role_id) for role_id in person._roles)


def interaction_actor(interaction: discord.Interaction[Any]) -> Actor:
    """The person behind an interaction, with admin rights as Discord resolved them here."""
    return Actor(
        platform="discord",
        workspace_id=workspace_of(interaction),
        channel_id=str(scope_channel_id(interaction.channel)),
        user_id=str(interaction.user.id),
        is_admin=is_admin(interaction.permissions),
        roles=role_ids(interaction.user),
    )


def message_actor(message: discord.Message) -> Actor:
    """The author of a message, with their permissions in its channel."""
    author = message.author
    perms = discord.Permissions.none()
    if isinstance(author, discord.Member) and not isinstance(
        message.channel, discord.abc.PrivateChannel
    ):
        perms = message.channel.permissions_for(author)
    return Actor(
        platform="discord",
        workspace_id=str(message.guild.id) if message.guild else DM_WORKSPACE,
        channel_id=str(scope_channel_id(message.channel)),
        user_id=str(author.id),
        is_admin=is_admin(perms),
        roles=role_ids(author),
    )


def scope_refusal(perms: discord.Permissions, scope: ScopeKind) -> str | None:
    """Why this person may not see or change limits at this scope, or None when they may."""
    if scope == "server" and not (perms.administrator or perms.manage_guild):
        return (
            "Server-wide settings need the **Manage Server** permission. Ask a server admin, "
            "or use `scope: channel` if you can manage this channel."
        )
    if scope == "channel" and not (perms.administrator or perms.manage_channels):
        return (
            "This channel's settings need the **Manage Channels** permission. "
            "Ask a server admin or a moderator."
        )
    return None


def delete_refusal(perms: discord.Permissions, user_id: int, entry: LedgerEntry) -> str | None:
    """Why this person may not delete a result, or None when they may."""
    if str(user_id) == entry.user_id or perms.manage_messages or perms.administrator:
        return None
    return (
        "Only the person who made this image, or someone with **Manage Messages**, can delete it."
    )
