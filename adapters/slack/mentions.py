"""`@Imagine <instruction>`: edits the newest image of its thread (or the images it carries).

A mention with neither makes a new image from its text; `@Imagine blend <words>` blends the
thread's images (adapters/slack/blend.py). Slack retries an event it thinks
was lost (`X-Slack-Retry-Num`); the event id is the idempotency key, so it runs once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.admins import SLACK_ERRORS, slack_error
from adapters.slack.asks import file_sources, submit
from adapters.slack.blend import IN_A_THREAD, blend, blend_words, checked
from adapters.slack.context import Place, Services, acknowledged, notify
from adapters.slack.files import SlackFile, message_files, pick_images
from adapters.slack.replies import from_slack
from bot.errors import BadRequest, Refused, UserFacingError
from bot.requests import Ask

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
THREAD_PAGE = 200
HINT = (
    "Mention me with what to do: `@Imagine a red balloon` makes an image; in the thread of an "
    "image, `@Imagine make the balloon blue` edits it."
)
MISSING_HISTORY = (
    "I can't read this thread: the Slack app lacks the channels:history scope "
    "(groups:history in private channels)."
)


async def thread_images(
    svc: Services, channel_id: str, thread_ts: str, before: str, *, every: bool = False
) -> list[SlackFile]:
    """The images of the newest message with images in a thread, older than `before`; with
    `every`, the images of all those messages, oldest first."""
    try:
        response = await svc.client.conversations_replies(
            channel=channel_id, ts=thread_ts, limit=THREAD_PAGE
        )
    except SLACK_ERRORS as exc:
        error = slack_error(exc)
        if error == "missing_scope":
            raise Refused(MISSING_HISTORY, then="Ask a workspace admin to add it.") from None
        raise BadRequest(f"I couldn't read this thread ({error}).", then="Try again.") from None
    found: list[SlackFile] = []
    for message in response.get("messages") or ():
        images = [f for f in message_files(message) if f.is_image]
        if images and float(message.get("ts", 0)) < float(before):
            found = [*found, *images] if every else images
    return found


async def mention_ask(
    svc: Services, event: Mapping[str, Any], text: str, key: str, place: Place
) -> tuple[Ask, list[SlackFile]] | None:
    """Edit when there is an image to edit, generate when there is only text, else None."""
    images = pick_images(own) if (own := message_files(event)) else []
    thread_ts = event.get("thread_ts")
    if not images and thread_ts:
        images = await thread_images(svc, event["channel"], thread_ts, event["ts"])
    if not images and not text:
        return None
    actor = await svc.actor(place)
    if not images:
        return Ask("generate", actor, key, text), []
    return Ask("edit", actor, key, text, sources=file_sources(svc, images)), images


async def blended(
    svc: Services, event: Mapping[str, Any], place: Place, key: str, words: str
) -> None:
    """`@Imagine blend <words>`: the thread's images and the mention's own, blended."""
    try:
        images = [f for f in message_files(event) if f.is_image]
        if thread_ts := event.get("thread_ts"):
            images = [
                *await thread_images(svc, place.channel_id, thread_ts, event["ts"], every=True),
                *images,
            ]
        checked(images, IN_A_THREAD)
    except UserFacingError as exc:
        await notify(svc, place, exc.message)
        return
    await blend(svc, place, key, images, words)


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for app_mention events."""

    async def mentioned(body: dict[str, Any]) -> None:
        event = body["event"]
        if not event.get("user"):
            return
        place = Place(
            team_id=str(body.get("team_id") or event.get("team") or ""),
            channel_id=str(event["channel"]),
            user_id=str(event["user"]),
            thread_ts=event.get("thread_ts"),
        )
        text = from_slack(MENTION.sub("", str(event.get("text", "")))).strip()
        key = f"slack:event:{body.get('event_id') or event['ts']}"
        if (words := blend_words(text)) is not None:
            await blended(svc, event, place, key, words)
            return
        try:
            found = await mention_ask(svc, event, text, key, place)
        except UserFacingError as exc:
            await notify(svc, place, exc.message)
            return
        if found is None:
            await notify(svc, place, HINT)
            return
        ask, images = found
        await submit(svc, place, ask, images)

    app.event("app_mention")(acknowledged(svc, mentioned))
