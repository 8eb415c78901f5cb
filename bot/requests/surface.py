"""The small protocol a platform implements to show one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.errors import UserFacingError
from bot.models import Result
from bot.requests.ask import Headline


@dataclass(frozen=True)
class Failure:
    """Why a request ended without images: the words to show, the error behind them (None
    for a bug), and the request whose kept images Deliver again would post."""

    text: str
    error: UserFacingError | None = None
    again: str | None = None


@dataclass(frozen=True)
class Pace:
    """How often a platform lets requests edit their progress.

    `calls` progress edits per second are shared by every request with the same `key`
    (Discord: the whole bot; Slack: one workspace, since chat.update is limited per
    workspace); one request edits at most every `least` seconds.
    """

    key: str
    calls: float
    least: float = 1.0

    def interval(self, active: int) -> float:
        """Seconds between two edits of one request while `active` requests share the key."""
        return max(self.least, active / self.calls)


class Surface(Protocol):
    """Where one request is shown: a Discord interaction, a Slack message, a terminal.

    `pace` is how often it may show progress; None for a surface that shows none (then no
    progress, and no streamed previews, are asked of the gateway).
    """

    pace: Pace | None

    async def acknowledge(self, headline: Headline) -> bool:
        """Show at once that the request was taken; False when the platform says it was
        already answered (then nothing more happens)."""
        ...

    async def progress(self, text: str, preview: bytes | None) -> None:
        """Show how the request is getting on (paced by the runner)."""
        ...

    async def deliver(self, result: Result) -> str | None:
        """Post the images with their controls (and `result.remaining` in the footer);
        raise DeliveryFailed naming the cause. May return a link to the posted result."""
        ...

    async def fail(self, failure: Failure) -> None:
        """Show why the request ended without images, to the requester (privately where the
        platform allows), with a Deliver again control when `failure.again` names a request."""
        ...

    async def drop(self, text: str | None = None) -> None:
        """Remove what was shown: the request was a repeat (`text` says so to the person)."""
        ...

    def again(self, request_id: str) -> str:
        """How the person gets undelivered images of `request_id` later ('Press Deliver
        again …', or the command that writes them)."""
        ...
