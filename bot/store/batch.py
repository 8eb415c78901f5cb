"""Reservations in batches: what a process asks to reserve while its previous batch is at the
database goes with the next batch, in one statement (PostgreSQL) or one transaction (SQLite).

Reservations of one busy channel all charge the same counters (the channel's, the
workspace's, the installation's), so each waits for the others' locks; in a batch the
database takes those locks, reads the counters and moves them once for all of its
reservations. The database decides them in order, each against the counters plus the ones
granted before it in the batch, so a batch grants exactly what the reservations one after
the other would have. A lone reservation goes at once, as a batch of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.store.dialect import Row
from bot.store.reserve_sql import ReservePlan

MAX_BATCH = 100
Reserve = Callable[[Sequence[ReservePlan]], Awaitable[list[Row | None]]]
Answer = asyncio.Future[Row | None]


class ReserveQueue:
    """The reservations waiting for the database, sent one batch at a time."""

    def __init__(self, reserve: Reserve) -> None:
        self._reserve = reserve
        self._waiting: list[tuple[ReservePlan, Answer]] = []
        self._sending: asyncio.Task[None] | None = None

    async def reserve(self, plan: ReservePlan) -> Row | None:
        """The database's answer for one plan (`Database.reserve`), sent with the next batch.

        A caller cancelled before its batch leaves is left out of it.
        """
        future: Answer = asyncio.get_running_loop().create_future()
        self._waiting.append((plan, future))
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        """Send batches until nobody waits; each caller gets its own row or the error."""
        while self._waiting:
            batch = [(plan, f) for plan, f in self._waiting[:MAX_BATCH] if not f.done()]
            del self._waiting[:MAX_BATCH]
            try:
                await self._send_batch(batch)
            except BaseException as exc:
                for _, future in batch:
                    _fail(future, exc)
                raise

    async def _send_batch(self, batch: list[tuple[ReservePlan, Answer]]) -> None:
        """One batch to the database. When it fails nothing of it went in (a batch is one
        statement or one transaction), so each of its plans is sent again alone: only the
        one the database cannot take gets the error."""
        if not batch:
            return
        try:
            rows = await self._reserve([plan for plan, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            for one in batch:
                await self._send_batch([one])
            return
        for (_, future), row in zip(batch, rows, strict=True):
            if not future.done():
                future.set_result(row)


def _fail(future: Answer, exc: BaseException) -> None:
    if future.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        future.cancel()
    else:
        future.set_exception(exc)
