"""How an admin command answers: privately, after checking the right at its scope (the server,
this channel, a role's tier or a person's override), with the server's dashboard link."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord.permissions import ScopeKind, scope_channel_id, scope_refusal
from adapters.discord.replies import clip
from adapters.discord.respond import refuse
from adapters.discord.services import services_of
from adapters.discord.tiers import Tier, tier_refusal, tier_scope
from bot.errors import UserFacingError
from bot.handler import ImagineHandler
from bot.models import Scope
from bot.requests import words
from bot.web.app import OFF

log = logging.getLogger(__name__)

DASHBOARD = (
    "Charts, budgets, the ledger and the limits editor: {link}\n"
    "This link is yours alone and works for {minutes} minutes."
)
ScopeWork = Callable[[ImagineHandler, Scope, str], Awaitable[str]]  # (handler, scope, where)


def scope_for(interaction: discord.Interaction[Any], kind: ScopeKind) -> Scope:
    """The server ('*' channel) or this channel (a thread counts as its parent)."""
    guild = str(interaction.guild_id or 0)
    if kind == "server":
        return Scope("discord", guild, "*")
    return Scope("discord", guild, str(scope_channel_id(interaction.channel)))


def where(interaction: discord.Interaction[Any], kind: ScopeKind) -> str:
    """'this server' or the channel as a mention."""
    if kind == "server":
        return "this server"
    return f"<#{scope_channel_id(interaction.channel)}>"


async def answer(interaction: discord.Interaction[Any], work: Callable[[], Awaitable[str]]) -> None:
    """Defer privately, then show what `work` returns, or its error."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        text = await work()
    except UserFacingError as exc:
        text = exc.message
    except Exception:
        log.exception("Discord admin command failed")
        text = words.internal().text
    await interaction.edit_original_response(content=clip(text))


async def answer_at_scope(
    interaction: discord.Interaction[Any], kind: ScopeKind, work: ScopeWork
) -> None:
    """Refuse someone without the right at this scope; else answer privately with `work`."""
    await answer_for(interaction, kind, work, None, None)


async def answer_for(
    interaction: discord.Interaction[Any],
    kind: ScopeKind,
    work: ScopeWork,
    role: Tier | None,
    user: Tier | None,
) -> None:
    """`answer_at_scope` for the server or this channel, or for the role's tier or the
    person's override given (server-wide, so they need Manage Server)."""
    tier = role if role is not None else user
    refusal = tier_refusal(interaction, role, user) or scope_refusal(
        interaction.permissions, "server" if tier else kind
    )
    if refusal is not None:
        await refuse(interaction, refusal)
        return
    handler = services_of(interaction).handler
    if tier is not None:
        target, place = tier_scope(interaction, tier)
    else:
        target, place = scope_for(interaction, kind), where(interaction, kind)
    await answer(interaction, lambda: work(handler, target, place))


def with_dashboard(
    interaction: discord.Interaction[Any], kind: ScopeKind, work: ScopeWork
) -> ScopeWork:
    """`work`, followed for the server scope by a private link to the server's dashboard
    (bound to this admin, valid IMAGINE_LINK_TTL_MINUTES), or the web face's OFF words."""
    if kind != "server":
        return work
    services = services_of(interaction)

    async def linked(handler: ImagineHandler, target: Scope, place: str) -> str:
        text = await work(handler, target, place)
        web_ = services.web
        if web_ is None:
            return f"{text}\n{OFF}"
        link = web_.admin_link("discord", target.workspace_id, str(interaction.user.id))
        minutes = services.settings.link_ttl_minutes
        return f"{text}\n{DASHBOARD.format(link=link, minutes=minutes)}"

    return linked
