"""The one store: the usage ledger, limits, audit trail and kept results, on any `Database`.

Every statement is written once (sql.py, delivery_sql.py, reports.py) and runs on SQLite
and PostgreSQL alike; the databases differ only in how a transaction runs and how a
reservation locks what it checks (sqlite.py, postgres.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime

from bot.models import (
    EVERYWHERE,
    Actor,
    CostSource,
    GeneratedImage,
    LedgerEntry,
    LimitChange,
    Limits,
    Reservation,
    Scope,
    TokenUsage,
)
from bot.store import alerts, reports
from bot.store.alerts import AlertSent
from bot.store.batch import ReserveQueue
from bot.store.budgets import BudgetUse
from bot.store.common import (
    abandon_due,
    changed_limits,
    checked_limit_changes,
    is_exempt,
    manager_change,
    reserved_entry,
    utc,
)
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
from bot.store.dialect import Database, Params, Session
from bot.store.reserve_sql import raise_refusal, reserve_plan
from bot.store.sql import (
    ADD_MANAGER,
    FAIL,
    INSERT_LIMIT_CHANGE,
    IS_MANAGER,
    LIMIT_CHANGES,
    LOCK_LIMITS,
    MANAGERS,
    PURGE_PROMPTS,
    REMOVE_MANAGER,
    SCOPE_EXACT,
    SELECT_ENTRY,
    SELECT_LIMITS,
    SELECT_TIERS,
    SUCCEED,
    UPSERT_LIMITS,
    change_from_row,
    change_params,
    entry_from_row,
    limit_values,
    limits_from_rows,
    many_scopes,
    scope_params,
    succeed_params,
)
from bot.store.web_sql import KEPT_SECRET, OFFER_SECRET
from bot.usage import ScopeUsage, UserUsage

_RESERVE_ATTEMPTS = 5


class Store:
    """Everything the handler and the CLI need from the database; `open_store(url)` makes one."""

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

    async def get_limits(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        return limits_from_rows(await self.db.fetch(SELECT_LIMITS, scope_params(scope)))

    async def limits_of_many(self, scopes: Sequence[Scope]) -> list[Limits]:
        """The limits set for exactly each of `scopes`, in their order, in one query."""
        if not scopes:
            return []
        sql, params = many_scopes(scopes)
        found = {
            Scope(*row[:3]): limits_from_rows([row[3:]]) for row in await self.db.fetch(sql, params)
        }
        return [found.get(scope, Limits()) for scope in scopes]

    async def tiers(self, platform: str, workspace_id: str) -> list[tuple[Scope, Limits]]:
        """The role tiers and person overrides of a workspace that set any key, by scope."""
        rows = await self.db.fetch(
            SELECT_TIERS, {"platform": platform, "workspace_id": workspace_id}
        )
        found = [
            (Scope(platform, workspace_id, row[0]), limits_from_rows([row[1:]])) for row in rows
        ]
        return [(scope, limits) for scope, limits in found if limits != Limits()]

    async def set_limits(
        self, scope: Scope, changes: Mapping[str, object], changed_by: str, now: datetime
    ) -> Limits:
        """Set (or clear, with None) limit keys for a scope and audit each change."""
        checked = checked_limit_changes(changes)

        async def body(session: Session) -> Limits:
            where = scope_params(scope)
            await session.execute(LOCK_LIMITS, where)
            old = limits_from_rows(await session.fetch(SELECT_LIMITS, where))
            new, audit = changed_limits(old, checked, scope, changed_by, now)
            if audit:
                await session.execute(UPSERT_LIMITS, where | limit_values(new))
                await session.executemany(INSERT_LIMIT_CHANGE, [change_params(c) for c in audit])
            return new

        return await self.db.transaction(body)

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail, oldest first; for one scope or all."""
        where, params = ("TRUE", {}) if scope is None else (SCOPE_EXACT, scope_params(scope))
        rows = await self.db.fetch(LIMIT_CHANGES.format(where=where), params)
        return [change_from_row(row, self.db.moment) for row in rows]

    async def user_usage(
        self, scope: Scope, user_id: str, limits: Limits, now: datetime
    ) -> UserUsage:
        """One user's usage today and this month (UTC) in a workspace, with their channel's."""
        return await self.db.snapshot(
            lambda session: reports.user_usage(session.fetch, scope, user_id, limits, utc(now))
        )

    async def scope_usage(self, scope: Scope, now: datetime, top: int = 10) -> ScopeUsage:
        """Totals and top users for a channel, a workspace ('*' channel) or a platform."""
        return await self.db.snapshot(
            lambda session: reports.scope_usage(session.fetch, scope, utc(now), top)
        )

    def export(
        self,
        since: datetime,
        until: datetime,
        scope: Scope = EVERYWHERE,
        user_id: str | None = None,
    ) -> AsyncIterator[LedgerEntry]:
        """Ledger rows created in [since, until) in a scope ('*' matches all), oldest first."""
        return reports.export(self.db.fetch, since, until, (scope, user_id), self.db.moment)

    async def purge_prompts(self, before: datetime) -> int:
        """Forget prompts of rows created before a moment; returns how many."""
        return await self.db.execute(PURGE_PROMPTS, {"before": utc(before)})

    async def add_channel_manager(
        self, scope: Scope, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """Allow a user to manage a channel's limits; False if they already could.

        An addition is audited in `limit_changes` (key 'channel_manager', None -> user id).
        """
        params = scope_params(scope) | {"user_id": user_id, "added_by": added_by, "now": utc(now)}
        audit = manager_change(scope, user_id, True, added_by, now)
        return await self._change_managers(ADD_MANAGER, params, audit)

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
        audit = manager_change(scope, user_id, False, removed_by, now)
        params = scope_params(scope) | {"user_id": user_id}
        return await self._change_managers(REMOVE_MANAGER, params, audit)

    async def _change_managers(self, sql: str, params: Params, audit: LimitChange | None) -> bool:
        """Add or remove a manager and, in the same transaction, audit it if anything changed."""

        async def body(session: Session) -> bool:
            changed = await session.execute(sql, params) > 0
            if changed and audit is not None:
                await session.execute(INSERT_LIMIT_CHANGE, change_params(audit))
            return changed

        return await self.db.transaction(body)

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a user manages this channel, or every channel of its workspace ('*')."""
        return bool(await self.db.fetch(IS_MANAGER, scope_params(scope) | {"user_id": user_id}))

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The users listed as managers of exactly this scope, in the order they were added."""
        return [str(row[0]) for row in await self.db.fetch(MANAGERS, scope_params(scope))]

    async def budget_use(self, actor: Actor, limits: Limits, now: datetime) -> list[BudgetUse]:
        """Every budget key (budgets.py) for an actor now: used, allowed and reset moment."""
        return await alerts.budget_use(self.db, actor, limits, utc(now))

    async def claim_alert(
        self, actor: Actor, key: str, threshold: int, limits: Limits, now: datetime
    ) -> bool:
        """Claim the alert of budget `key` at `threshold` percent in its current period for
        the actor's holder: True for exactly one caller, across processes too."""
        return await alerts.claim_alert(self.db, actor, key, threshold, limits, utc(now))

    async def alerts_sent(self, platform: str, workspace_id: str) -> list[AlertSent]:
        """The budget alerts claimed for a workspace, oldest first."""
        return await alerts.alerts_sent(self.db, platform, workspace_id)

    async def web_secret(self, candidate: str, now: datetime) -> str:
        """The web face's signing key: `candidate` kept if none is yet, else the kept one."""
        await self.db.execute(OFFER_SECRET, {"secret": candidate, "now": utc(now)})
        return str((await self.db.fetch(KEPT_SECRET, {}))[0][0])

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self.db.fetch("SELECT 1", {})

    async def close(self) -> None:
        """Release connections."""
        await self.db.close()
