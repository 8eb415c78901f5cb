"""The usage ledger, limits and audit trail behind one small protocol.

`open_store(url)` picks the implementation from the database URL: `sqlite:///path`
(the default) or `postgresql://...`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.models import (
    EVERYWHERE,
    CostSource,
    GeneratedImage,
    LedgerEntry,
    LimitChange,
    Limits,
    Reservation,
    Scope,
    ScopeUsage,
    TokenUsage,
    UserUsage,
)
from bot.store.open import open_store

__all__ = ["Store", "open_store"]


class Store(Protocol):
    """Everything the handler and the CLI need from the database."""

    async def reserve(self, reservation: Reservation, limits: Limits, now: datetime) -> LedgerEntry:
        """Check the limits and insert a reserved row in one transaction.

        Raises `LimitReached` or `Cooldown` when the request would exceed `limits`
        (counting reserved and succeeded rows of the current UTC day; reserved rows whose
        deadline has passed are settled as abandoned first and count nothing), and
        `Duplicate` when the idempotency key is already in the ledger.
        `limits.admins_exempt` with `reservation.actor.is_admin` skips the checks.
        """
        ...

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
        ...

    async def settle_failed(self, entry_id: str, error_kind: str, now: datetime) -> None:
        """Mark a reserved row failed: nothing is charged."""
        ...

    async def settle_abandoned(self, now: datetime) -> int:
        """Settle every reserved row whose deadline has passed as abandoned; returns count."""
        ...

    async def keep_results(
        self, entry_id: str, images: Sequence[GeneratedImage], now: datetime
    ) -> None:
        """Keep a request's made images until they are delivered (or the retention ends)."""
        ...

    async def kept_results(self, entry_id: str) -> tuple[GeneratedImage, ...]:
        """The images kept for a request, in order (none once delivered or purged)."""
        ...

    async def settle_delivery(self, entry_id: str, delivered: bool, now: datetime) -> None:
        """End a pending delivery: delivered (its kept images are deleted at once) or not
        (kept for Deliver again, and no longer counted against the person's limits)."""
        ...

    async def claim_delivery(self, entry_id: str, now: datetime) -> bool:
        """Turn an undelivered row back to pending for one new try; False when it is not
        undelivered (delivered, or a delivery of it is under way)."""
        ...

    async def expire_deliveries(
        self, now: datetime, stale_before: datetime, purge_before: datetime
    ) -> int:
        """Settle deliveries pending since before `stale_before` as undelivered (their process
        stopped) and delete images kept since before `purge_before`; returns how many images."""
        ...

    async def get_entry(self, entry_id: str) -> LedgerEntry | None:
        """One ledger row by id."""
        ...

    async def get_limits(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        ...

    async def set_limits(
        self, scope: Scope, changes: Mapping[str, object], changed_by: str, now: datetime
    ) -> Limits:
        """Set (or clear, with None) limit keys for a scope and audit each change."""
        ...

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail, oldest first; for one scope or all."""
        ...

    async def user_usage(
        self, scope: Scope, user_id: str, limits: Limits, now: datetime
    ) -> UserUsage:
        """One user's usage today and this month (UTC) in a workspace, with their channel's."""
        ...

    async def scope_usage(self, scope: Scope, now: datetime, top: int = 10) -> ScopeUsage:
        """Totals and top users for a channel, a workspace ('*' channel) or a platform."""
        ...

    def export(
        self,
        since: datetime,
        until: datetime,
        scope: Scope = EVERYWHERE,
        user_id: str | None = None,
    ) -> AsyncIterator[LedgerEntry]:
        """Ledger rows created in [since, until) in a scope ('*' matches all), oldest first."""
        ...

    async def purge_prompts(self, before: datetime) -> int:
        """Forget prompts of rows created before a moment; returns how many."""
        ...

    async def add_channel_manager(
        self, scope: Scope, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """Allow a user to manage a channel's limits; False if they already could.

        An addition is audited in `limit_changes` (key 'channel_manager', None -> user id).
        """
        ...

    async def remove_channel_manager(
        self,
        scope: Scope,
        user_id: str,
        removed_by: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Take a user off a channel's managers; False if they were not on it.

        With `removed_by` (and `now`) the removal is audited (user id -> None).
        """
        ...

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a user manages this channel, or every channel of its workspace ('*')."""
        ...

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The users listed as managers of exactly this scope, in the order they were added."""
        ...

    async def web_secret(self, candidate: str, now: datetime) -> str:
        """The web face's signing key: `candidate` kept if none is yet, else the kept one."""
        ...

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
