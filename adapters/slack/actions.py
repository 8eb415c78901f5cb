"""The buttons under a result (adapters/slack/cards.py draws them): the creative controls,
Vary (per image), Re-roll, Edit and Vary Region, Delete and Pick (adapters/slack/results.py),
and Deliver again under a result Slack did not take. They carry ids only, so they work after
a restart.

Each press is its own request, keyed by the press's own ids (its action_ts and trigger_id):
a later press of Vary makes a new variation, charged again. A second press by the same
person while the first still runs is dropped by the runner (`press` names the button, or
the control, and the result it sits under).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import replace
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack import results
from adapters.slack.asks import file_sources, submit
from adapters.slack.cards import (
    ACTION_DELETE,
    ACTION_EDIT,
    ACTION_PICK,
    ACTION_REGION,
    ACTION_REROLL,
    ACTION_VARY,
    CONTROL_OF_ACTION,
    CONTROL_PREFIX,
)
from adapters.slack.context import Place, Services, acknowledged, notify, open_request_view
from adapters.slack.delivery import ACTION_DELIVER, thread_of
from adapters.slack.files import file_info
from adapters.slack.modals import Target, edit_modal
from adapters.slack.presses import BAD_BUTTON, Pressed, pressed
from bot.errors import UserFacingError
from bot.requests import Ask, AskKind
from bot.web.app import OFF
from bot.web.platforms import Origin

REGION_LINK = (
    "<{link}|Open the Vary Region editor>: paint the part of the image to change and say "
    "what should appear there. The link is for you alone and works for {minutes} min; the "
    "edit is charged as any edit and posted here."
)


async def run_press(
    svc: Services, button: Pressed, kind: AskKind, place: Place, control: str = ""
) -> None:
    """The request a button makes: under its result, with the result's files as sources;
    a creative control's press is named by the control ('zoom 2:<ledger id>')."""
    ask = Ask(
        kind,
        await svc.actor(place),
        button.key,
        sources=file_sources(svc, button.file_ids),
        parent_id=button.request_id,
        press=f"{control}:{button.request_id}" if control else button.press,
        control=control,
    )
    await submit(svc, place, ask, button.file_ids)


async def region_link(svc: Services, button: Pressed) -> str:
    """What Vary Region answers: a link to the editor for this person and this image, or
    why there is none."""
    place = button.place
    if svc.web is None:
        return OFF
    refusal = await svc.runner.would_refuse(await svc.actor(place))
    if refusal is not None:
        return refusal
    try:
        image = await file_info(svc.client, button.file_ids[0])
    except UserFacingError as exc:
        return exc.message
    origin = Origin("slack", place.team_id, place.channel_id, place.thread_ts or "")
    link = svc.web.editor_link(origin, button.request_id, place.user_id, image.url_private)
    return REGION_LINK.format(link=link, minutes=svc.settings.link_ttl_minutes)


async def vary(svc: Services, body: dict[str, Any]) -> None:
    """Vary one image of several."""
    button = await pressed(svc, body, needs_files=True)
    if button is not None:
        await run_press(svc, replace(button, file_ids=button.file_ids[:1]), "vary", button.place)


async def control(svc: Services, body: dict[str, Any]) -> None:
    """A creative control (Vary Subtle/Strong, Upscale, Zoom Out, Pan) on the image."""
    button = await pressed(svc, body, needs_files=True)
    if button is None:
        return
    name = CONTROL_OF_ACTION.get(button.action_id)
    if name is None:
        await notify(svc, button.place, BAD_BUTTON.message)
        return
    one = replace(button, file_ids=button.file_ids[:1])
    await run_press(svc, one, "control", button.place, name)


async def region(svc: Services, body: dict[str, Any]) -> None:
    """Vary Region: a private link to the web editor."""
    button = await pressed(svc, body, needs_files=True)
    if button is not None:
        await notify(svc, button.place, await region_link(svc, button))


async def reroll(svc: Services, body: dict[str, Any]) -> None:
    """Run the result's request again."""
    button = await pressed(svc, body, needs_files=False)
    if button is not None:
        await run_press(svc, button, "reroll", button.place)


async def edit(svc: Services, body: dict[str, Any]) -> None:
    """Open the Edit modal on the result's images."""
    button = await pressed(svc, body, needs_files=True)
    if button is not None:
        place = button.place
        target = Target(place.channel_id, place.thread_ts, button.file_ids, button.request_id)
        modal = edit_modal(target, len(button.file_ids))
        await open_request_view(svc, place, body["trigger_id"], modal)


async def deliver_again(svc: Services, body: dict[str, Any]) -> None:
    """Post the kept images of a result Slack did not take, where it belongs."""
    button = await pressed(svc, body, needs_files=False)
    if button is not None:
        value = str((body.get("actions") or [{}])[0].get("value", ""))
        place = replace(button.place, thread_ts=thread_of(value))
        await run_press(svc, replace(button, file_ids=()), "deliver", place)


Work = Callable[[Services, dict[str, Any]], Coroutine[Any, Any, None]]
LISTENERS: tuple[tuple[str | re.Pattern[str], Work], ...] = (
    (re.compile(rf"^{ACTION_VARY}_\d+$"), vary),
    (re.compile(rf"^{CONTROL_PREFIX}"), control),
    (ACTION_REGION, region),
    (ACTION_REROLL, reroll),
    (ACTION_EDIT, edit),
    (ACTION_DELIVER, deliver_again),
    (ACTION_DELETE, results.delete),
    (re.compile(rf"^{ACTION_PICK}_\d+$"), results.pick),
)


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for every kind of button."""
    for action_id, work in LISTENERS:
        app.action(action_id)(acknowledged(svc, partial(work, svc)))
