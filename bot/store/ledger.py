"""The ledger's side of the store: reservations, their settlement, kept results and their
delivery, one row by id (the reservation's plan is in reserve_sql.py, its batches in batch.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import CostSource, GeneratedImage, LedgerEntry, Limits, Reservation, TokenUsage
from bot.store.batch import ReserveQueue
from bot.store.common import abandon_due, is_exempt, reserved_entry, utc
from bot.store.delivery_sql import (
    CLAIM,
    DELIVERED,
    FORGET_KEPT,
    GIVE_UP,
    KEEP,
    KEPT,
    PURGE_KEPT,
    UNDELIVERED,
    keep_params,
    kept_from_rows,
)
from bot.store.dialect import Database, Session
from bot.store.reserve_sql import raise_refusal, reserve_plan
from bot.store.sql import FAIL, PURGE_PROMPTS, SELECT_ENTRY, SUCCEED, entry_from_row, succeed_params

_RESERVE_ATTEMPTS = 5


class Ledger:
    """Ledger rows from reservation to delivery; `Store` (store.py) is one."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._abandoned_at: datetime | None = None
        self._reservations = ReserveQueue(db.reserve)

    async def reserve(self, reservation: Reservation, limits: Limits, now: datetime) -> LedgerEntry:
        """Check every budget that applies and insert a reserved row, atomically across
        processes (budgets.py names the budgets; reserve_sql.py plans the reservation; batch.py
        sends it with the others waiting).

        Raises `Disabled`, `Cooldown` or `LimitReached` when the request would exceed
        `limits` (reserved rows whose deadline has passed count nothing: they are settled
        as abandoned and the reservation tried again), and `Duplicate` when the idempotency
        key is already in the ledger. `limits.admins_exempt` with an admin skips the checks.
        """
        now = utc(now)
        entry = reserved_entry(reservation, now)
        plan = reserve_plan(entry, limits, is_exempt(reservation, limits))
        await self._abandon_expired(now)
        for attempt in range(_RESERVE_ATTEMPTS):
            row = await self._reservations.reserve(plan)
            if row is None:
                return entry
            if attempt == 0 and await self.db.execute(self.db.abandon_sql, {"now": now}):
                continue
            raise_refusal(reservation, limits, plan, row, now)
        raise RuntimeError("a reservation was refused but no limit explains why")

    async def _abandon_expired(self, now: datetime) -> None:
        """Settle expired reservations, at most once per second of `now` per store."""
        if abandon_due(self._abandoned_at, now):
            self._abandoned_at = now
            await self.db.execute(self.db.abandon_sql, {"now": now})

    async def settle_succeeded(
        self,
        entry_id: str,
        images_delivered: int,
        usage: TokenUsage | None,
        cost_usd: float,
        now: datetime,
        cost_source: CostSource = "table",
    ) -> None:
        """Mark a reserved row succeeded with what was delivered, what it cost and how we know.

        A row already settled as abandoned (its process overran the deadline) is charged
        too: the images were made and paid for. Failed rows stay failed.
        """
        params = succeed_params(entry_id, images_delivered, usage, cost_usd, now, cost_source)
        await self.db.execute(SUCCEED, params)

    async def settle_failed(self, entry_id: str, error_kind: str, now: datetime) -> None:
        """Mark a reserved row failed: nothing is charged."""
        await self.db.execute(FAIL, {"id": entry_id, "error_kind": error_kind, "now": utc(now)})

    async def settle_abandoned(self, now: datetime) -> int:
        """Settle every reserved row whose deadline has passed as abandoned; returns count."""
        return await self.db.execute(self.db.abandon_sql, {"now": utc(now)})

    async def keep_results(
        self, entry_id: str, images: Sequence[GeneratedImage], now: datetime
    ) -> None:
        """Keep a request's made images until they are delivered (or the retention ends)."""
        rows = keep_params(entry_id, images, utc(now))
        if rows:
            await self.db.executemany(KEEP, rows)

    async def kept_results(self, entry_id: str) -> tuple[GeneratedImage, ...]:
        """The images kept for a request, in order (none once delivered or purged)."""
        return kept_from_rows(await self.db.fetch(KEPT, {"id": entry_id}))

    async def settle_delivery(self, entry_id: str, delivered: bool, now: datetime) -> None:
        """End a pending delivery: delivered (its kept images are deleted at once) or not
        (kept for Deliver again, and no longer counted against the person's limits)."""
        params = {"id": entry_id, "now": utc(now)}
        if not delivered:
            await self.db.execute(UNDELIVERED, params)
            return

        async def body(session: Session) -> None:
            await session.execute(DELIVERED, params)
            await session.execute(FORGET_KEPT, params)

        await self.db.transaction(body)

    async def claim_delivery(self, entry_id: str, now: datetime) -> bool:
        """Turn an undelivered row back to pending for one new try; False when it is not
        undelivered (delivered, or a delivery of it is under way)."""
        return await self.db.execute(CLAIM, {"id": entry_id, "now": utc(now)}) > 0

    async def expire_deliveries(
        self, now: datetime, stale_before: datetime, purge_before: datetime
    ) -> int:
        """Settle deliveries pending since before `stale_before` as undelivered (their process
        stopped) and delete images kept since before `purge_before`; returns how many images."""
        await self.db.execute(GIVE_UP, {"before": utc(stale_before), "now": utc(now)})
        return await self.db.execute(PURGE_KEPT, {"before": utc(purge_before)})

    async def get_entry(self, entry_id: str) -> LedgerEntry | None:
        """One ledger row by id."""
        rows = await self.db.fetch(f"{SELECT_ENTRY} WHERE id = :id", {"id": entry_id})
        return entry_from_row(rows[0], self.db.moment) if rows else None

    async def purge_prompts(self, before: datetime) -> int:
        """Forget prompts of rows created before a moment; returns how many."""
        return await self.db.execute(PURGE_PROMPTS, {"before": utc(before)})
