"""Blend: the message shortcut **Blend images** on a message with 2 to 5 images, and
`@Imagine blend <words>` in a thread, which blends the thread's images (and the mention's own)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.asks import file_sources, submit
from adapters.slack.context import Place, Services, acknowledged, interactive_place, notify
from adapters.slack.files import SlackFile, message_files, pick_images
from bot import controls
from bot.errors import BadRequest, UserFacingError
from bot.requests import Ask

BLEND_SHORTCUT = "imagine_blend_images"
BLEND_WORD = re.compile(r"^blend\b\s*", re.IGNORECASE)
ON_A_MESSAGE = "Use Blend images on a message that carries 2 to 5 images."
IN_A_THREAD = "Mention me with `blend` in a thread that holds 2 to 5 images."


def blend_words(text: str) -> str | None:
    """The words after `blend` in a mention ('' for none), or None when it is no blend."""
    found = BLEND_WORD.match(text)
    return None if found is None else text[found.end() :].strip()


def checked(images: Sequence[SlackFile], then: str) -> Sequence[SlackFile]:
    """The images to blend, or why there are too few or too many (before any download);
    `then` says where to use it instead."""
    low, high = controls.BLEND_RANGE
    if not low <= len(images) <= high:
        raise BadRequest(f"Blend takes {low} to {high} images, not {len(images)}.", then=then)
    return images


async def blend(
    svc: Services, place: Place, key: str, images: Sequence[SlackFile], words: str = ""
) -> None:
    """Run one blend of `images` with the person's `words`, shown in `place`."""
    ask = Ask(
        "control",
        await svc.actor(place),
        key,
        words,
        sources=file_sources(svc, images),
        control=controls.BLEND.text(),
    )
    await submit(svc, place, ask, images)


def register(app: AsyncApp, svc: Services) -> None:
    """Listen for the Blend images shortcut."""

    async def shortcut(body: dict[str, Any]) -> None:
        place = interactive_place(body)
        try:
            files = pick_images(message_files(body.get("message") or {}))
            images = checked(files, ON_A_MESSAGE)
        except UserFacingError as exc:
            await notify(svc, place, exc.message)
            return
        await blend(svc, place, f"slack:shortcut:{body['trigger_id']}", images)

    app.message_shortcut(BLEND_SHORTCUT)(acknowledged(svc, shortcut))
