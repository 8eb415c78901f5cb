"""`/imagine limits`: a modal to view and set channel or workspace limits and channel managers,
or (`/imagine limits @group`, `/imagine limits U…`) a user group's tier or a person's override."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack.admins import Role
from adapters.slack.context import PLATFORM, Place, Services, notify, open_view
from adapters.slack.replies import user_list
from adapters.slack.tiers import channel_errors, tier_scope, tiers_text, where
from bot.errors import BadRequest
from bot.limits import format_limit, parse_limit_value
from bot.models import LIMIT_KEYS, LIMITS, PERSON_KEYS, Limits, Scope
from bot.reports import format_limits

log = logging.getLogger(__name__)

LIMITS_VIEW = "imagine_limits_modal"
WORKSPACE_WORDS = {"workspace", "all", "team"}
NOT_ALLOWED = (
    "Only workspace admins and owners can change workspace limits; channel limits can also be "
    "changed by the channel's managers."
)
TIER_NOT_ALLOWED = "Only workspace admins and owners can set a user group's or a person's limits."


def is_tier(scope: Scope) -> bool:
    """Whether a scope is a user group's tier or a person's override."""
    return scope.role_id is not None or scope.user_id is not None


def may_change(role: Role, scope: Scope) -> bool:
    """Workspace admins change any scope; channel managers only their channel."""
    channel = scope.channel_id != "*" and not is_tier(scope)
    return role.workspace_admin or (channel and role.channel_manager)


def input_text(key: str, value: object) -> str:
    """A stored limit as it is typed into the modal ('' when unset)."""
    return "" if value is None else format_limit(key, value)


async def open_limits(svc: Services, place: Place, trigger_id: str, rest: str) -> None:
    """Open the modal for admins and managers; show everyone else the limits in effect."""
    workspace = rest.lower() in WORKSPACE_WORDS
    scope = Scope(PLATFORM, place.team_id, "*" if workspace else place.channel_id)
    role = await svc.admins.role(place.scope, place.user_id)
    if rest and not workspace:
        if not role.workspace_admin:
            await notify(svc, place, TIER_NOT_ALLOWED)
            return
        try:
            scope = await tier_scope(svc, place.team_id, rest)
        except BadRequest as exc:
            await notify(svc, place, exc.message)
            return
    if not may_change(role, scope):
        effective = await svc.handler.limits_for(place.scope)
        here = await svc.handler.limits_here(place.scope)
        await notify(
            svc,
            place,
            f"*Limits in this channel*\n```{format_limits(effective, here)}```\n{NOT_ALLOWED}",
        )
        return
    view = await limits_view(svc, place, scope, role)
    await open_view(svc, place, trigger_id, view)


async def limits_view(svc: Services, place: Place, scope: Scope, role: Role) -> dict[str, Any]:
    """The modal: one field per limit (a tier's: a person's own limits), pre-filled with this
    scope's own values, under the workspace's tiers."""
    here = await svc.handler.limits_here(scope)
    wider_scope = (
        Scope(PLATFORM, scope.workspace_id) if scope.channel_id != "*" else Scope(PLATFORM)
    )
    wider = await svc.handler.limits_for(wider_scope)
    text = (
        f"Limits for {where(scope)}. Leave a field empty to inherit the value shown in it. "
        f"Days start at 00:00 {here.timezone or wider.timezone or 'UTC'}, weeks on Monday, "
        "months on the 1st."
    )
    if not is_tier(scope) and (tiers := await tiers_text(svc, scope)):
        text += f"\n{tiers}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    keys = PERSON_KEYS if is_tier(scope) else LIMIT_KEYS
    blocks.extend(_limit_input(key, getattr(here, key), getattr(wider, key)) for key in keys)
    if scope.channel_id != "*" and role.workspace_admin:
        managers = await svc.handler.channel_managers(scope)
        blocks.append(_managers_input(managers))
    meta = {"w": scope.workspace_id, "c": scope.channel_id, "o": place.channel_id}
    return {
        "type": "modal",
        "callback_id": LIMITS_VIEW,
        "title": {"type": "plain_text", "text": "Image limits"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(meta),
        "blocks": blocks,
    }


def _limit_input(key: str, value: object, inherited: object) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {
            "type": "plain_text",
            "text": f"inherits: {format_limit(key, inherited)}"[:150],
        },
    }
    if value is not None:
        element["initial_value"] = input_text(key, value)
    return {
        "type": "input",
        "block_id": f"limit_{key}",
        "optional": True,
        "label": {"type": "plain_text", "text": LIMITS[key].label},
        "hint": {"type": "plain_text", "text": key},
        "element": element,
    }


def _managers_input(managers: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": "value"}
    if managers:
        element["initial_users"] = managers
    return {
        "type": "input",
        "block_id": "managers",
        "optional": True,
        "label": {"type": "plain_text", "text": "Channel managers (may change these limits)"},
        "element": element,
    }


def read_changes(values: Mapping[str, Any], here: Limits) -> tuple[dict[str, str], dict[str, str]]:
    """(changed key -> text, block id -> error) from a submitted modal."""
    changes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key in LIMIT_KEYS:
        block = f"limit_{key}"
        text = str(((values.get(block) or {}).get("value") or {}).get("value") or "").strip()
        if text.lower() == input_text(key, getattr(here, key)).lower():
            continue
        try:
            parse_limit_value(key, text)
        except BadRequest as exc:  # a setting, not a request: nothing to say about charges
            errors[block] = " ".join(part for part in (exc.what, exc.then) if part)
            continue
        changes[key] = text
    return changes, errors


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for the limits modal's submission (validated before the modal closes)."""

    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view["private_metadata"])
        user_id = str(body["user"]["id"])
        scope = Scope(PLATFORM, meta["w"], meta["c"])
        origin = Place(meta["w"], meta["o"], user_id)
        role = await svc.admins.role(origin.scope, user_id)
        values = view.get("state", {}).get("values", {})
        if not may_change(role, scope):
            await ack(response_action="errors", errors={f"limit_{LIMIT_KEYS[0]}": NOT_ALLOWED})
            return
        changes, errors = read_changes(values, await svc.handler.limits_here(scope))
        errors = errors or await channel_errors(svc, changes)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        if changes:
            await svc.handler.set_limits(scope, changes, user_id)
        managers = await _save_managers(svc, scope, values, role, user_id)
        await ack()
        svc.start(notify(svc, origin, _summary(scope, changes, managers)))

    app.view_submission(LIMITS_VIEW)(submit)


async def _save_managers(
    svc: Services, scope: Scope, values: Mapping[str, Any], role: Role, changed_by: str
) -> list[str] | None:
    if "managers" not in values or not role.workspace_admin or scope.channel_id == "*":
        return None
    wanted = list((values["managers"].get("value") or {}).get("selected_users") or [])
    handler = svc.handler
    current = await handler.channel_managers(scope)
    for user in wanted:
        if user not in current:
            await handler.add_channel_manager(scope, user, changed_by)
            log.info("channel manager %s added to %s by %s", user, scope.channel_id, changed_by)
    for user in current:
        if user not in wanted:
            await handler.remove_channel_manager(scope, user, changed_by)
            log.info("channel manager %s removed from %s by %s", user, scope.channel_id, changed_by)
    return wanted


def _summary(scope: Scope, changes: Mapping[str, str], managers: list[str] | None) -> str:
    lines = [f"Limits for {where(scope)} saved."]
    lines.extend(f"• {key} = {text or 'inherited'}" for key, text in changes.items())
    if not changes:
        lines.append("No limit changed.")
    if managers is not None:
        lines.append(f"Channel managers: {user_list(managers)}")
    return "\n".join(lines)
