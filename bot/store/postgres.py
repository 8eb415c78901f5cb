"""The store on PostgreSQL, through an asyncpg connection pool, shared by several processes.

A reservation is one transaction. It first takes transaction-scoped advisory locks on its
user and on its channel, always in key order so that two reservations never wait on each
other in a cycle; then it reads that user's and that channel's day counters (kept by
triggers in the same transactions as the ledger rows), checks them with the rules in
common.py and inserts its row. Every process charging the same user or channel queues on
the same locks, so check and insert are atomic across processes; under READ COMMITTED the
read after the locks sees every earlier holder's committed row and counter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import astuple
from datetime import datetime
from functools import partial
from typing import Any

import asyncpg

from bot.errors import ConfigError, Duplicate
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
from bot.store import reports
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
from bot.store.migrate import migrate_postgres
from bot.store.postgres_sql import (
    ABANDON,
    INSERT_ENTRY,
    LOCK,
    advisory_key,
    bind,
    pool_url,
    reserve_check,
    safe_url,
    scope_locks,
    without_password,
)
from bot.store.sql import (
    ADD_MANAGER,
    FAIL,
    INSERT_LIMIT_CHANGE,
    IS_MANAGER,
    LIMIT_CHANGES,
    MANAGERS,
    PURGE_PROMPTS,
    REMOVE_MANAGER,
    SCOPE_EXACT,
    SELECT_ENTRY,
    SELECT_LIMITS,
    SUCCEED,
    UPSERT_LIMITS,
    change_from_row,
    change_params,
    entry_from_row,
    limit_values,
    limits_from_rows,
    raise_refusal,
    reserve_params,
    scope_params,
    succeed_params,
)
from bot.store.web_sql import KEPT_SECRET, OFFER_SECRET

CONNECT_TIMEOUT_S = 10.0
CONNECT_ATTEMPTS = 5
_TRY_LATER = (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError)
_CONNECT_ERRORS = (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError)


class PostgresStore:
    """The `Store` on PostgreSQL; open it with `await PostgresStore.open(url)`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._abandoned_at: datetime | None = None

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        """Connect a pool to `postgresql://...` and apply pending migrations."""
        where = safe_url(url)
        dsn, size = pool_url(url)
        try:
            pool = await _create_pool(dsn, size)
        except _CONNECT_ERRORS as exc:
            reason = without_password(str(exc) or type(exc).__name__, url)
            raise ConfigError(
                f"IMAGINE_DATABASE_URL: cannot connect to {where}: {reason}"
            ) from None
        try:
            async with pool.acquire() as conn:
                await migrate_postgres(conn, where)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (for bulk work such as `migrate --from`)."""
        return self._pool

    async def _fetch(
        self, sql: str, params: Mapping[str, object], conn: asyncpg.Connection | None = None
    ) -> list[Any]:
        text, args = bind(sql, params)
        return list(await (self._pool if conn is None else conn).fetch(text, *args))

    async def _execute(
        self, sql: str, params: Mapping[str, object], conn: asyncpg.Connection | None = None
    ) -> int:
        """One statement; returns the rows it changed."""
        text, args = bind(sql, params)
        status: str = await (self._pool if conn is None else conn).execute(text, *args)
        return int(status.rsplit(" ", 1)[-1])

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[asyncpg.Connection]:
        """A read-only transaction whose queries all see one moment of the database."""
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield conn

    async def reserve(self, reservation: Reservation, limits: Limits, now: datetime) -> LedgerEntry:
        """Check the limits and insert a reserved row in one transaction (see the module doc)."""
        now = utc(now)
        entry = reserved_entry(reservation, now)
        exempt = is_exempt(reservation, limits)
        params = reserve_params(entry, limits.cooldown_s)
        await self._abandon_expired(now)
        async with self._pool.acquire() as conn, conn.transaction():
            for key in scope_locks(reservation.actor):
                await conn.execute(LOCK, key)
            [row] = await self._fetch(reserve_check(limits, exempt), params, conn)
            raise_refusal(reservation, limits, exempt, row, now)
            if not await self._fetch(INSERT_ENTRY, params, conn):
                raise Duplicate()
        return entry

    async def _abandon_expired(self, now: datetime) -> None:
        """Settle expired reservations, at most once per second of `now` per store."""
        if abandon_due(self._abandoned_at, now):
            self._abandoned_at = now
            await self._execute(ABANDON, {"now": now})

    async def settle_succeeded(
        self,
        entry_id: str,
        images_delivered: int,
        usage: TokenUsage | None,
        cost_usd: float,
        now: datetime,
        cost_source: CostSource = "table",
    ) -> None:
        """Mark a reserved (or already abandoned) row succeeded with what it delivered and cost."""
        params = succeed_params(entry_id, images_delivered, usage, cost_usd, now, cost_source)
        await self._execute(SUCCEED, params)

    async def settle_failed(self, entry_id: str, error_kind: str, now: datetime) -> None:
        """Mark a reserved row failed: nothing is charged."""
        await self._execute(FAIL, {"id": entry_id, "error_kind": error_kind, "now": utc(now)})

    async def settle_abandoned(self, now: datetime) -> int:
        """Settle every reserved row whose deadline has passed as abandoned; returns count."""
        return await self._execute(ABANDON, {"now": utc(now)})

    async def keep_results(
        self, entry_id: str, images: Sequence[GeneratedImage], now: datetime
    ) -> None:
        """Keep a request's made images until they are delivered (or the retention ends)."""
        rows = keep_params(entry_id, images, utc(now))
        if not rows:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            text, _ = bind(KEEP, rows[0])
            await conn.executemany(text, [bind(KEEP, row)[1] for row in rows])

    async def kept_results(self, entry_id: str) -> tuple[GeneratedImage, ...]:
        """The images kept for a request, in order (none once delivered or purged)."""
        return kept_from_rows(await self._fetch(KEPT, {"id": entry_id}))

    async def settle_delivery(self, entry_id: str, delivered: bool, now: datetime) -> None:
        """End a pending delivery: delivered (kept images deleted) or kept for Deliver again."""
        params = {"id": entry_id, "now": utc(now)}
        if not delivered:
            await self._execute(UNDELIVERED, params)
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await self._execute(DELIVERED, params, conn)
            await self._execute(FORGET_KEPT, params, conn)

    async def claim_delivery(self, entry_id: str, now: datetime) -> bool:
        """Turn an undelivered row back to pending for one new try; False when it is not."""
        return await self._execute(CLAIM, {"id": entry_id, "now": utc(now)}) > 0

    async def expire_deliveries(
        self, now: datetime, stale_before: datetime, purge_before: datetime
    ) -> int:
        """Give up deliveries pending since `stale_before`; delete images kept since
        `purge_before`; returns how many images were deleted."""
        await self._execute(GIVE_UP, {"before": utc(stale_before), "now": utc(now)})
        return await self._execute(PURGE_KEPT, {"before": utc(purge_before)})

    async def get_entry(self, entry_id: str) -> LedgerEntry | None:
        """One ledger row by id."""
        rows = await self._fetch(f"{SELECT_ENTRY} WHERE id = :id", {"id": entry_id})
        return entry_from_row(rows[0]) if rows else None

    async def get_limits(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        return limits_from_rows(await self._fetch(SELECT_LIMITS, scope_params(scope)))

    async def set_limits(
        self, scope: Scope, changes: Mapping[str, object], changed_by: str, now: datetime
    ) -> Limits:
        """Set (or clear, with None) limit keys for a scope and audit each change."""
        checked = checked_limit_changes(changes)
        where = scope_params(scope)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK, advisory_key("limits", *astuple(scope)))
            old = limits_from_rows(await self._fetch(SELECT_LIMITS, where, conn))
            new, audit = changed_limits(old, checked, scope, changed_by, now)
            if audit:
                await self._execute(UPSERT_LIMITS, where | limit_values(new), conn)
                await _audit(conn, audit)
        return new

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail, oldest first; for one scope or all."""
        where, params = ("TRUE", {}) if scope is None else (SCOPE_EXACT, scope_params(scope))
        rows = await self._fetch(LIMIT_CHANGES.format(where=where), params)
        return [change_from_row(row) for row in rows]

    async def user_usage(
        self, scope: Scope, user_id: str, limits: Limits, now: datetime
    ) -> UserUsage:
        """One user's usage today and this month (UTC) in a workspace, with their channel's."""
        async with self._snapshot() as conn:
            fetch = partial(self._fetch, conn=conn)
            return await reports.user_usage(fetch, scope, user_id, limits, utc(now))

    async def scope_usage(self, scope: Scope, now: datetime, top: int = 10) -> ScopeUsage:
        """Totals and top users for a channel, a workspace ('*' channel) or a platform."""
        async with self._snapshot() as conn:
            fetch = partial(self._fetch, conn=conn)
            return await reports.scope_usage(fetch, scope, utc(now), top)

    def export(
        self,
        since: datetime,
        until: datetime,
        scope: Scope = EVERYWHERE,
        user_id: str | None = None,
    ) -> AsyncIterator[LedgerEntry]:
        """Ledger rows created in [since, until) in a scope (and of a user), a page at a time."""
        return reports.export(self._fetch, since, until, (scope, user_id))

    async def purge_prompts(self, before: datetime) -> int:
        """Forget prompts of rows created before a moment; returns how many."""
        return await self._execute(PURGE_PROMPTS, {"before": utc(before)})

    async def add_channel_manager(
        self, scope: Scope, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """Allow a user to manage a channel's limits (audited); False if they already could."""
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
        """Take a user off a channel's managers (audited when `removed_by` is given); False if
        they were not on it."""
        audit = manager_change(scope, user_id, False, removed_by, now)
        params = scope_params(scope) | {"user_id": user_id}
        return await self._change_managers(REMOVE_MANAGER, params, audit)

    async def _change_managers(
        self, sql: str, params: Mapping[str, object], audit: LimitChange | None
    ) -> bool:
        """Add or remove a manager and, in the same transaction, audit it if anything changed."""
        async with self._pool.acquire() as conn, conn.transaction():
            changed = await self._execute(sql, params, conn) > 0
            if changed and audit is not None:
                await _audit(conn, [audit])
        return changed

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a user manages this channel, or every channel of its workspace ('*')."""
        return bool(await self._fetch(IS_MANAGER, scope_params(scope) | {"user_id": user_id}))

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The users listed as managers of exactly this scope, in the order they were added."""
        return [str(row[0]) for row in await self._fetch(MANAGERS, scope_params(scope))]

    async def web_secret(self, candidate: str, now: datetime) -> str:
        """The web face's signing key: `candidate` kept if none is yet, else the kept one."""
        await self._execute(OFFER_SECRET, {"secret": candidate, "now": utc(now)})
        return str((await self._fetch(KEPT_SECRET, {}))[0][0])

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self._pool.fetchval("SELECT 1")

    async def close(self) -> None:
        """Close every connection of the pool."""
        await self._pool.close()


async def _create_pool(dsn: str, size: int) -> asyncpg.Pool:
    """A pool of up to `size` connections; retried briefly while the server says to try later
    (it is starting up, or every connection slot is taken)."""
    attempt = 1
    while True:
        try:
            return await asyncpg.create_pool(
                dsn, min_size=1, max_size=size, timeout=CONNECT_TIMEOUT_S
            )
        except _TRY_LATER:
            if attempt >= CONNECT_ATTEMPTS:
                raise
        await asyncio.sleep(0.25 * 2**attempt)
        attempt += 1


async def _audit(conn: asyncpg.Connection, changes: list[LimitChange]) -> None:
    """Write audit entries within the connection's transaction."""
    text, _ = bind(INSERT_LIMIT_CHANGE, change_params(changes[0]))
    await conn.executemany(text, [bind(INSERT_LIMIT_CHANGE, change_params(c))[1] for c in changes])
