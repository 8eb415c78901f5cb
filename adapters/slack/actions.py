"""The buttons under a result: Vary (per image), Re-roll and Edit. They carry ids only.

A button charges once per person and result: its idempotency key is the result's ledger id,
the button and the user, so a double click (two payloads, two action_ts) runs once. The new
result has buttons of its own for the next round.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack.context import Services, interactive_place, notify, open_view
from adapters.slack.jobs import reroll_job, vary_job
from adapters.slack.modals import Target, edit_modal
from adapters.slack.replies import ACTION_EDIT, ACTION_REROLL, ACTION_VARY, button_value
from adapters.slack.work import perform

VARY_ACTION = re.compile(rf"^{ACTION_VARY}_\d+$")
BAD_BUTTON = "That button is damaged or too old; start a new /imagine."
PRESSED_BEFORE = (
    "You already used this button on this result; each button runs once per person. "
    "Use the buttons under the newer images."
)


async def acknowledge(ack: AsyncAck) -> None:
    """Answer Slack at once; the work happens in the lazy listener."""
    await ack()


def _clicked(body: dict[str, Any]) -> tuple[str, str]:
    action = (body.get("actions") or [{}])[0]
    return str(action.get("action_id", "")), str(action.get("value", ""))


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for the three kinds of button."""

    async def vary(body: dict[str, Any]) -> None:
        place = interactive_place(body)
        action_id, raw = _clicked(body)
        try:
            request_id, file_ids = button_value(raw)
        except (ValueError, KeyError):
            file_ids = ()
        if not file_ids:
            await notify(svc, place, BAD_BUTTON)
            return
        key = f"slack:{action_id}:{request_id}:{place.user_id}"
        job = vary_job(svc, file_ids[0], key, request_id)
        await perform(svc, place, key, job, repeated=PRESSED_BEFORE)

    async def reroll(body: dict[str, Any]) -> None:
        place = interactive_place(body)
        _, raw = _clicked(body)
        try:
            request_id, source_ids = button_value(raw)
        except (ValueError, KeyError):
            await notify(svc, place, BAD_BUTTON)
            return
        key = f"slack:{ACTION_REROLL}:{request_id}:{place.user_id}"
        job = reroll_job(svc, request_id, source_ids, key)
        await perform(svc, place, key, job, repeated=PRESSED_BEFORE)

    async def edit(body: dict[str, Any]) -> None:
        place = interactive_place(body)
        _, raw = _clicked(body)
        try:
            request_id, file_ids = button_value(raw)
        except (ValueError, KeyError):
            await notify(svc, place, BAD_BUTTON)
            return
        target = Target(place.channel_id, place.thread_ts, file_ids, request_id)
        await open_view(svc, place, body["trigger_id"], edit_modal(target, len(file_ids)))

    app.action(VARY_ACTION)(ack=acknowledge, lazy=[vary])
    app.action(ACTION_REROLL)(ack=acknowledge, lazy=[reroll])
    app.action(ACTION_EDIT)(ack=acknowledge, lazy=[edit])
