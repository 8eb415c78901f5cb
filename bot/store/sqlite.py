"""The store on one SQLite file, through aiosqlite (one connection, one worker thread).

Every write is either one statement or a `BEGIN IMMEDIATE` transaction, so SQLite's write
lock makes each check-and-change atomic across processes sharing the file. Within one
process an asyncio.Lock keeps the tasks sharing the connection from interleaving.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import astuple, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import aiosqlite

from bot.errors import Duplicate
from bot.models import (
    LIMIT_KEYS,
    LedgerEntry,
    LimitChange,
    Limits,
    Reservation,
    Scope,
    ScopeUsage,
    TokenUsage,
    UserUsage,
)
from bot.store import sqlite_reports as reports
from bot.store.common import (
    Totals,
    check_quota,
    checked_limit_changes,
    is_exempt,
    limit_column,
    limit_text,
    limits_from_columns,
    reserved_entry,
    utc,
)
from bot.store.migrate import migrate_sqlite
from bot.store.sqlite_db import connect_sqlite, from_text, retry_busy, to_text
from bot.store.sqlite_sql import (
    ABANDON,
    ADD_MANAGER,
    ENTRY_COLUMNS,
    EXPORT_PAGE,
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
    TIMESTAMPS,
    UPSERT_LIMITS,
    reserve_queries,
)

T = TypeVar("T")
Params = Mapping[str, object] | Iterable[object]
EXPORT_PAGE_SIZE = 500
_RESERVE_ATTEMPTS = 5
_ABANDON_EVERY = timedelta(seconds=1)


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
        return list(await self._conn.execute_fetchall(sql, params))

    async def _change(self, sql: str, params: Params) -> int:
        cursor = await self._conn.execute(sql, params)
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
                _raise_refusal(reservation, limits, exempt, rows[0], now)
        raise RuntimeError("a reservation was refused but no limit explains why")

    async def _abandon_expired(self, now: datetime) -> None:
        """Settle expired reservations, at most once per second of `now` (lock held)."""
        last = self._abandoned_at
        if last is not None and timedelta(0) <= now - last < _ABANDON_EVERY:
            return
        await retry_busy(partial(self._change, ABANDON, {"now": to_text(now)}))
        self._abandoned_at = now

    async def settle_succeeded(
        self,
        entry_id: str,
        images_delivered: int,
        usage: TokenUsage | None,
        cost_usd: float,
        now: datetime,
    ) -> None:
        """Mark a reserved row succeeded with what was delivered and what it cost."""
        tokens = usage or TokenUsage()
        params = (images_delivered, tokens.input_tokens, tokens.output_tokens, cost_usd)
        await self._run(SUCCEED, (*params, to_text(now), entry_id))

    async def settle_failed(self, entry_id: str, error_kind: str, now: datetime) -> None:
        """Mark a reserved row failed: nothing is charged."""
        await self._run(FAIL, (error_kind, to_text(now), entry_id))

    async def settle_abandoned(self, now: datetime) -> int:
        """Settle every reserved row whose deadline has passed as abandoned; returns count."""
        return await self._run(ABANDON, {"now": to_text(now)})

    async def get_entry(self, entry_id: str) -> LedgerEntry | None:
        """One ledger row by id."""
        rows = await self._query(f"{SELECT_ENTRY} WHERE id = ?", (entry_id,))
        return _entry(rows[0]) if rows else None

    async def get_limits(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        return _limits(await self._query(SELECT_LIMITS, astuple(scope)))

    async def set_limits(
        self, scope: Scope, changes: Mapping[str, object], changed_by: str, now: datetime
    ) -> Limits:
        """Set (or clear, with None) limit keys for a scope and audit each change."""
        checked = checked_limit_changes(changes)
        body = partial(self._set_limits, scope, checked, changed_by, utc(now))
        return await self._transaction("BEGIN IMMEDIATE", body)

    async def _set_limits(
        self, scope: Scope, changes: dict[str, Any], changed_by: str, now: datetime
    ) -> Limits:
        old = _limits(await self._fetch(SELECT_LIMITS, astuple(scope)))
        new = replace(old, **changes)
        changed = [key for key in changes if getattr(old, key) != getattr(new, key)]
        if changed:
            values = [limit_column(getattr(new, key)) for key in LIMIT_KEYS]
            await self._change(UPSERT_LIMITS, (*astuple(scope), *values))
            audit = [
                (*astuple(scope), key, limit_text(getattr(old, key)), limit_text(getattr(new, key)))
                for key in changed
            ]
            rows = [(*row, changed_by, to_text(now)) for row in audit]
            await self._conn.executemany(INSERT_LIMIT_CHANGE, rows)
        return new

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail, oldest first; for one scope or all."""
        where, params = ("1", ()) if scope is None else (SCOPE_EXACT, astuple(scope))
        rows = await self._query(LIMIT_CHANGES.format(where=where), params)
        return [
            LimitChange(Scope(p, w, c), key, old, new, by, from_text(at))
            for p, w, c, key, old, new, by, at in rows
        ]

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

    async def export(self, since: datetime, until: datetime) -> AsyncIterator[LedgerEntry]:
        """Ledger rows created in [since, until), oldest first, read a page at a time."""
        params: dict[str, object] = {
            "after_at": to_text(since),
            "after_id": "",
            "until": to_text(until),
            "size": EXPORT_PAGE_SIZE,
        }
        while True:
            rows = await self._query(EXPORT_PAGE, params)
            for row in rows:
                yield _entry(row)
            if len(rows) < EXPORT_PAGE_SIZE:
                return
            params["after_at"] = rows[-1][ENTRY_COLUMNS.index("created_at")]
            params["after_id"] = rows[-1][ENTRY_COLUMNS.index("id")]

    async def purge_prompts(self, before: datetime) -> int:
        """Forget prompts of rows created before a moment; returns how many."""
        return await self._run(PURGE_PROMPTS, (to_text(before),))

    async def add_channel_manager(
        self, scope: Scope, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """Allow a user to manage a channel's limits; False if they already could."""
        params = (*astuple(scope), user_id, added_by, to_text(now))
        return await self._run(ADD_MANAGER, params) > 0

    async def remove_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Take a user off a channel's managers; False if they were not on it."""
        return await self._run(REMOVE_MANAGER, (*astuple(scope), user_id)) > 0

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a user manages this channel, or every channel of its workspace ('*')."""
        return bool(await self._query(IS_MANAGER, (*astuple(scope), user_id)))

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The users listed as managers of exactly this scope, in the order they were added."""
        return [str(row[0]) for row in await self._query(MANAGERS, astuple(scope))]

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self._query("SELECT 1", ())

    async def close(self) -> None:
        """Close the connection and stop its worker thread."""
        await self._conn.close()


def _raise_refusal(
    reservation: Reservation, limits: Limits, exempt: bool, row: Sequence[Any], now: datetime
) -> None:
    duplicate, user_images, user_cost, channel_images, channel_cost, last = row
    if duplicate:
        raise Duplicate()
    if not exempt:
        last_at = from_text(last) if last else None
        totals = Totals(user_images, user_cost, channel_images, channel_cost, last_at)
        check_quota(reservation, limits, totals, now)


def _limits(rows: list[Any]) -> Limits:
    return limits_from_columns(dict(zip(LIMIT_KEYS, rows[0], strict=True)) if rows else {})


def _entry(row: Iterable[Any]) -> LedgerEntry:
    values = dict(zip(ENTRY_COLUMNS, row, strict=True))
    for key in TIMESTAMPS:
        values[key] = from_text(values[key]) if values[key] else None
    return LedgerEntry(**values)
