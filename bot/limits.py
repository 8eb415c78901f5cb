"""Limit values as people type them (`user_daily_images=3`, `max_quality=`) and as shown.

Also the scopes an admin may name: the whole installation ('*'), a platform, a workspace in
it, a channel, a role or a person in that; and how their limits combine for one person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.errors import BadSetting
from bot.limit_kinds import CHANNEL
from bot.limit_types import Invalid
from bot.models import EVERYWHERE, LIMIT_KEYS, LIMITS, Limits, Scope

# Each platform's name as shown, and what it calls a workspace.
PLATFORMS = {
    "discord": ("Discord", "server"),
    "slack": ("Slack", "workspace"),
    "cli": ("CLI", "workspace"),
}
CLI_PLACE = "local"
ALL = "*"
# How each platform spells the id of a role tier or a person: (regex, what it is, example).
DIGITS = r"[0-9]{1,20}"
SLACK_GROUP_ID = r"S[A-Z0-9]{2,}"
SLACK_PERSON_ID = r"[UW][A-Z0-9]{2,}"
TIER_IDS = {
    ("discord", "role"): (DIGITS, "A Discord role id is its digits", "1122334455"),
    ("discord", "person"): (DIGITS, "A Discord user id is its digits", "9988776655"),
    ("slack", "role"): (SLACK_GROUP_ID, "A Slack user group id starts with S", "S0614TZR7"),
    ("slack", "person"): (SLACK_PERSON_ID, "A Slack user id starts with U or W", "U024BE7LH"),
    ("cli", "person"): (r"[^\s:]{1,64}", "A CLI user is a name without spaces or colons", "alice"),
}


def parse_limit_values(assignments: Mapping[str, str]) -> dict[str, object]:
    """Typed values for KEY=VALUE text; an empty value clears the key (None)."""
    return {key: parse_limit_value(key, text) for key, text in assignments.items()}


def parse_limit_value(key: str, text: str) -> object:
    """One limit value from text, or a BadSetting that says what would be valid."""
    spec = LIMITS.get(key)
    if spec is None:
        raise BadSetting(f"Unknown limit {key!r}. Known limits: {', '.join(LIMIT_KEYS)}.")
    try:
        return spec.parse(text)
    except Invalid as exc:
        raise BadSetting(str(exc)) from None


def channels_named(assignments: Mapping[str, str]) -> dict[str, str]:
    """The channel ids that channel keys (alert_channel, log_channel) are being set to, by
    key: those a platform checks the bot can post in before they are stored."""
    return {
        key: str(parse_limit_value(key, text))
        for key, text in assignments.items()
        if key in LIMITS and LIMITS[key].type is CHANNEL and text.strip()
    }


def format_limit(key: str, value: object) -> str:
    """A limit value as people read it: 'unlimited' for unset."""
    if value is None:
        return "unlimited"
    return str(LIMITS[key].type.shown(value))


def check_scope(scope: Scope, *, limits: bool, keys: Sequence[str] = ()) -> None:
    """Refuse a scope no request can ever fall in (limits), or that matches nothing (reports);
    with `keys`, also a key that does not belong at this scope."""
    if scope.platform == ALL and limits:
        _check_installation(scope, keys)
        return
    if scope.platform not in (*PLATFORMS, ALL):
        choices = "discord, slack or cli" if limits else "discord, slack, cli or * (every platform)"
        raise BadSetting(f"Unknown platform {scope.platform!r}. Use {choices}.")
    if scope.role_id is not None or scope.user_id is not None:
        _check_tier(scope, keys)
    elif scope.platform == "cli":
        for flag, value in (("--workspace", scope.workspace_id), ("--channel", scope.channel_id)):
            if value not in (CLI_PLACE, ALL):
                raise BadSetting(
                    f"The CLI has one workspace and one channel, both {CLI_PLACE!r}: "
                    f"{flag} {value} matches no request. For Discord or Slack, add --platform."
                )
    if limits and scope.workspace_id == ALL and scope.channel_id != ALL:
        name, workspace = PLATFORMS[scope.platform]
        raise BadSetting(
            f"Channel {scope.channel_id} needs its {workspace}: a channel's limits apply within "
            f"one {name} {workspace}, so add --workspace with its id."
        )
    wide = [key for key in keys if LIMITS[key].installation]
    if limits and wide:
        raise BadSetting(
            f"{wide[0]} is the whole installation's budget, across every platform: "
            "set it with --platform '*' and no --workspace or --channel."
        )


def _check_installation(scope: Scope, keys: Sequence[str]) -> None:
    if scope != EVERYWHERE:
        raise BadSetting(
            "--platform '*' sets the whole installation's budgets: leave out --workspace, "
            "--channel, --role and --user."
        )
    narrow = [key for key in keys if not LIMITS[key].installation]
    if narrow:
        wide = ", ".join(key for key, spec in LIMITS.items() if spec.installation)
        only = f" Only the installation's budgets go with --platform '*': {wide}." if wide else ""
        raise BadSetting(
            f"{narrow[0]} is set for one platform at a time: use discord, slack or cli.{only}"
        )


def _check_tier(scope: Scope, keys: Sequence[str]) -> None:
    name, workspace = PLATFORMS[scope.platform]
    flag = "--role" if scope.role_id is not None else "--user"
    if scope.platform == "cli" and scope.role_id is not None:
        raise BadSetting("The CLI has no roles: --role is for Discord roles and Slack user groups.")
    if scope.platform == "cli" and scope.workspace_id != CLI_PLACE:
        raise BadSetting(
            f"The CLI has one workspace, {CLI_PLACE!r}: --workspace {scope.workspace_id} "
            "matches no request. For Discord or Slack, add --platform."
        )
    if scope.workspace_id == ALL:
        raise BadSetting(
            f"{flag} needs its {workspace}: a {name} {'role' if flag == '--role' else 'person'}"
            f"'s limits apply within one {workspace}, so add --workspace with its id."
        )
    if not (scope.role_id or scope.user_id):
        raise BadSetting(f"{flag} needs an id.")
    wider = [key for key in keys if not LIMITS[key].person]
    if wider:
        raise BadSetting(
            f"{wider[0]} is not a person's limit: set it for a channel or a {workspace}, "
            f"without {flag}."
        )


def scope_layers(scope: Scope) -> list[Scope]:
    """The scopes whose limits hold in a channel, widest first: the installation, the
    platform, the workspace and the channel."""
    layers = [
        EVERYWHERE,
        Scope(scope.platform),
        Scope(scope.platform, scope.workspace_id),
        scope,
    ]
    return list(dict.fromkeys(layers))


def resolve(
    defaults: Limits, layers: Sequence[Limits], roles: Sequence[Limits], person: Limits
) -> Limits:
    """The limits that hold: each of `layers` (widest first) over `defaults`; then, for a
    person's own keys, their `person` override, else the most generous of their `roles`."""
    effective = defaults
    for layer in layers:
        effective = layer.over(effective)
    tiers: dict[str, Any] = {}
    for key, spec in LIMITS.items():
        if not spec.person:
            continue
        value = getattr(person, key)
        for role in roles if value is None else ():
            value = spec.more_generous(value, getattr(role, key))
        if value is not None:
            tiers[key] = value
    return replace(effective, **tiers)


def describe_scope(scope: Scope) -> str:
    """A scope as people read it: 'Discord server 123 (all channels)'."""
    if scope == EVERYWHERE:
        return "the whole installation (every platform)"
    name, workspace = PLATFORMS[scope.platform]
    if scope.workspace_id == ALL:
        return f"every {name} {workspace}"
    if scope.role_id is not None:
        return f"{name} role {scope.role_id} in {workspace} {scope.workspace_id}"
    if scope.user_id is not None:
        return f"{name} user {scope.user_id} in {workspace} {scope.workspace_id}"
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
