"""Who may change limits: workspace admins and owners (users.info) and our channel managers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handler import ImagineHandler
from bot.models import Scope

log = logging.getLogger(__name__)

ADMIN_CACHE_S = 60.0


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
    """Looks up roles; users.info answers are kept for a minute to spare Slack's rate limits."""

    def __init__(self, client: AsyncWebClient, handler: ImagineHandler) -> None:
        self.client = client
        self.handler = handler
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}

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
