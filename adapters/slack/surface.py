"""One request shown in Slack: the working message, its progress, the upload and the card.

The working message is posted when the runner takes the request and edited as it goes;
the images are uploaded with their prompt and cost, and the working message becomes the
card with the buttons. What goes wrong is said only to the person who asked.

`chat.update` is a Tier 3 method, about 50 calls a minute per workspace, and the cards use
it too: progress edits share 40 a minute per workspace (the runner paces them), so under
load a request costs its working message, three upload calls and its card, no edit between.
"""

from __future__ import annotations

import logging

from adapters.slack.admins import SLACK_ERRORS, slack_error
from adapters.slack.cards import CardIds, result_card
from adapters.slack.context import Place, Services, notify
from adapters.slack.delivery import DELIVER_AGAIN, deliver_again_blocks, delivery_failure
from adapters.slack.files import upload
from adapters.slack.replies import STARTING, progress_text, upload_comment
from bot.delivery import DeliveryFailed
from bot.errors import NotAllowed, Refused, UserFacingError
from bot.models import Result
from bot.requests import Failure, Headline, Pace, words

log = logging.getLogger(__name__)

PROGRESS_EDITS_PER_S = 40 / 60
MISSING_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived"}
PRIVATE_NOTE = "Only you will see this one: I'm making it in our direct messages."


def no_direct_message(exc: Exception) -> UserFacingError:
    """Why a private request could not reach the person's direct messages."""
    return Refused(
        f"I couldn't open a direct message with you ({slack_error(exc)}), so I didn't start "
        "your private image.",
        then="Leave out --private, or ask an admin to add the im:write scope to the app.",
    )


def not_started(exc: Exception) -> UserFacingError:
    """Why the working message could not be posted, so nothing was started."""
    error = slack_error(exc)
    if error in MISSING_CHANNEL:
        return NotAllowed(
            "I'm not a member of this channel, so I can't post images here.",
            then="Invite me with `/invite @Imagine` and try again.",
        )
    if error == "ratelimited":
        return Refused(
            "Slack is asking the bot to slow down right now, so I couldn't start your image.",
            then="Try again in a minute.",
        )
    return Refused(
        f"Slack did not take my message ({error}), so I couldn't start your image.",
        then="Try again in a minute.",
    )


class SlackSurface:
    """Where one request is shown: a working message in a channel or thread.

    `source_ids` are the Slack files the request works on, for the Re-roll button of its
    card. A Deliver again posts no working message: its card is posted with the images.
    `home` is where the working message, the images and the card go: the place itself, or
    for a private request the person's direct messages; notes go to `place`.
    """

    def __init__(self, svc: Services, place: Place, source_ids: tuple[str, ...] = ()) -> None:
        self.svc = svc
        self.place = place
        self.home = place
        self.private = False
        self.source_ids = source_ids
        self.pace: Pace | None = Pace(f"slack:{place.team_id}", PROGRESS_EDITS_PER_S, 1.0)
        self.headline = Headline("generate", "")
        self.ts: str | None = None

    async def acknowledge(self, headline: Headline) -> bool:
        """Post the working message; when Slack will not take it, say why and start nothing."""
        self.headline = headline
        if headline.kind == "deliver":
            return True
        self.private = headline.private
        if self.private and not await self._go_private():
            return False
        place = self.home
        try:
            posted = await self.svc.client.chat_postMessage(
                channel=place.channel_id, thread_ts=place.thread_ts, text=self._text()
            )
        except SLACK_ERRORS as exc:
            log.warning("could not post the working message (%s)", slack_error(exc))
            await self.fail(words.failure(not_started(exc)))
            return False
        self.ts = str(posted["ts"])
        return True

    async def progress(self, text: str, preview: bytes | None) -> None:
        """Edit the working message (the runner paces the edits)."""
        if self.ts is None:
            return
        try:
            await self.svc.client.chat_update(
                channel=self.home.channel_id, ts=self.ts, text=self._text(text)
            )
        except SLACK_ERRORS as exc:
            log.warning("progress update failed (%s)", slack_error(exc))

    async def deliver(self, result: Result) -> None:
        """Upload the images with prompt and cost, then turn the working message into the card
        (a private result that comes by Deliver again goes to the direct messages too)."""
        if result.options.private and not self.private:
            self.private = True
            if not await self._go_private(note=False):
                raise DeliveryFailed(
                    "a direct message with you could not be opened", transient=False
                )
        place = self.home
        comment = upload_comment(place.user_id, result)
        try:
            file_ids = await upload(
                self.svc.client, place.channel_id, place.thread_ts, result.images, comment
            )
        except Exception as exc:
            log.warning("upload of request %s failed (%s)", result.request_id, slack_error(exc))
            raise delivery_failure(exc) from None
        await self._card(result, CardIds(result.request_id, tuple(file_ids), self.source_ids))

    async def fail(self, failure: Failure) -> None:
        """Remove the working message; tell the person why, with Deliver again when it helps."""
        await self._remove()
        blocks = None
        if failure.again is not None:
            blocks = deliver_again_blocks(failure.text, failure.again, self.place.thread_ts)
        await notify(self.svc, self.place, failure.text, blocks=blocks)

    async def drop(self, text: str | None = None) -> None:
        """Remove the working message of a repeat; tell the person when `text` says why."""
        await self._remove()
        if text is not None:
            await notify(self.svc, self.place, text)

    def again(self, request_id: str) -> str:
        """The Deliver again button offered with a failed delivery."""
        return DELIVER_AGAIN

    async def _go_private(self, *, note: bool = True) -> bool:
        """Move `home` to the person's direct messages; say so in the channel."""
        place = self.place
        try:
            opened = await self.svc.client.conversations_open(users=place.user_id)
        except SLACK_ERRORS as exc:
            log.warning("could not open a direct message (%s)", slack_error(exc))
            if note:
                await self.fail(words.failure(no_direct_message(exc)))
            return False
        channel = str(opened["channel"]["id"])
        self.home = Place(place.team_id, channel, place.user_id)
        if note and channel != place.channel_id:
            await notify(self.svc, place, PRIVATE_NOTE)
        return True

    def _text(self, state: str = STARTING) -> str:
        return progress_text(self.place.user_id, self.headline.kind, self.headline.prompt, state)

    async def _card(self, result: Result, ids: CardIds) -> None:
        """Turn the working message into the card; post the card anew when that fails."""
        place, client = self.home, self.svc.client
        text, blocks = result_card(place.user_id, result, ids)
        if self.ts is not None:
            try:
                await client.chat_update(
                    channel=place.channel_id, ts=self.ts, text=text, blocks=blocks
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
            log.warning(
                "could not post the buttons of %s (%s)", result.request_id, slack_error(exc)
            )
        await self._remove()

    async def _remove(self) -> None:
        if self.ts is None:
            return
        try:
            await self.svc.client.chat_delete(channel=self.home.channel_id, ts=self.ts)
        except SLACK_ERRORS as exc:
            log.warning("could not delete the working message (%s)", slack_error(exc))
        self.ts = None
