"""Discord as the runner's Surface: what one request shows, on an interaction or a reply.

Discord lets a bot make about 50 REST calls a second in all. Progress edits share 20 of
them across the whole bot (at most one per request a second), which leaves the rest for
deferrals, results and errors: a request costs a defer and a result, plus a progress edit
when it runs longer than a second.
"""

from __future__ import annotations

from adapters.discord.deliver import DELIVER_AGAIN, delivery_failure
from adapters.discord.replies import headline, preview_file, result_files, result_text
from adapters.discord.respond import Responder
from adapters.discord.services import Origin, Services
from bot.models import Result
from bot.requests import Failure, Headline, Pace

PACE = Pace("discord", calls=20, least=1.0)


class DiscordSurface:
    """One request on Discord: `responder` says where, `origin` where its sources live (for
    its Re-roll button), `user_id` whom its messages name."""

    pace: Pace | None = PACE

    def __init__(
        self, responder: Responder, services: Services, user_id: int, origin: Origin
    ) -> None:
        self.responder = responder
        self.services = services
        self.user_id = user_id
        self.origin = origin
        self.title = ""
        self.started = False

    async def acknowledge(self, headline_: Headline) -> bool:
        """Defer (or reply 'Working on it…'); False when Discord says it is too late."""
        self.title = headline(headline_.kind, headline_.prompt, self.user_id)
        self.started = await self.responder.start(self.title, headline_.private)
        return self.started

    async def progress(self, text: str, preview: bytes | None) -> None:
        """The headline and where the request stands, with the latest preview as a file."""
        shown = preview_file(preview) if preview else None
        await self.responder.progress(f"{self.title}\n{text}", shown)

    async def deliver(self, result: Result) -> None:
        """The images with their buttons; a failure names its cause (DeliveryFailed)."""
        text = result_text(result, self.user_id)
        view = self.services.result_view(result, self.origin)
        try:
            await self.responder.finish(text, result_files(result), view)
        except Exception as exc:
            raise delivery_failure(exc) from None

    async def fail(self, failure: Failure) -> None:
        """The error, privately, with Deliver again when the images are kept."""
        view = None if failure.again is None else self.services.again_view(failure.again)
        if self.started:
            await self.responder.fail(failure.text, view)
        else:
            await self.responder.refuse(failure.text, view)

    async def drop(self, text: str | None = None) -> None:
        """Remove the response of a repeat; `text` tells the person why, privately."""
        if self.started:
            await self.responder.drop(text)
        elif text:
            await self.responder.refuse(text, None)

    def again(self, request_id: str) -> str:
        """How to get kept images: the button under the error."""
        return DELIVER_AGAIN
