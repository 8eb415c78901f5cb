"""/usage for everyone; /usage server|channel and /limits show|set|reset for admins.

Rights are checked when the command runs (Manage Server for the server scope, Manage
Channels for the channel scope), whatever Discord's default command permissions say.
Every answer is private (adapters/discord/scoped.py).
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.permissions import ScopeKind, interaction_actor
from adapters.discord.replies import scope_usage_text
from adapters.discord.scoped import answer, answer_at_scope, answer_for, with_dashboard
from adapters.discord.services import services_of
from adapters.discord.tiers import Tier, check_channels, check_key, tiers_text
from bot.handler import ImagineHandler
from bot.limits import format_limit
from bot.models import LIMIT_KEYS, PERSON_KEYS, LimitChange, Scope
from bot.reports import format_limits, format_user_usage

Choice = app_commands.Choice
SCOPES = [
    Choice(name="server (needs Manage Server)", value="server"),
    Choice(name="channel (needs Manage Channels)", value="channel"),
]
MAX_CHOICES = 25  # Discord offers at most 25 choices; the keys are more, so they autocomplete
RECENT_CHANGES = 5
TIER_HELP = {
    "role": "A role's own limits (a tier: members get the most generous of their roles)",
    "user": "One person's own limits (over any role), e.g. enabled false",
}
VALUE_HELP = "A number, true/false, a quality (low/medium/high) or sizes separated by commas"


async def key_choices(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """The limit keys holding what has been typed so far, at most Discord's 25; with a role
    or a user chosen, only a person's own keys."""
    typed = current.strip().lower()
    tier = interaction.namespace.role is not None or interaction.namespace.user is not None
    found = [key for key in (PERSON_KEYS if tier else LIMIT_KEYS) if typed in key]
    return [Choice(name=key, value=key) for key in found[:MAX_CHOICES]]


def change_line(change: LimitChange) -> str:
    """'`max_n`: inherited → 2, by @admin, 2030-01-02 12:00 UTC' (unset means inherited)."""
    old, new = (v if v is not None else "inherited" for v in (change.old_value, change.new_value))
    when = change.changed_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"`{change.key}`: {old} → {new}, by <@{change.changed_by}>, {when}"


async def show_usage(interaction: discord.Interaction[Any], scope: ScopeKind | None) -> None:
    """The person's own usage, or (for admins) a server or channel report."""
    if scope is not None:
        await answer_at_scope(interaction, scope, with_dashboard(interaction, scope, usage_report))
        return
    handler = services_of(interaction).handler

    async def mine() -> str:
        usage = await handler.usage(interaction_actor(interaction))
        return "**Your image usage**\n" + format_user_usage(usage, handler.clock())

    await answer(interaction, mine)


async def usage_report(handler: ImagineHandler, target: Scope, place: str) -> str:
    """Totals and top users at a scope."""
    return scope_usage_text(await handler.scope_usage(target), place)


async def limits_report(handler: ImagineHandler, target: Scope, place: str) -> str:
    """Every limit in effect, marking those set at this scope, and the latest changes."""
    effective = await handler.limits_for(target)
    here = await handler.limits_here(target)
    changes = (await handler.limit_changes(target))[-RECENT_CHANGES:]
    text = (
        f"**Limits for {place}** (values not set here are inherited)\n"
        f"```\n{format_limits(effective, here)}\n```"
    )
    if target.role_id is None and target.user_id is None:
        tiers = await tiers_text(handler, target)
        text += f"\n{tiers}" if tiers else ""
    if changes:
        text += "\nLatest changes:\n" + "\n".join(change_line(c) for c in reversed(changes))
    return text


async def set_limit(
    interaction: discord.Interaction[Any],
    key: str,
    value: str,
    scope: ScopeKind,
    tier: tuple[Tier | None, Tier | None] = (None, None),
) -> None:
    """Set one limit at a scope, or for a role or a person (`tier`: role, user); a channel
    the bot cannot post in is refused; the store audits who changed what."""
    user_id = str(interaction.user.id)

    async def work(handler: ImagineHandler, target: Scope, place: str) -> str:
        check_key(target, key)
        await check_channels(interaction, {key: value})
        limits = await handler.set_limits(target, {key: value}, user_id)
        shown = format_limit(key, getattr(limits, key))
        return f"`{key}` is now **{shown}** for {place}. The change is logged."

    await answer_for(interaction, scope, work, *tier)


