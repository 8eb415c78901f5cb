"""Progress edits of one working message, coalesced in the background.

The handler reports steps as fast as they come (a streamed image sends many partials), while
`chat.update` is a Tier 3 method (about 50 a minute per workspace) that answers 429 beyond it.
So a step only replaces the text waiting to be shown, one background task sends the latest at
most once per interval, and the request never waits for Slack while it reads the image stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from adapters.slack.context import SLACK_ERRORS, slack_error

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 1.0


class ProgressEdits:
    """Shows the latest text through `send`, at most once per `interval` seconds."""

    def __init__(
        self, send: Callable[[str], Awaitable[None]], interval: float = PROGRESS_INTERVAL_S
    ) -> None:
        self._send = send
        self._interval = interval
        self._latest: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()

    def show(self, text: str) -> None:
        """Take the newest text; it replaces any text not yet sent."""
        if self._closed.is_set():
            return
        self._latest = text
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Drop the text not yet sent and wait for an edit already on its way to Slack."""
        self._closed.set()
        self._latest = None
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._latest is not None:
            text, self._latest = self._latest, None
            sent = loop.time()
            try:
                await self._send(text)
            except SLACK_ERRORS as exc:
                log.warning("progress update failed (%s)", slack_error(exc))
            pause = self._interval - (loop.time() - sent)
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), pause)
