"""Limit values as people type them (`user_daily_images=3`, `max_quality=`) and as shown.

Also the scopes an admin may name: a platform, a workspace in it, a channel in that.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import BadRequest
from bot.limit_types import Invalid
from bot.models import LIMIT_KEYS, LIMITS, Scope

# Each platform's name as shown, and what it calls a workspace.
PLATFORMS = {
    "discord": ("Discord", "server"),
    "slack": ("Slack", "workspace"),
    "cli": ("CLI", "workspace"),
}
CLI_PLACE = "local"
ALL = "*"


def parse_limit_values(assignments: Mapping[str, str]) -> dict[str, object]:
    """Typed values for KEY=VALUE text; an empty value clears the key (None)."""
    return {key: parse_limit_value(key, text) for key, text in assignments.items()}


def parse_limit_value(key: str, text: str) -> object:
    """One limit value from text, or a BadRequest that says what would be valid."""
    spec = LIMITS.get(key)
    if spec is None:
        raise BadRequest(f"Unknown limit {key!r}. Known limits: {', '.join(LIMIT_KEYS)}.")
    try:
        return spec.parse(text)
    except Invalid as exc:
        raise BadRequest(str(exc)) from None


def format_limit(key: str, value: object) -> str:
    """A limit value as people read it: 'unlimited' for unset."""
    if value is None:
        return "unlimited"
    return str(LIMITS[key].type.shown(value))


def check_scope(scope: Scope, *, limits: bool) -> None:
    """Refuse a scope no request can ever fall in (limits), or that matches nothing (reports)."""
    if limits and scope.platform == ALL:
        raise BadRequest("Limits are set for one platform at a time: use discord, slack or cli.")
    if scope.platform not in (*PLATFORMS, ALL):
        choices = "discord, slack or cli" if limits else "discord, slack, cli or * (every platform)"
        raise BadRequest(f"Unknown platform {scope.platform!r}. Use {choices}.")
    if scope.platform == "cli":
        for flag, value in (("--workspace", scope.workspace_id), ("--channel", scope.channel_id)):
            if value not in (CLI_PLACE, ALL):
                raise BadRequest(
                    f"The CLI has one workspace and one channel, both {CLI_PLACE!r}: "
                    f"{flag} {value} matches no request. For Discord or Slack, add --platform."
                )
    if limits and scope.workspace_id == ALL and scope.channel_id != ALL:
        name, workspace = PLATFORMS[scope.platform]
        raise BadRequest(
            f"Channel {scope.channel_id} needs its {workspace}: a channel's limits apply within "
            f"one {name} {workspace}, so add --workspace with its id."
        )


def describe_scope(scope: Scope) -> str:
    """A scope as people read it: 'Discord server 123 (all channels)'."""
    name, workspace = PLATFORMS[scope.platform]
    if scope.workspace_id == ALL:
        return f"every {name} {workspace}"
    if scope.channel_id == ALL:
        return f"{name} {workspace} {scope.workspace_id} (all channels)"
    return f"{name} channel {scope.channel_id} in {workspace} {scope.workspace_id}"


def describe_change(assignments: Mapping[str, str], scope: Scope) -> str:
    """What `limits set` changed, and where: 'Set max_n=2 and cleared cooldown_s for ...'."""
    set_ = [f"{key}={text.strip()}" for key, text in assignments.items() if text.strip()]
    cleared = [key for key, text in assignments.items() if not text.strip()]
    parts = [f"set {', '.join(set_)}"] if set_ else []
    parts += [f"cleared {', '.join(cleared)}"] if cleared else []
    done = " and ".join(parts)
    return f"{done[:1].upper()}{done[1:]} for {describe_scope(scope)}."
