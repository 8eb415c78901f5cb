"""Limit scopes narrower than a channel: a role (a Discord role, a Slack user group) and a
person, each within a workspace. They are stored as limits rows whose channel is
`role:<id>` or `user:<id>`, which no platform's channel id can be, so they take no columns
of their own and are audited like any scope. Which of them applies to a request (the
person's override, else the most generous of their roles, else channel over workspace over
defaults) is the handler's to resolve.
"""

from __future__ import annotations

from bot.models import Scope

ROLE_PREFIX = "role:"
USER_PREFIX = "user:"


def role_scope(platform: str, workspace_id: str, role_id: str) -> Scope:
    """The scope of a role's limits in a workspace."""
    return Scope(platform, workspace_id, f"{ROLE_PREFIX}{role_id}")


def person_scope(platform: str, workspace_id: str, user_id: str) -> Scope:
    """The scope of one person's own limits in a workspace."""
    return Scope(platform, workspace_id, f"{USER_PREFIX}{user_id}")


def is_channel(scope: Scope) -> bool:
    """Whether a scope is a channel, a workspace or wider (not a role's or a person's)."""
    return not scope.channel_id.startswith((ROLE_PREFIX, USER_PREFIX))
