"""The Runner: one request from "a person asked" to "they have their images or know why not"."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable
from dataclasses import replace
from functools import partial

from bot import controls
from bot.delivery import Undelivered
from bot.errors import Duplicate, UserFacingError
from bot.handler import ImagineHandler
from bot.models import Actor, ImageRequest, LedgerEntry, Options, Result
from bot.requests import words
from bot.requests.ask import Ask, Headline
from bot.requests.board import Board
from bot.requests.notices import Notices
from bot.requests.surface import Failure, Surface
from bot.tracking import running

log = logging.getLogger(__name__)


class Runner:
    """Runs every request of every surface; tracks them so shutdown can drain them."""

    def __init__(self, handler: ImagineHandler, notices: Notices | None = None) -> None:
        self.handler = handler
        self.notices = notices or Notices(handler)
        self._tasks: set[asyncio.Task[object]] = set()
        self._presses: set[tuple[str, ...]] = set()
        self._keys: set[str] = set()  # the events running now, so a redelivery is dropped
        self._active: Counter[str] = Counter()

    @property
    def running(self) -> int:
        """Requests running now, from acknowledgement to delivery."""
        return len(self._tasks)

    async def submit(self, ask: Ask, surface: Surface) -> None:
        """Run one request to its end on `surface`. Never raises, except when cancelled."""
        press = ask.press_key
        if ask.key in self._keys:
            log.info("dropped a repeat of %s while it runs", ask.key)
            await _quietly(surface.drop())
            return
        if press is not None and press in self._presses:
            await _quietly(surface.drop(words.PRESSED_AGAIN))
            return
        if press is not None:
            self._presses.add(press)
        self._keys.add(ask.key)
        pace = surface.pace.key if surface.pace else ""
        try:
            with running(self._tasks, self._active, pace):
                await self._lifecycle(ask, surface)
        finally:
            if press is not None:
                self._presses.discard(press)
            self._keys.discard(ask.key)

    async def drain(self, grace: float) -> int:
        """Take no new requests; let running ones finish within `grace` seconds, then stop
        the rest (each tells its person). Returns how many were stopped."""
        self.handler.close_intake()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        late = list(self._tasks)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=5)
        return len(late)

    async def _lifecycle(self, ask: Ask, surface: Surface) -> None:
        try:
            headline = await self._headline(ask)
        except UserFacingError as exc:
            await _quietly(surface.fail(words.failure(exc)))
            return
        if not await surface.acknowledge(headline):
            return
        board = self._board(surface)
        try:
            result = await self._run(ask, board)
        except Duplicate:
            log.info("dropped a repeat of %s", ask.key)
            await _closed(board)
            await _quietly(surface.drop())
            return
        except UserFacingError as exc:
            await _closed(board)
            await _quietly(surface.fail(words.failure(exc)))
            return
        except Exception:
            log.exception("request %s failed inside the bot", ask.key)
            await _closed(board)
            await _quietly(surface.fail(words.internal()))
            return
        await _closed(board)
        result = await self.notices.with_remaining(ask.actor, result)
        delivered, link = await self._deliver(result, surface)
        if delivered:
            await self.notices.delivered(ask.actor, result, link)

    def _board(self, surface: Surface) -> Board | None:
        pace = surface.pace
        if pace is None:
            return None
        return Board(surface, lambda: pace.interval(self._active[pace.key]))

    async def _headline(self, ask: Ask) -> Headline:
        """What the request makes, checking its text (and that it may be private) before
        anything is shown."""
        if ask.kind == "reroll":
            entry = await self.handler.entry(self._parent(ask))
            return Headline(entry.kind, entry.prompt or "")
        if ask.kind == "deliver":
            return Headline("deliver", "")
        prompt, options = self.handler.parse(
            ask.text, ask.typed, require_prompt=ask.kind == "generate"
        )
        if options.private:
            await self.handler.check_private(ask.actor)
        if ask.kind == "control":
            return Headline(controls.parse(ask.control).kind, prompt, options.private)
        return Headline(ask.kind, prompt, options.private)

    async def _run(self, ask: Ask, board: Board | None) -> Result:
        handler = self.handler
        progress = None if board is None else board.report
        if ask.kind == "deliver":
            return await handler.deliver_again(self._parent(ask), ask.actor)
        if ask.kind == "reroll":
            return await handler.reroll(
                self._parent(ask),
                ask.actor,
                ask.key,
                sources=tuple(await ask.sources()),
                upload_cap_bytes=ask.upload_cap_bytes,
                progress=progress,
            )
        req = await self._request(ask)
        if ask.kind == "control":
            return await handler.control(req, controls.parse(ask.control), progress)
        run = {"generate": handler.generate, "edit": handler.edit, "vary": handler.vary}
        return await run[ask.kind](req, progress)

    async def _request(self, ask: Ask) -> ImageRequest:
        """The handler's request: options from the text, the typed options, the result the
        control sits under, and the first source's shape."""
        sources = tuple(await ask.sources())
        shape = (sources[0].width, sources[0].height) if sources else None
        parent = await self.handler.entry(ask.parent_id) if ask.parent_id else None
        prompt, opts = self.handler.parse(
            ask.text,
            ask.typed,
            require_prompt=ask.kind == "generate",
            source=shape,
            base=None if parent is None else inherited(ask, parent, self.handler.defaults),
        )
        mask = None
        if ask.mask is not None:
            mask = next(iter(await ask.mask()), None)
        return ImageRequest(
            kind=ask.kind if ask.kind in ("generate", "edit", "vary") else "edit",
            prompt=prompt,
            actor=ask.actor,
            idempotency_key=ask.key,
            options=opts,
            sources=sources,
            mask=mask,
            upload_cap_bytes=ask.upload_cap_bytes,
            parent_id=ask.parent_id,
        )

    @staticmethod
    def _parent(ask: Ask) -> str:
        if ask.parent_id is None:
            raise ValueError(f"a {ask.kind} needs the result it was pressed under")
        return ask.parent_id

    async def _deliver(self, result: Result, surface: Surface) -> tuple[bool, str | None]:
        """Whether the result was delivered, and its link where the surface gives one."""
        again = surface.again(result.request_id)
        try:
            link = await self.handler.deliver(result, partial(surface.deliver, result), again=again)
        except Undelivered as exc:
            await _quietly(surface.fail(Failure(exc.message, exc, result.request_id)))
            return False, None
        except asyncio.CancelledError:  # the bot is stopping; the handler kept the images
            kept_for = self.handler.deliveries.kept_for
            stopped = Undelivered(result.request_id, words.STOPPED, kept_for, again)
            await _quietly(surface.fail(Failure(stopped.message, stopped, result.request_id)))
            raise
        return True, link

    async def would_refuse(self, actor: Actor) -> str | None:
        """Why a request by `actor` would be refused here anyway (off, or nothing left),
        for surfaces that ask for more input first (an edit's modal)."""
        return await self.handler.would_refuse(actor)


def inherited(ask: Ask, parent: LedgerEntry, defaults: Options) -> Options:
    """The options a control under a result starts from: a variation or a creative control
    keeps the result's options (one image); an edit keeps its quality and format."""
    options = parent.options
    if ask.kind in ("vary", "control"):
        return replace(options, n=1)
    return replace(defaults, quality=options.quality, output_format=options.output_format)


async def _closed(board: Board | None) -> None:
    if board is not None:
        await board.close()


async def _quietly(step: Awaitable[None]) -> None:
    """A step that tells the person something; its failure is logged, never raised."""
    try:
        await step
    except Exception:
        log.warning("could not tell the person", exc_info=True)
