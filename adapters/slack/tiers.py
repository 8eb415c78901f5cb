"""`/imagine limits @group` (or `S…`, `<!subteam^S…>`) and `/imagine limits U…` (or `<@U…>`):
a user group's tier or one person's override in the limits modal; how the modal names and
lists them; and the alert and log channels the bot must be in (conversations.info)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from adapters.slack.admins import SLACK_ERRORS, slack_error
from adapters.slack.context import PLATFORM, Services
from adapters.slack.replies import MAX_SECTION, cap, quoted
from bot.errors import BadSetting
from bot.limits import SLACK_GROUP_ID, SLACK_PERSON_ID, channels_named
from bot.models import Scope
from bot.reports import format_tiers

GROUP_MENTION = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>")
PERSON_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
GROUP_ID = re.compile(SLACK_GROUP_ID)
PERSON_ID = re.compile(SLACK_PERSON_ID)
HANDLE = re.compile(r"@[\w.-]+")
NO_SUCH_HANDLE = (
    "No user group of this workspace is called {handle}. To set one person's limits, use "
    "their member ID (their profile → ⋮ → Copy member ID): `/imagine limits U0123ABCD`."
)


def is_tier(word: str) -> bool:
    """Whether a word after `limits` names a user group or a person."""
    patterns = (GROUP_MENTION, PERSON_MENTION, GROUP_ID, PERSON_ID, HANDLE)
    return any(pattern.fullmatch(word) for pattern in patterns)


async def tier_scope(svc: Services, team_id: str, word: str) -> Scope:
    """The tier a word names: a user group (mention, id or @handle) or a person (mention or
    member ID); an @handle no user group has is refused with how to name a person."""
    if found := GROUP_MENTION.fullmatch(word) or GROUP_ID.fullmatch(word):
        return Scope.role(PLATFORM, team_id, found.group(found.lastindex or 0))
    if found := PERSON_MENTION.fullmatch(word) or PERSON_ID.fullmatch(word):
        return Scope.person(PLATFORM, team_id, found.group(found.lastindex or 0))
    handle = word.removeprefix("@").lower()
    for group in await svc.admins.groups(team_id):
        if group.handle.lower() == handle:
            return Scope.role(PLATFORM, team_id, group.id)
    raise BadSetting(NO_SUCH_HANDLE.format(handle=quoted(word, 80)))


def tier_name(scope: Scope) -> str:
    """A tier as Slack shows it: the user group's or the person's mention."""
    if scope.role_id is not None:
        return f"<!subteam^{quoted(scope.role_id, 40)}>"
    return f"<@{quoted(scope.user_id or '', 40)}>"


def where(scope: Scope) -> str:
    """What a limits modal is about: the workspace, a channel, a user group or a person."""
    if scope.role_id is not None or scope.user_id is not None:
        return tier_name(scope)
    return "the whole workspace" if scope.channel_id == "*" else f"<#{scope.channel_id}>"


async def tiers_text(svc: Services, scope: Scope) -> str:
    """The workspace's user group tiers and person overrides, for the modal ('' if none)."""
    tiers = await svc.handler.tiers(scope)
    return cap(format_tiers(tiers, tier_name), MAX_SECTION // 2)


async def channel_errors(svc: Services, changes: Mapping[str, str]) -> dict[str, str]:
    """Block id -> why, for each channel key naming a channel the bot cannot post in."""
    errors = {}
    for key, channel_id in channels_named(changes).items():
        reason = await post_refusal(svc, channel_id)
        if reason is not None:
            errors[f"limit_{key}"] = reason
    return errors


async def post_refusal(svc: Services, channel_id: str) -> str | None:
    """Why the bot cannot post in a channel (conversations.info), or None when it can."""
    try:
        response = await svc.client.conversations_info(channel=channel_id)
    except SLACK_ERRORS as exc:
        error = slack_error(exc)
        if error == "channel_not_found":
            return (
                f"I cannot see channel {channel_id}: it does not exist, or it is private and "
                "I am not in it. Invite me there (/invite @Imagine), then save again."
            )
        return f"I could not check channel {channel_id} (Slack said {error}). Please try again."
    channel = response.get("channel") or {}
    name = str(channel.get("name") or channel_id)
    if channel.get("is_archived"):
        return f"#{name} is archived, so I cannot post there."
    if not channel.get("is_member"):
        return f"I am not in #{name}: invite me there (/invite @Imagine), then save again."
    return None
