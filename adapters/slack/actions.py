"""The buttons under a result: Vary (per image), Re-roll and Edit, and Deliver again under
a result Slack did not take. They carry ids only.

A button charges once per person and result: its idempotency key is the result's ledger id,
the button and the user, so a double click (two payloads, two action_ts) runs once. The new
result has buttons of its own for the next round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.context import (
    Place,
    Services,
    acknowledged,
    interactive_place,
    notify,
    open_view,
)
from adapters.slack.delivery import ACTION_DELIVER, thread_of
from adapters.slack.jobs import reroll_job, vary_job
from adapters.slack.modals import Target, edit_modal
from adapters.slack.replies import ACTION_EDIT, ACTION_REROLL, ACTION_VARY, button_value
from adapters.slack.work import Start, Tracker, perform
from bot.models import Actor, Result

VARY_ACTION = re.compile(rf"^{ACTION_VARY}_\d+$")
BAD_BUTTON = "That button is damaged or too old; start a new /imagine."
PRESSED_BEFORE = (
    "You already used this button on this result; each button runs once per person. "
    "Use the buttons under the newer images."
)


@dataclass(frozen=True)
class Pressed:
    """A clicked button: who and where, its action id, the result's ledger id, its file ids."""

    place: Place
    action_id: str
    request_id: str
    file_ids: tuple[str, ...]

    @property
    def key(self) -> str:
        """The idempotency key: each button runs once per person and result."""
        return f"slack:{self.action_id}:{self.request_id}:{self.place.user_id}"


async def pressed(svc: Services, body: dict[str, Any], *, needs_files: bool) -> Pressed | None:
    """The clicked button, or None after telling the person it is damaged."""
    place = interactive_place(body)
    action = (body.get("actions") or [{}])[0]
    try:
        request_id, file_ids = button_value(str(action.get("value", "")))
    except (ValueError, KeyError, TypeError):
        request_id, file_ids = "", ()
    if not request_id or (needs_files and not file_ids):
        await notify(svc, place, BAD_BUTTON)
        return None
    return Pressed(place, str(action.get("action_id", "")), request_id, file_ids)


def deliver_again_job(svc: Services, request_id: str) -> Start:
    """The kept images of a result that could not be delivered, for its requester."""

    async def start(actor: Actor, tracker: Tracker) -> Result:
        return await svc.handler.deliver_again(request_id, actor)

    return start


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for the four kinds of button."""

    async def vary(body: dict[str, Any]) -> None:
        button = await pressed(svc, body, needs_files=True)
        if button is not None:
            job = vary_job(svc, button.file_ids[0], button.key, button.request_id)
            await perform(svc, button.place, button.key, job, repeated=PRESSED_BEFORE)

    async def reroll(body: dict[str, Any]) -> None:
        button = await pressed(svc, body, needs_files=False)
        if button is not None:
            job = reroll_job(svc, button.request_id, button.file_ids, button.key)
            await perform(svc, button.place, button.key, job, repeated=PRESSED_BEFORE)

    async def edit(body: dict[str, Any]) -> None:
        button = await pressed(svc, body, needs_files=True)
        if button is not None:
            place = button.place
            target = Target(place.channel_id, place.thread_ts, button.file_ids, button.request_id)
            modal = edit_modal(target, len(button.file_ids))
            await open_view(svc, place, body["trigger_id"], modal)

    async def deliver_again(body: dict[str, Any]) -> None:
        button = await pressed(svc, body, needs_files=False)
        if button is not None:
            value = str((body.get("actions") or [{}])[0].get("value", ""))
            place = replace(button.place, thread_ts=thread_of(value))
            await perform(svc, place, button.key, deliver_again_job(svc, button.request_id))

    app.action(VARY_ACTION)(acknowledged(svc, vary))
    app.action(ACTION_DELIVER)(acknowledged(svc, deliver_again))
    app.action(ACTION_REROLL)(acknowledged(svc, reroll))
    app.action(ACTION_EDIT)(acknowledged(svc, edit))
