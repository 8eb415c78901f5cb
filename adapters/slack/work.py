"""One charged request from start to finish: working message, progress, upload, result card."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from slack_sdk.errors import SlackApiError

from adapters.slack.context import SLACK_ERRORS, Place, Services, notify, slack_error
from adapters.slack.delivery import DELIVER_AGAIN, deliver_again_blocks, delivery_failure
from adapters.slack.files import upload
from adapters.slack.progress import ProgressEdits
from adapters.slack.replies import CardIds, progress_text, result_card, upload_comment
from bot.delivery import DeliveryFailed, Undelivered
from bot.errors import NOT_CHARGED, Duplicate, NotAllowed, Refused, UserFacingError
from bot.models import Actor, Progress, Result

log = logging.getLogger(__name__)

NOT_IN_CHANNEL = (
    "I'm not a member of this channel, so I can't post images here. "
    f"Invite me with `/invite @Imagine` and try again. {NOT_CHARGED}"
)
GENERIC_FAILURE = (
    f"Something went wrong inside the bot. {NOT_CHARGED} "
    "The error was logged; tell the bot's admin if it keeps happening."
)
SLACK_RATE_LIMITED = (
    "Slack is asking the bot to slow down right now, so I couldn't start your image. "
    f"{NOT_CHARGED} Try again in a minute."
)
STOPPED = DeliveryFailed("the bot was restarting before Slack had them", transient=False)
MISSING_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived"}


class Tracker:
    """The working message of one request: posted at its first step, then edited in the
    background (coalesced, so Slack's pace never holds up the request)."""

    def __init__(self, svc: Services, place: Place) -> None:
        self.svc = svc
        self.place = place
        self.kind = "generate"
        self.prompt = ""
        self.source_ids: tuple[str, ...] = ()
        self.ts: str | None = None
        self.edits: ProgressEdits | None = None

    def describe(self, kind: str, prompt: str, source_ids: tuple[str, ...] = ()) -> None:
        """Say what is being made, before the handler is called."""
        self.kind, self.prompt, self.source_ids = kind, prompt, source_ids

    async def progress(self, step: Progress) -> None:
        """The handler's progress callback: the first step posts, later ones are coalesced."""
        text = progress_text(self.place.user_id, self.kind, self.prompt, step)
        if self.edits is None:
            await self._post(text)
        else:
            self.edits.show(text)

    async def _post(self, text: str) -> None:
        try:
            posted = await self.svc.client.chat_postMessage(
                channel=self.place.channel_id, thread_ts=self.place.thread_ts, text=text
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in MISSING_CHANNEL:
                raise NotAllowed(NOT_IN_CHANNEL) from None
            if error == "ratelimited":
                raise Refused(SLACK_RATE_LIMITED) from None
            raise
        self.ts = ts = str(posted["ts"])
        self.edits = ProgressEdits(partial(self._edit, ts))

    async def _edit(self, ts: str, text: str) -> None:
        await self.svc.client.chat_update(channel=self.place.channel_id, ts=ts, text=text)

    async def finish(self) -> None:
        """Stop the progress edits (any not yet shown are dropped) before the card replaces them."""
        if self.edits is not None:
            await self.edits.close()

    async def discard(self) -> None:
        """Remove the working message of a request that did not finish."""
        await self.finish()
        if self.ts is None:
            return
        try:
            await self.svc.client.chat_delete(channel=self.place.channel_id, ts=self.ts)
        except SLACK_ERRORS as exc:
            log.warning("could not delete the working message (%s)", slack_error(exc))
        self.ts = None


Start = Callable[[Actor, Tracker], Awaitable[Result]]


async def perform(
    svc: Services, place: Place, key: str, start: Start, *, repeated: str | None = None
) -> None:
    """Run one request once per idempotency key, then show its images or its error.

    A repeat of a key already in the ledger (a Slack retry) is ignored quietly, unless
    `repeated` gives a message for it (a button pressed again later).
    """
    async with svc.job(key) as first:
        if not first:
            log.info("ignored a repeat of %s while it runs", key)
            return
        tracker = Tracker(svc, place)
        try:
            result = await start(await svc.actor(place), tracker)
        except Duplicate:
            log.info("ignored a repeat of %s (already in the ledger)", key)
            await tracker.discard()
            if repeated is not None:
                await notify(svc, place, repeated)
            return
        except UserFacingError as exc:
            await tracker.discard()
            await notify(svc, place, exc.message)
            return
        except Exception:
            log.exception("Slack request %s failed", key)
            await tracker.discard()
            await notify(svc, place, GENERIC_FAILURE)
            return
        await deliver(svc, place, tracker, result)


async def deliver(svc: Services, place: Place, tracker: Tracker, result: Result) -> None:
    """Upload the images with prompt and cost, then turn the working message into the card;
    when the upload never works, say why and offer Deliver again (the images stay kept)."""
    client = svc.client
    comment = upload_comment(place.user_id, result)

    async def attempt() -> list[str]:
        try:
            return await upload(client, place.channel_id, place.thread_ts, result.images, comment)
        except Exception as exc:
            log.warning("upload of request %s failed (%s)", result.request_id, slack_error(exc))
            raise delivery_failure(exc) from None

    try:
        file_ids = await svc.handler.deliver(result, attempt, again=DELIVER_AGAIN)
    except Undelivered as exc:
        await offer_again(svc, place, tracker, exc)
        return
    except asyncio.CancelledError:  # the bot is stopping; the handler kept the images
        kept_for = svc.handler.deliveries.kept_for
        await offer_again(
            svc, place, tracker, Undelivered(result.request_id, STOPPED, kept_for, DELIVER_AGAIN)
        )
        raise
    ids = CardIds(result.request_id, tuple(file_ids), tracker.source_ids)
    await show_card(svc, place, tracker, result, ids)


async def offer_again(svc: Services, place: Place, tracker: Tracker, exc: Undelivered) -> None:
    """Say why a result was not delivered, privately, with its Deliver again button."""
    await tracker.discard()
    blocks = deliver_again_blocks(exc.message, exc.request_id, place.thread_ts)
    await notify(svc, place, exc.message, blocks=blocks)


async def show_card(
    svc: Services, place: Place, tracker: Tracker, result: Result, ids: CardIds
) -> None:
    """Turn the working message into the result card; post the card anew when that fails."""
    text, blocks = result_card(place.user_id, result, ids)
    client = svc.client
    await tracker.finish()
    if tracker.ts is not None:
        try:
            await client.chat_update(
                channel=place.channel_id, ts=tracker.ts, text=text, blocks=blocks
            )
            return
        except SLACK_ERRORS as exc:
            log.warning(
                "could not turn the working message into the card of %s (%s); posting it anew",
                result.request_id,
                slack_error(exc),
            )
    try:
        await client.chat_postMessage(
            channel=place.channel_id, thread_ts=place.thread_ts, text=text, blocks=blocks
        )
    except SLACK_ERRORS as exc:
        log.warning("could not post the buttons of %s (%s)", result.request_id, slack_error(exc))
    await tracker.discard()
