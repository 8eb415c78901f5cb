"""Discord's objects and answers as the fake Discord builds them, in the shapes of Discord's
OpenAPI spec (tests/specs/discord.json): users, members, the application, synced commands,
message components, error bodies and rate limits.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
APP_ID = 900000000000000001
BOT_ID = 900000000000000001
GUILD_ID = 800000000000000001
CHANNEL_ID = 800000000000000002
QUIET_CHANNEL_ID = 800000000000000003  # @everyone (and so the bot) may not send there
CATEGORY_ID = 800000000000000004  # a category: channels group under it, messages cannot
OWNER_ID = 700000000000000001
SEND = 1 << 11  # Send Messages
EVERYONE_PERMISSIONS = (1 << 10) | SEND | (1 << 15) | (1 << 16) | (1 << 31)
TIMESTAMP = "2026-01-01T00:00:00.000000+00:00"
MAX_CONTENT = 2000  # Discord refuses longer message content with 400 Invalid Form Body
ERRORS = {
    400: {"message": "Invalid Form Body", "code": 50035},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "Unknown Message", "code": 10008},
}
UNKNOWN_INTERACTION = {"message": "Unknown interaction", "code": 10062}
ACK_DEADLINE = 3.0  # seconds Discord waits for an interaction's first answer


@dataclass
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str
    data: bytes


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    body: Any = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0  # what the fake answered: status, JSON body (None for 204) and headers
    answer: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class RateLimit:
    """A scripted 429 for calls whose method and path match (a fault of FakeDiscord.limits)."""

    method: str
    pattern: str
    retry_after: float
    is_global: bool

    def matches(self, call: Call) -> bool:
        """Whether this limit answers `call`."""
        return call.method == self.method and re.fullmatch(self.pattern, call.path) is not None

    def headers(self) -> dict[str, str]:
        """The headers Discord sends with a 429 (discord.py's webhook client needs `Via`)."""
        headers = {
            "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": "fakebucket", "X-RateLimit-Scope": "user",
            "Retry-After": str(math.ceil(self.retry_after)), "Via": "1.1 google",
        }  # fmt: skip
        return headers | ({"X-RateLimit-Global": "true"} if self.is_global else {})

    def body(self) -> Json:
        """The JSON body of a 429."""
        return {"message": "You are being rate limited.", "retry_after": self.retry_after,
                "global": self.is_global, "code": 0}  # fmt: skip


def user(user_id: int, name: str, *, bot: bool = False) -> Json:
    """A Discord user object."""
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot, "public_flags": 0, "flags": 0,
            "primary_guild": None}  # fmt: skip


def member(user_id: int, name: str, permissions: int = EVERYONE_PERMISSIONS,
           roles: Sequence[int] = ()) -> Json:  # fmt: skip
    """A guild member as interactions carry it, with resolved channel permissions and the
    ids of their roles (never @everyone's, as Discord sends them)."""
    return {"user": user(user_id, name), "roles": [str(r) for r in roles],
            "joined_at": TIMESTAMP, "flags": 0, "deaf": False, "mute": False,
            "pending": False, "permissions": str(permissions)}  # fmt: skip


def role(role_id: int, name: str, position: int = 1) -> Json:
    """A guild role object (GuildRoleResponse), as a role option's `resolved.roles` holds it."""
    return {"id": str(role_id), "name": name, "permissions": "0", "position": position,
            "color": 0, "colors": {"primary_color": 0, "secondary_color": None,
                                   "tertiary_color": None},
            "hoist": False, "managed": False, "mentionable": False, "icon": None,
            "unicode_emoji": None, "flags": 0}  # fmt: skip


def resolved(*picked: Json) -> Json:
    """The `resolved` data of a command whose role or user options picked these roles and
    members: roles by id; a member as its user plus the member without `user`."""
    out: Json = {}
    for item in picked:
        if "user" in item:
            person = item["user"]
            out.setdefault("users", {})[person["id"]] = person
            out.setdefault("members", {})[person["id"]] = {
                k: v for k, v in item.items() if k != "user"
            }
        else:
            out.setdefault("roles", {})[item["id"]] = item
    return out


def application() -> Json:
    """The bot's own application, as GET /oauth2/applications/@me answers."""
    return {"id": str(APP_ID), "name": "imagine", "icon": None, "description": "", "type": None,
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
            "owner": user(OWNER_ID, "owner"), "flags": 0, "flags_new": "0", "redirect_uris": [],
            "interactions_endpoint_url": None, "role_connections_verification_url": None,
            "approximate_guild_count": 1, "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0, "explicit_content_filter": 0,
            "team": None, "eligible_oauth2_scopes": ["bot", "applications.commands"]}  # fmt: skip


def synced_command(sent: Json, command_id: int) -> Json:
    """A command as Discord answers a bulk overwrite: with ids, and defaults filled in."""
    permissions = sent.get("default_member_permissions")
    return {"description": "", "type": 1, **sent, "id": str(command_id),
            "application_id": str(APP_ID), "version": str(command_id),
            "integration_types": sent.get("integration_types") or [0],
            "default_member_permissions": None if permissions is None else str(permissions),
            }  # fmt: skip


def numbered(components: list[Json], ids: Iterator[int]) -> list[Json]:
    """Components as a message carries them: numbered in order as Discord does, nulls left out."""
    out = []
    for component in components:
        shown = {k: ({n: x for n, x in v.items() if x is not None} if isinstance(v, dict) else v)
                 for k, v in component.items() if v is not None}  # fmt: skip
        shown["id"] = shown.get("id") or next(ids)
        if "components" in shown:
            shown["components"] = numbered(shown["components"], ids)
        out.append(shown)
    return out


def too_long(body: Any) -> bool:
    """Whether a message body (or an interaction callback's data) has content over the limit."""
    if not isinstance(body, dict):
        return False
    data = body.get("data") if "type" in body else body
    return isinstance(data, dict) and len(data.get("content") or "") > MAX_CONTENT
