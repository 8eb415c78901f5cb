"""Made images on their way to a person: kept until delivered, retried, then offered again.

Between the gateway's answer and a confirmed upload the images live in the store
(`kept_results`), and the ledger row says `pending`. A surface hands `Deliveries.deliver`
an attempt that uploads them and raises `DeliveryFailed` naming the real cause. A cause that
may pass (a 5xx, a dropped connection) is tried again with backoff for
IMAGINE_DELIVERY_RETRY_SECONDS; then, or at once for a cause that will not pass (a missing
permission), the row becomes `undelivered`: it stops counting against the person's limits
and the images stay kept for IMAGINE_RESULT_RETENTION_HOURS, for "Deliver again".
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from bot.config import Settings
from bot.errors import BadRequest, NotAllowed, UserFacingError
from bot.models import Actor, GeneratedImage, LedgerEntry, Result
from bot.store import Store
from bot.store.open import sqlite_path
from bot.store.postgres_sql import safe_url
from bot.wording import format_duration

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 8.0
# A delivery still pending this long after its retries should have ended lost its process.
STALE_AFTER = timedelta(minutes=10)


class DeliveryFailed(Exception):
    """One delivery attempt failed: the cause in plain words, what fixes it, whether to retry."""

    def __init__(self, cause: str, *, transient: bool, fix: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.transient = transient
        self.fix = fix

    @classmethod
    def internal(cls, doing: str) -> DeliveryFailed:
        """A bug of ours while `doing` ('posting them'): logged by the caller, never retried."""
        return cls(
            f"something went wrong inside the bot while {doing}",
            transient=False,
            fix="The error was logged; tell the bot's admin if it keeps happening.",
        )


class Undelivered(UserFacingError):
    """Images were made but could not be delivered; they are kept for another try."""

    kind = "undelivered"
    states_charge = False  # its own sentence says they count only once received
    states_charge = False  # its own sentence says they count only once received

    def __init__(self, request_id: str, failure: DeliveryFailed, kept_for: str, again: str) -> None:
        self.request_id = request_id
        self.failure = failure
        fix = f" {failure.fix}" if failure.fix else ""
        super().__init__(
            f"The images of request {request_id[:8]} were made, but {failure.cause}.{fix} "
            f"They are kept for {kept_for} and do not count against your limits "
            f"until you receive them. {again}"
        )


class Deliveries:
    """Deliver made images through a surface, and claim kept ones for Deliver again."""

    def __init__(self, settings: Settings, store: Store, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock

    @property
    def kept_for(self) -> str:
        """How long undelivered images are kept, as people read it ('48 h')."""
        return format_duration(self.settings.result_retention_hours * 3600)

    @property
    def kept_where(self) -> str:
        """The database that keeps the images: a SQLite file, or a URL without password."""
        url = self.settings.database_url
        return sqlite_path(url) if url.startswith("sqlite:") else safe_url(url)

    async def deliver(self, result: Result, attempt: Callable[[], Awaitable[T]], again: str) -> T:
        """Run `attempt` until it delivers or the retry time is spent; the ledger says which.

        Raises `Undelivered` (the images stay kept), ending with `again` (how to get them),
        when it never succeeded.
        """
        try:
            delivered = await retrying(attempt, self.settings.delivery_retry_seconds)
        except asyncio.CancelledError:  # the bot is stopping: kept for Deliver again
            await self._settle(result.request_id, delivered=False)
            raise
        except DeliveryFailed as failure:
            log.info("request %s not delivered: %s", result.request_id, failure.cause)
            await self._settle(result.request_id, delivered=False)
            raise Undelivered(result.request_id, failure, self.kept_for, again) from None
        await self._settle(result.request_id, delivered=True)
        return delivered

    async def claim(self, entry_id: str, actor: Actor) -> Result:
        """The kept result of a request that could not be delivered, claimed for one new
        delivery by the person who asked for it (pass it to `deliver`)."""
        entry = await self.store.get_entry(entry_id)
        if entry is None:
            raise BadRequest("That result is no longer known to the bot; start a new /imagine.")
        short = entry.id[:8]
        if (entry.platform, entry.user_id) != (actor.platform, actor.user_id):
            raise NotAllowed("Only the person who asked for these images can have them delivered.")
        if entry.delivery == "delivered":
            raise BadRequest(f"The images of request {short} were delivered already.")
        if entry.delivery is None:
            raise BadRequest(f"Request {short} made no images to deliver.")
        if not await self.store.claim_delivery(entry.id, self.clock()):
            raise BadRequest(f"The images of request {short} are being delivered right now.")
        images = await self.store.kept_results(entry.id)
        if not images:
            await self._settle(entry.id, delivered=False)
            raise BadRequest(
                f"The images of request {short} are no longer kept: undelivered images are "
                f"kept for {self.kept_for}. They did not count against your limits."
            )
        return kept_result(entry, images)

    async def expire(self) -> int:
        """Housekeeping: give up deliveries whose process stopped, purge old kept images."""
        now = self.clock()
        stale = timedelta(seconds=self.settings.delivery_retry_seconds) + STALE_AFTER
        purge = timedelta(hours=self.settings.result_retention_hours)
        return await self.store.expire_deliveries(now, now - stale, now - purge)

    async def _settle(self, entry_id: str, *, delivered: bool) -> None:
        await asyncio.shield(self.store.settle_delivery(entry_id, delivered, self.clock()))


def kept_result(entry: LedgerEntry, images: tuple[GeneratedImage, ...]) -> Result:
    """A ledger row and its kept images as the Result a surface delivers."""
    return Result(
        request_id=entry.id,
        kind=entry.kind,
        prompt=entry.prompt or "",
        options=entry.options,
        images=images,
        cost_usd=entry.est_cost_usd,
    )


async def retrying(attempt: Callable[[], Awaitable[T]], budget_s: float) -> T:
    """`attempt()`, again after a growing, jittered pause while its failure is transient and
    the next try would start within `budget_s` seconds of the first."""
    deadline = time.monotonic() + budget_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            return await attempt()
        except DeliveryFailed as failure:
            wait = pause * random.uniform(0.5, 1.0)
            if not failure.transient or time.monotonic() + wait > deadline:
                raise
            log.info("delivery failed (%s); trying again in %.1f s", failure.cause, wait)
        await asyncio.sleep(wait)
        pause = min(pause * 2, MAX_PAUSE_S)
