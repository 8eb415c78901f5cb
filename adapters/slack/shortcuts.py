"""Message shortcuts **Edit image** and **Vary image**, and the modals they open."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.context import (
    Place,
    Services,
    acknowledged,
    interactive_place,
    notify,
    open_view,
    team_of,
)
from adapters.slack.files import message_files, pick_images
from adapters.slack.jobs import edit_job, vary_job
from adapters.slack.modals import (
    EDIT_VIEW,
    VARY_VIEW,
    Target,
    chosen_files,
    edit_modal,
    instruction,
    vary_modal,
)
from adapters.slack.work import perform
from bot.errors import UserFacingError

EDIT_SHORTCUT = "imagine_edit_image"
VARY_SHORTCUT = "imagine_vary_image"


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for both shortcuts and both modal submissions."""

    async def edit_shortcut(body: dict[str, Any]) -> None:
        place = interactive_place(body)
        message = body.get("message") or {}
        try:
            files = pick_images(message_files(message))
        except UserFacingError as exc:
            await notify(svc, place, exc.message)
            return
        target = Target(place.channel_id, place.thread_ts, tuple(f.id for f in files))
        await open_view(svc, place, body["trigger_id"], edit_modal(target, files))

    async def vary_shortcut(body: dict[str, Any]) -> None:
        place = interactive_place(body)
        try:
            files = pick_images(message_files(body.get("message") or {}))
        except UserFacingError as exc:
            await notify(svc, place, exc.message)
            return
        if len(files) == 1:
            key = f"slack:shortcut:{body['trigger_id']}"
            await perform(svc, place, key, vary_job(svc, files[0], key, None))
            return
        target = Target(place.channel_id, place.thread_ts, tuple(f.id for f in files))
        await open_view(svc, place, body["trigger_id"], vary_modal(target, files))

    async def edit_submitted(body: dict[str, Any]) -> None:
        view = body["view"]
        target, place = _submission(body, view)
        key = f"slack:view:{view['id']}"
        job = edit_job(svc, chosen_files(view, target), instruction(view), key, target.parent_id)
        await perform(svc, place, key, job)

    async def vary_submitted(body: dict[str, Any]) -> None:
        view = body["view"]
        target, place = _submission(body, view)
        key = f"slack:view:{view['id']}"
        file_id = chosen_files(view, target)[0]
        await perform(svc, place, key, vary_job(svc, file_id, key, target.parent_id))

    app.message_shortcut(EDIT_SHORTCUT)(acknowledged(svc, edit_shortcut))
    app.message_shortcut(VARY_SHORTCUT)(acknowledged(svc, vary_shortcut))
    app.view_submission(EDIT_VIEW)(acknowledged(svc, edit_submitted))
    app.view_submission(VARY_VIEW)(acknowledged(svc, vary_submitted))


def _submission(body: dict[str, Any], view: dict[str, Any]) -> tuple[Target, Place]:
    target = Target.load(view["private_metadata"])
    place = Place(
        team_id=team_of(body),
        channel_id=target.channel_id,
        user_id=str(body["user"]["id"]),
        thread_ts=target.thread_ts,
    )
    return target, place
