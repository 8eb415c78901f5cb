"""The store on one SQLite file, through aiosqlite (one connection, one worker thread).

Every write is either one statement or a `BEGIN IMMEDIATE` transaction, so SQLite's write
lock makes each check-and-change atomic across processes sharing the file. Within one
process an asyncio.Lock keeps the tasks sharing the connection from interleaving.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import aiosqlite

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
from bot.store.migrate import migrate_sqlite
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
    scope_params,
    succeed_params,
)
from bot.store.sqlite_db import connect_sqlite, from_column, retry_busy, sqlite_params
from bot.store.sqlite_sql import ABANDON, reserve_queries
from bot.store.web_sql import KEPT_SECRET, OFFER_SECRET

T = TypeVar("T")
Params = Mapping[str, object]
_RESERVE_ATTEMPTS = 5


class SqliteStore:
    """The `Store` on SQLite; open it with `await SqliteStore.open(path)`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._abandoned_at: datetime | None = None

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Connect to a file (or ':memory:') and apply pending migrations."""
        conn = await connect_sqlite(path)
        try:
            await migrate_sqlite(conn, path)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def _fetch(self, sql: str, params: Params) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, sqlite_params(params)))

    async def _change(self, sql: str, params: Params) -> int:
        cursor = await self._conn.execute(sql, sqlite_params(params))
        return int(cursor.rowcount)

    async def _query(self, sql: str, params: Params) -> list[Any]:
        """Rows of one SELECT."""
        async with self._lock:
            return await retry_busy(partial(self._fetch, sql, params))

    async def _run(self, sql: str, params: Params) -> int:
        """One write statement, which is its own transaction; returns the rows changed."""
        async with self._lock:
            return await retry_busy(partial(self._change, sql, params))

    async def _transaction(self, begin: str, body: Callable[[], Awaitable[T]]) -> T:
        """Several statements in one transaction: 'BEGIN IMMEDIATE' to write, 'BEGIN' to read."""
        async with self._lock:
            return await retry_busy(partial(self._in_transaction, begin, body))

    async def _in_transaction(self, begin: str, body: Callable[[], Awaitable[T]]) -> T:
        if self._conn.in_transaction:
            await self._conn.execute("ROLLBACK")
        await self._conn.execute(begin)
        try:
            result = await body()
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        await self._conn.execute("COMMIT")
        return result

    async def reserve(self, reservation: Reservation, limits: Limits, now: datetime) -> LedgerEntry:
        """Check the limits and insert a reserved row in one statement (its own transaction).

        An INSERT takes SQLite's write lock before it reads, so the check and the insert
        are atomic across processes. When nothing was inserted a second query finds the
        reason to raise; if another process freed quota in between, the insert is retried.
        """
        now = utc(now)
        entry = reserved_entry(reservation, now)
        exempt = is_exempt(reservation, limits)
        queries = reserve_queries(entry, limits, exempt)
        insert = partial(self._change, queries.insert, queries.params)
        may_insert = exempt or limits.enabled is not False
        async with self._lock:
            await self._abandon_expired(now)
            for _ in range(_RESERVE_ATTEMPTS):
                if may_insert and await retry_busy(insert) > 0:
                    return entry
                rows = await retry_busy(partial(self._fetch, queries.explain, queries.params))
                raise_refusal(reservation, limits, exempt, rows[0], now, from_column)
        raise RuntimeError("a reservation was refused but no limit explains why")

    async def _abandon_expired(self, now: datetime) -> None:
        """Settle expired reservations, at most once per second of `now` (lock held)."""
        if abandon_due(self._abandoned_at, now):
            await retry_busy(partial(self._change, ABANDON, {"now": now}))
            self._abandoned_at = now

    async def settle_succeeded(
        self,
        entry_id: str,
        images_delivered: int,
        usage: TokenUsage | None,
        cost_usd: float,
        now: datetime,
        cost_source: CostSource = "table",
    ) -> None:
        """Mark a reserved row succeeded with what was delivered and what it cost."""
        await self._run(
            SUCCEED, succeed_params(entry_id, images_delivered, usage, cost_usd, now, cost_source)
        )

    async def settle_failed(self, entry_id: str, error_kind: str, now: datetime) -> None:
        """Mark a reserved row failed: nothing is charged."""
        await self._run(FAIL, {"id": entry_id, "error_kind": error_kind, "now": now})

    async def settle_abandoned(self, now: datetime) -> int:
        """Settle every reserved row whose deadline has passed as abandoned; returns count."""
        return await self._run(ABANDON, {"now": now})

    async def keep_results(
        self, entry_id: str, images: Sequence[GeneratedImage], now: datetime
    ) -> None:
        """Keep a request's made images until they are delivered (or the retention ends)."""
        rows = [sqlite_params(row) for row in keep_params(entry_id, images, now)]
        if not rows:
            return
        body = partial(self._conn.executemany, KEEP, rows)
        await self._transaction("BEGIN IMMEDIATE", body)

    async def kept_results(self, entry_id: str) -> tuple[GeneratedImage, ...]:
        """The images kept for a request, in order (none once delivered or purged)."""
        return kept_from_rows(await self._query(KEPT, {"id": entry_id}))

    async def settle_delivery(self, entry_id: str, delivered: bool, now: datetime) -> None:
        """End a pending delivery: delivered (kept images deleted) or kept for Deliver again."""
        params = {"id": entry_id, "now": now}
        if not delivered:
            await self._run(UNDELIVERED, params)
            return

        async def body() -> None:
            await self._change(DELIVERED, params)
            await self._change(FORGET_KEPT, params)

        await self._transaction("BEGIN IMMEDIATE", body)

    async def claim_delivery(self, entry_id: str, now: datetime) -> bool:
        """Turn an undelivered row back to pending for one new try; False when it is not."""
        return await self._run(CLAIM, {"id": entry_id, "now": now}) > 0

    async def expire_deliveries(
        self, now: datetime, stale_before: datetime, purge_before: datetime
    ) -> int:
        """Give up deliveries pending since `stale_before`; delete images kept since
        `purge_before`; returns how many images were deleted."""
        await self._run(GIVE_UP, {"before": stale_before, "now": now})
        return await self._run(PURGE_KEPT, {"before": purge_before})

    async def get_entry(self, entry_id: str) -> LedgerEntry | None:
        """One ledger row by id."""
        rows = await self._query(f"{SELECT_ENTRY} WHERE id = :id", {"id": entry_id})
        return entry_from_row(rows[0], from_column) if rows else None

    async def get_limits(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        return limits_from_rows(await self._query(SELECT_LIMITS, scope_params(scope)))

    async def set_limits(
        self, scope: Scope, changes: Mapping[str, object], changed_by: str, now: datetime
    ) -> Limits:
        """Set (or clear, with None) limit keys for a scope and audit each change."""
        checked = checked_limit_changes(changes)
        body = partial(self._set_limits, scope, checked, changed_by, now)
        return await self._transaction("BEGIN IMMEDIATE", body)

    async def _set_limits(
        self, scope: Scope, changes: dict[str, Any], changed_by: str, now: datetime
    ) -> Limits:
        old = limits_from_rows(await self._fetch(SELECT_LIMITS, scope_params(scope)))
        new, audit = changed_limits(old, changes, scope, changed_by, now)
        if audit:
            await self._change(UPSERT_LIMITS, scope_params(scope) | limit_values(new))
            await self._audit(audit)
        return new

    async def _audit(self, changes: list[LimitChange]) -> None:
        """Write audit entries (in a transaction, lock held)."""
        rows = [sqlite_params(change_params(change)) for change in changes]
        await self._conn.executemany(INSERT_LIMIT_CHANGE, rows)

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail, oldest first; for one scope or all."""
        where, params = ("TRUE", {}) if scope is None else (SCOPE_EXACT, scope_params(scope))
        rows = await self._query(LIMIT_CHANGES.format(where=where), params)
        return [change_from_row(row, from_column) for row in rows]

    async def user_usage(
        self, scope: Scope, user_id: str, limits: Limits, now: datetime
    ) -> UserUsage:
        """One user's usage today and this month (UTC) in a workspace, with their channel's."""
        body = partial(reports.user_usage, self._fetch, scope, user_id, limits, utc(now))
        return await self._transaction("BEGIN", body)

    async def scope_usage(self, scope: Scope, now: datetime, top: int = 10) -> ScopeUsage:
        """Totals and top users for a channel, a workspace ('*' channel) or a platform."""
        body = partial(reports.scope_usage, self._fetch, scope, utc(now), top)
        return await self._transaction("BEGIN", body)

    def export(
        self,
        since: datetime,
        until: datetime,
        scope: Scope = EVERYWHERE,
        user_id: str | None = None,
    ) -> AsyncIterator[LedgerEntry]:
        """Ledger rows created in [since, until) in a scope (and of a user), a page at a time."""
        return reports.export(self._query, since, until, (scope, user_id), from_column)

    async def purge_prompts(self, before: datetime) -> int:
        """Forget prompts of rows created before a moment; returns how many."""
        return await self._run(PURGE_PROMPTS, {"before": before})

    async def add_channel_manager(
        self, scope: Scope, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """Allow a user to manage a channel's limits (audited); False if they already could."""
        params = scope_params(scope) | {"user_id": user_id, "added_by": added_by, "now": now}
        audit = manager_change(scope, user_id, True, added_by, now)
        body = partial(self._change_managers, ADD_MANAGER, params, audit)
        return await self._transaction("BEGIN IMMEDIATE", body)

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
        body = partial(self._change_managers, REMOVE_MANAGER, params, audit)
        return await self._transaction("BEGIN IMMEDIATE", body)

    async def _change_managers(self, sql: str, params: Params, audit: LimitChange | None) -> bool:
        """Add or remove a manager and audit it if anything changed (in a transaction)."""
        changed = await self._change(sql, params) > 0
        if changed and audit is not None:
            await self._audit([audit])
        return changed

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a user manages this channel, or every channel of its workspace ('*')."""
        return bool(await self._query(IS_MANAGER, scope_params(scope) | {"user_id": user_id}))

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The users listed as managers of exactly this scope, in the order they were added."""
        return [str(row[0]) for row in await self._query(MANAGERS, scope_params(scope))]

    async def web_secret(self, candidate: str, now: datetime) -> str:
        """The web face's signing key: `candidate` kept if none is yet, else the kept one."""
        await self._run(OFFER_SECRET, {"secret": candidate, "now": now})
        return str((await self._query(KEPT_SECRET, {}))[0][0])

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self._query("SELECT 1", {})

    async def close(self) -> None:
        """Close the connection and stop its worker thread."""
        await self._conn.close()