async def reset_limits(
    interaction: discord.Interaction[Any],
    key: str | None,
    scope: ScopeKind,
    tier: tuple[Tier | None, Tier | None] = (None, None),
) -> None:
    """Clear one limit, or every limit set at a scope, so the wider setting applies."""
    user_id = str(interaction.user.id)

    async def work(handler: ImagineHandler, target: Scope, place: str) -> str:
        here = await handler.limits_here(target)
        keys = [k for k in ([key] if key else LIMIT_KEYS) if getattr(here, k) is not None]
        if not keys:
            return f"Nothing to reset: {f'`{key}` is' if key else 'no limits are'} set for {place}."
        await handler.set_limits(target, dict.fromkeys(keys, ""), user_id)
        names = ", ".join(f"`{k}`" for k in keys)
        return f"Cleared {names} for {place}; the wider setting applies now. The change is logged."

    await answer_for(interaction, scope, work, *tier)


def build_admin_commands() -> list[app_commands.Command[Any, Any, Any] | app_commands.Group]:
    """Fresh /usage and /limits objects for one client's command tree."""
    limits = app_commands.Group(
        name="limits",
        description="Image limits for this server or channel (admins)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_channels=True),
    )
    for add in (add_show, add_set, add_reset):
        add(limits)
    return [usage_command(), limits]


def usage_command() -> app_commands.Command[Any, Any, Any]:
    """/usage [scope]."""

    @app_commands.command(name="usage", description="Your image usage today and this month")
    @app_commands.describe(scope="Admins: totals for the whole server or this channel")
    @app_commands.choices(scope=SCOPES)
    @app_commands.guild_only()
    async def usage(interaction: discord.Interaction[Any], scope: ScopeKind | None = None) -> None:
        await show_usage(interaction, scope)

    return usage


def add_show(limits: app_commands.Group) -> None:
    """/limits show [scope] [role] [user]."""

    @limits.command(name="show", description="The limits in effect, and where each is set")
    @app_commands.describe(scope="The whole server (default) or this channel", **TIER_HELP)
    @app_commands.choices(scope=SCOPES)
    async def show(
        interaction: discord.Interaction[Any],
        scope: ScopeKind = "server",
        role: discord.Role | None = None,
        user: discord.User | None = None,
    ) -> None:
        work = with_dashboard(interaction, scope, limits_report)
        await answer_for(interaction, scope, work, role, user)


def add_set(limits: app_commands.Group) -> None:
    """/limits set key value [scope] [role] [user]."""

    @limits.command(
        name="set", description="Set one limit for the server, a channel, a role, a person"
    )
    @app_commands.describe(
        key="Which limit", value=VALUE_HELP, scope="Server (default) or channel", **TIER_HELP
    )
    @app_commands.choices(scope=SCOPES)
    @app_commands.autocomplete(key=key_choices)
    async def set_(
        interaction: discord.Interaction[Any],
        key: str,
        value: str,
        scope: ScopeKind = "server",
        role: discord.Role | None = None,
        user: discord.User | None = None,
    ) -> None:
        await set_limit(interaction, key, value, scope, (role, user))


def add_reset(limits: app_commands.Group) -> None:
    """/limits reset [key] [scope] [role] [user]."""

    @limits.command(name="reset", description="Clear one limit (or all) so the wider one applies")
    @app_commands.describe(
        key="Which limit; leave empty for all", scope="Server or channel", **TIER_HELP
    )
    @app_commands.choices(scope=SCOPES)
    @app_commands.autocomplete(key=key_choices)
    async def reset(
        interaction: discord.Interaction[Any],
        key: str | None = None,
        scope: ScopeKind = "server",
        role: discord.Role | None = None,
        user: discord.User | None = None,
    ) -> None:
        await reset_limits(interaction, key, scope, (role, user))
