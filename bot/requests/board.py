"""Progress of one request, shown without ever holding the request up.

The handler reports steps as fast as they come (a streamed image sends many partials).
A step only replaces the one waiting to be shown; one background task shows the latest,
at most once per interval. The interval grows with the requests sharing the platform's
budget (`Pace`), so 200 requests at once make no more edits than the platform allows, and
the acknowledgement counts as the first edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.models import Progress
from bot.requests import words
from bot.requests.surface import Surface

log = logging.getLogger(__name__)


class Board:
    """Shows the latest progress step on a surface, paced."""

    def __init__(self, surface: Surface, interval: Callable[[], float]) -> None:
        self._surface = surface
        self._interval = interval
        self._latest: Progress | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self._shown_at = asyncio.get_running_loop().time()

    async def report(self, step: Progress) -> None:
        """The handler's progress callback: returns at once."""
        if self._closed.is_set() or step.stage == "done":
            return
        self._latest = step
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._show())

    async def close(self) -> None:
        """Drop the step not yet shown and wait for an edit already on its way."""
        self._closed.set()
        self._latest = None
        if self._task is not None:
            await self._task

    async def _show(self) -> None:
        loop = asyncio.get_running_loop()
        while self._latest is not None and not self._closed.is_set():
            pause = self._shown_at + self._interval() - loop.time()
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), pause)
                continue
            step, self._latest = self._latest, None
            self._shown_at = loop.time()
            try:
                await self._surface.progress(words.progress(step), step.preview)
            except Exception:
                log.warning("could not show progress", exc_info=True)
