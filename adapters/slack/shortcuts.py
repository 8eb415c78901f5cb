"""Message shortcuts **Edit image** and **Vary image**, and the modals they open."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.asks import file_sources, submit
from adapters.slack.context import (
    Place,
    Services,
    acknowledged,
    interactive_place,
    notify,
    open_request_view,
    team_of,
)
from adapters.slack.files import SlackFile, message_files, pick_images
from adapters.slack.modals import (
    EDIT_VIEW,
    VARY_VIEW,
    Target,
    chosen_files,
    edit_modal,
    instruction,
    vary_modal,
)
from bot.errors import UserFacingError
from bot.requests import Ask, AskKind

EDIT_SHORTCUT = "imagine_edit_image"
VARY_SHORTCUT = "imagine_vary_image"


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for both shortcuts and both modal submissions."""

    async def edit_shortcut(body: dict[str, Any]) -> None:
        place, files = interactive_place(body), await shortcut_images(svc, body)
        if not files:
            return
        target = Target(place.channel_id, place.thread_ts, tuple(f.id for f in files))
        await open_request_view(svc, place, body["trigger_id"], edit_modal(target, files))

    async def vary_shortcut(body: dict[str, Any]) -> None:
        place, files = interactive_place(body), await shortcut_images(svc, body)
        if not files:
            return
        if len(files) == 1:
            key = f"slack:shortcut:{body['trigger_id']}"
            ask = Ask("vary", await svc.actor(place), key, sources=file_sources(svc, files))
            await submit(svc, place, ask, files)
            return
        target = Target(place.channel_id, place.thread_ts, tuple(f.id for f in files))
        await open_request_view(svc, place, body["trigger_id"], vary_modal(target, files))

    async def edit_submitted(body: dict[str, Any]) -> None:
        await submitted(svc, body, "edit", instruction(body["view"]))

    async def vary_submitted(body: dict[str, Any]) -> None:
        await submitted(svc, body, "vary", "")

    app.message_shortcut(EDIT_SHORTCUT)(acknowledged(svc, edit_shortcut))
    app.message_shortcut(VARY_SHORTCUT)(acknowledged(svc, vary_shortcut))
    app.view_submission(EDIT_VIEW)(acknowledged(svc, edit_submitted))
    app.view_submission(VARY_VIEW)(acknowledged(svc, vary_submitted))


async def shortcut_images(svc: Services, body: dict[str, Any]) -> list[SlackFile]:
    """The images of the message a shortcut was used on; none after saying why there are none."""
    try:
        return pick_images(message_files(body.get("message") or {}))
    except UserFacingError as exc:
        await notify(svc, interactive_place(body), exc.message)
        return []


async def submitted(svc: Services, body: dict[str, Any], kind: AskKind, text: str) -> None:
    """The request of a submitted Edit or Vary modal, on the images it picked."""
    view = body["view"]
    target = Target.load(view["private_metadata"])
    place = Place(team_of(body), target.channel_id, str(body["user"]["id"]), target.thread_ts)
    files = chosen_files(view, target)
    if kind == "vary":
        files = files[:1]
    sources = file_sources(svc, files)
    key = f"slack:view:{view['id']}"
    ask = Ask(kind, await svc.actor(place), key, text, sources=sources, parent_id=target.parent_id)
    await submit(svc, place, ask, files)
