"""Delete and Pick under a result: the two buttons that make no request, so charge nothing.

Delete removes the card and the images it sits under (the ledger row stays: the charge
stands); only the person who made the images, a workspace admin or a manager of the channel
may press it, and anyone else is told privately. Pick posts one image of several anew, with
the full set of controls under it, as Discord's Pick does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError

from adapters.slack.admins import SLACK_ERRORS, slack_error
from adapters.slack.asks import file_sources
from adapters.slack.cards import CardIds, card_blocks, picked_text
from adapters.slack.context import Place, Services, notify
from adapters.slack.delivery import delivery_failure
from adapters.slack.files import upload
from adapters.slack.presses import pressed
from bot.delivery import DeliveryFailed
from bot.errors import UserFacingError
from bot.models import GeneratedImage, LedgerEntry

log = logging.getLogger(__name__)

NOT_YOURS = (
    "Only the person who made this image, a workspace admin or a manager of this channel "
    "can delete it."
)
GONE = {"file_not_found", "file_deleted", "message_not_found"}  # a second press: already done


def not_deleted(error: str) -> str:
    """What a person reads when Slack would not delete a result."""
    return f"Slack would not delete this result ({error}). Nothing else was changed."


def not_picked(failure: DeliveryFailed) -> str:
    """What a person reads when the picked image could not be posted."""
    then = failure.fix or "Try again in a minute."
    return f"I couldn't post the picked image: {failure.cause}. You were not charged. {then}"


async def delete(svc: Services, body: dict[str, Any]) -> None:
    """Delete the result's images and its card, or say privately why not."""
    button = await pressed(svc, body, needs_files=False)
    if button is None:
        return
    place = button.place
    try:
        entry = await svc.handler.entry(button.request_id)
    except UserFacingError as exc:
        await notify(svc, place, exc.message)
        return
    if not await may_delete(svc, place, entry):
        await notify(svc, place, NOT_YOURS)
        return
    card_ts = str((body.get("container") or {}).get("message_ts") or body["message"]["ts"])
    try:
        for file_id in button.file_ids:
            await _unless_gone(svc.client.files_delete(file=file_id))
        await _unless_gone(svc.client.chat_delete(channel=place.channel_id, ts=card_ts))
    except SLACK_ERRORS as exc:
        log.warning("could not delete result %s (%s)", entry.id, slack_error(exc))
        await notify(svc, place, not_deleted(slack_error(exc)))


async def may_delete(svc: Services, place: Place, entry: LedgerEntry) -> bool:
    """Whether the presser made the result, or administers the channel it was pressed in."""
    if place.user_id == entry.user_id:
        return True
    return (await svc.admins.role(place.scope, place.user_id)).is_admin


async def _unless_gone(call: Awaitable[object]) -> None:
    """A deletion; what is already gone (a second press) counts as done."""
    try:
        await call
    except SlackApiError as exc:
        if slack_error(exc) not in GONE:
            raise


async def pick(svc: Services, body: dict[str, Any]) -> None:
    """Post the chosen image anew with the full set of controls under it (nothing is charged)."""
    button = await pressed(svc, body, needs_files=True)
    if button is None:
        return
    place = button.place
    index = int(button.action_id.rsplit("_", 1)[1])  # imagine_pick_<N>, as registered
    try:
        entry = await svc.handler.entry(button.request_id)
        [image] = await file_sources(svc, button.file_ids[:1])()
    except UserFacingError as exc:
        await notify(svc, place, exc.message)
        return
    made = GeneratedImage(image.data, image.content_type, image.filename, image.width, image.height)
    text = picked_text(place.user_id, index, entry.prompt)
    try:
        file_ids = await upload(svc.client, place.channel_id, place.thread_ts, [made], text)
        ids = CardIds(entry.id, tuple(file_ids), rerollable=entry.kind == "generate")
        await svc.client.chat_postMessage(
            channel=place.channel_id,
            thread_ts=place.thread_ts,
            text=text,
            blocks=card_blocks(text, ids),
        )
    except Exception as exc:  # classified (and a bug of ours logged) by delivery_failure
        await notify(svc, place, not_picked(delivery_failure(exc)))
