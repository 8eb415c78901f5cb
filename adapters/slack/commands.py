"""`/imagine PROMPT [--flags]`, `/imagine help`, `/imagine usage`, `/imagine limits`,
`/imagine dashboard`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack import limits_modal
from adapters.slack.asks import submit
from adapters.slack.context import PLATFORM, Place, Services, notify
from adapters.slack.limits_modal import WORKSPACE_WORDS
from adapters.slack.replies import HELP, from_slack
from adapters.slack.tiers import is_tier
from bot.errors import UserFacingError
from bot.reports import format_scope_usage, format_user_usage
from bot.requests import Ask
from bot.web.app import OFF

ANY_COMMAND = re.compile(r"^/")
DASHBOARD_LINK = (
    "<{link}|Open the dashboard> of this workspace: spending, budgets, the ledger and the "
    "limits. The link works for {minutes} min; anyone holding it can see and change this "
    "workspace's limits, so keep it to yourself."
)
NOT_ADMIN = (
    "Only workspace admins and owners can open the dashboard: it shows the whole workspace's "
    "spending and changes its limits. Ask one of them, or see your own with `/imagine usage`."
)


def subcommand(text: str) -> tuple[str, str]:
    """('help' | 'usage' | 'dashboard' | 'limits' | 'generate', the rest); a prompt may
    start with any word. `limits` takes `workspace`, or a user group or a person."""
    parts = text.split()
    words = [word.lower() for word in parts]
    if words in ([], ["help"]):
        return "help", ""
    if words in (["usage"], ["dashboard"]):
        return words[0], ""
    if words[0] == "limits" and (
        len(words) == 1 or (len(words) == 2 and (words[1] in WORKSPACE_WORDS or is_tier(parts[1])))
    ):
        return "limits", " ".join(parts[1:])
    return "generate", text.strip()


def command_place(command: Mapping[str, Any]) -> Place:
    """Where a slash command was typed (never a thread: Slack allows none there)."""
    return Place(
        team_id=str(command.get("team_id", "")),
        channel_id=str(command.get("channel_id", "")),
        user_id=str(command.get("user_id", "")),
        response_url=command.get("response_url"),
    )


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for the slash command (whatever name the manifest gives it)."""

    async def acknowledge(ack: AsyncAck, command: dict[str, Any]) -> None:
        kind, _ = subcommand(str(command.get("text", "")))
        if kind == "help":
            await ack(
                response_type="ephemeral",
                text=HELP.replace("/imagine", str(command.get("command", "/imagine"))),
            )
            return
        await ack()
        svc.start(work(command))

    async def work(command: dict[str, Any]) -> None:
        kind, rest = subcommand(from_slack(str(command.get("text", ""))))
        place = command_place(command)
        if kind == "generate":
            key = f"slack:command:{command.get('trigger_id')}"
            await submit(svc, place, Ask("generate", await svc.actor(place), key, rest))
        elif kind == "usage":
            await show_usage(svc, place)
        elif kind == "dashboard":
            await notify(svc, place, await dashboard_answer(svc, place))
        elif kind == "limits":
            await limits_modal.open_limits(svc, place, str(command.get("trigger_id")), rest)

    app.command(ANY_COMMAND)(acknowledge)


async def show_usage(svc: Services, place: Place) -> None:
    """The person's own usage; admins also see the channel's totals."""
    try:
        role = await svc.admins.role(place.scope, place.user_id)
        actor = await svc.actor(place, admin=role.is_admin)
        mine = await svc.handler.usage(actor)
        text = "*Your usage*\n" + format_user_usage(mine, svc.handler.clock())
        if actor.is_admin:
            channel = await svc.handler.scope_usage(place.scope)
            text += f"\n\n*This channel*\n{format_scope_usage(channel)}"
    except UserFacingError as exc:
        text = exc.message
    await notify(svc, place, text)


async def dashboard_answer(svc: Services, place: Place) -> str:
    """A workspace admin's link to the workspace's dashboard, or why there is none."""
    if svc.web is None:
        return OFF
    if not await svc.admins.workspace_admin(place.team_id, place.user_id):
        return NOT_ADMIN
    link = svc.web.admin_link(PLATFORM, place.team_id, place.user_id)
    return DASHBOARD_LINK.format(link=link, minutes=svc.settings.link_ttl_minutes)
