"""Limit values as people type them (`user_daily_images=3`, `max_quality=`) and as shown.

Also the scopes an admin may name: a platform, a workspace in it, a channel in that.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import BadRequest
from bot.models import LIMIT_KEYS, QUALITIES, Scope
from bot.sizes import parse_dims

BOOL_KEYS = {"enabled", "admins_exempt", "others_can_vary", "allow_low_moderation"}
INT_KEYS = {"user_daily_images", "channel_daily_images", "max_n", "cooldown_s", "max_pixels"}
COST_KEYS = {"user_daily_cost_usd", "channel_daily_cost_usd"}
TRUE = {"true", "yes", "on", "1"}
FALSE = {"false", "no", "off", "0"}
LARGEST = 2**63 - 1  # the databases' BIGINT; also keeps inf and nan out
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
    if key not in LIMIT_KEYS:
        raise BadRequest(f"Unknown limit {key!r}. Known limits: {', '.join(LIMIT_KEYS)}.")
    value = text.strip().lower()
    if not value:
        return None
    if key in BOOL_KEYS:
        if value in TRUE | FALSE:
            return value in TRUE
        raise BadRequest(f"{key} must be true or false, not {text!r}.")
    if key in INT_KEYS or key in COST_KEYS:
        return _number(key, value.removeprefix("$"), key in INT_KEYS)
    if key == "max_quality":
        if value not in QUALITIES:
            raise BadRequest(f"max_quality must be one of {', '.join(QUALITIES)}, not {text!r}.")
        return value
    parts = tuple(part.strip() for part in value.split(",") if part.strip())
    if key == "allowed_models":
        return parts
    unknown = [size for size in parts if size != "auto" and parse_dims(size) is None]
    if unknown:
        raise BadRequest(
            f"allowed_sizes: {unknown[0]!r} is not a size; write WxH, e.g. 1024x1024,2048x1152."
        )
    return parts


def _number(key: str, value: str, whole: bool) -> int | float:
    try:
        number: int | float = int(value) if whole else float(value)
    except ValueError:
        kind = "a whole number" if whole else "a number of dollars"
        raise BadRequest(f"{key} must be {kind}, not {value!r}.") from None
    if not 0 <= number <= LARGEST or (key == "max_n" and not 1 <= number <= 10):
        raise BadRequest(f"{key} is out of range: {value}.")
    return number


def format_limit(value: object) -> str:
    """A limit value as people read it: 'unlimited' for unset."""
    if value is None:
        return "unlimited"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


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
