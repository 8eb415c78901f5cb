"""Who may change limits: workspace admins and owners (users.info) and our channel managers;
and which user groups a person is in (usergroups.list), for the role tiers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handler import ImagineHandler
from bot.models import Scope

log = logging.getLogger(__name__)

ADMIN_CACHE_S = 60.0
GROUPS_CACHE_S = 60.0  # a person added to a user group gets its tier within a minute
SLACK_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)


def slack_error(exc: BaseException) -> str:
    """Slack's error code ('not_in_channel'), or the kind of failure; never a secret."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__


@dataclass(frozen=True)
class Group:
    """A Slack user group: its id (the tier's), its @handle and its members."""

    id: str
    handle: str
    members: frozenset[str]


@dataclass(frozen=True)
class Role:
    """What a person may do with limits in one channel."""

    workspace_admin: bool = False
    channel_manager: bool = False

    @property
    def is_admin(self) -> bool:
        """Admin of the channel in any way: the Actor's is_admin."""
        return self.workspace_admin or self.channel_manager


class Admins:
    """Looks up roles and user groups; users.info and usergroups.list answers are kept for
    a minute to spare Slack's rate limits."""

    def __init__(self, client: AsyncWebClient, handler: ImagineHandler) -> None:
        self.client = client
        self.handler = handler
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._groups: dict[str, tuple[float, tuple[Group, ...]]] = {}

    async def role(self, scope: Scope, user_id: str) -> Role:
        """The person's role in a channel."""
        admin = await self.workspace_admin(scope.workspace_id, user_id)
        manager = await self.handler.is_channel_manager(scope, user_id)
        return Role(workspace_admin=admin, channel_manager=manager)

    async def workspace_admin(self, team_id: str, user_id: str) -> bool:
        """Whether Slack says the user is a workspace admin or owner."""
        key = (team_id, user_id)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning(
                "users.info failed (%s); treating the user as no admin", exc.response.get("error")
            )
            return False
        user = response.get("user") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._cache[key] = (time.monotonic() + ADMIN_CACHE_S, admin)
        return admin

    async def groups_of(self, team_id: str, user_id: str) -> tuple[str, ...]:
        """The ids of the user groups a person is in: their role tiers."""
        return tuple(g.id for g in await self.groups(team_id) if user_id in g.members)

    async def groups(self, team_id: str) -> tuple[Group, ...]:
        """A workspace's user groups and their members (usergroups.list, kept a minute); on a
        failure (no usergroups:read scope, a plan without user groups) none, with a warning."""
        cached = self._groups.get(team_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self.client.usergroups_list(team_id=team_id, include_users=True)
        except SLACK_ERRORS as exc:
            log.warning(
                "usergroups.list failed (%s); treating everyone as in no user group",
                slack_error(exc),
            )
            found: tuple[Group, ...] = ()
        else:
            found = tuple(
                Group(str(g.get("id")), str(g.get("handle") or ""), frozenset(g.get("users") or ()))
                for g in response.get("usergroups") or []
            )
        self._groups[team_id] = (time.monotonic() + GROUPS_CACHE_S, found)
        return found
