"""The store's database on one SQLite file, through aiosqlite (one connection, one thread).

Every write is either one statement or a `BEGIN IMMEDIATE` transaction, so SQLite's write
lock makes each check-and-change atomic across processes sharing the file. Within one
process an asyncio.Lock keeps the tasks sharing the connection from interleaving. A
reservation is one INSERT that checks its budgets in the same statement (sqlite_sql.py);
the reservations of a batch (batch.py) share one transaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from itertools import groupby
from typing import Any, TypeVar

import aiosqlite

from bot.store.dialect import Params, Row, Session
from bot.store.migrate import migrate_sqlite
from bot.store.reserve_sql import ReservePlan
from bot.store.sqlite_db import (
    Checkpoints,
    connect_sqlite,
    from_column,
    retry_busy,
    sqlite_params,
)
from bot.store.sqlite_sql import ABANDON, INSERTED, reserve_queries, reserve_values

T = TypeVar("T")


class _Statements:
    """Statements on the connection, run as they come (the caller holds the lock)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, params: Params) -> list[Any]:
        """The rows of one query."""
        return list(await self._conn.execute_fetchall(sql, sqlite_params(params)))

    async def execute(self, sql: str, params: Params) -> int:
        """One statement; how many rows it changed."""
        cursor = await self._conn.execute(sql, sqlite_params(params))
        return int(cursor.rowcount)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement once per set of parameters."""
        await self._conn.executemany(sql, [sqlite_params(row) for row in rows])


class SqliteDatabase:
    """The `Database` on SQLite; open it with `await SqliteDatabase.open(path)`."""

    dialect = "sqlite"
    abandon_sql = ABANDON

    def __init__(self, conn: aiosqlite.Connection, checkpoints: Checkpoints | None) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._statements = _Statements(conn)
        self._checkpoints = checkpoints

    @classmethod
    async def open(cls, path: str) -> SqliteDatabase:
        """Connect to a file (or ':memory:') and apply pending migrations."""
        conn = await connect_sqlite(path)
        try:
            await migrate_sqlite(conn, path)
            checkpoints = None if path == ":memory:" else await Checkpoints.open(path)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, checkpoints)

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """The connection for a write; once it is done, the checkpoints copy it into the file."""
        async with self._lock:
            yield
        if self._checkpoints is not None:
            self._checkpoints.written()

    async def fetch(self, sql: str, params: Params) -> list[Any]:
        """The rows of one query."""
        async with self._lock:
            return await retry_busy(partial(self._statements.fetch, sql, params))

    async def execute(self, sql: str, params: Params) -> int:
        """One write statement, which is its own transaction; the rows it changed."""
        async with self._writing():
            return await retry_busy(partial(self._statements.execute, sql, params))

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement per set of parameters, all in one transaction."""
        await self.transaction(lambda session: session.executemany(sql, rows))

    async def transaction(self, body: Callable[[Session], Awaitable[T]]) -> T:
        """`body` in a `BEGIN IMMEDIATE` transaction, again from the start while busy."""
        async with self._writing():
            return await retry_busy(partial(self._in_transaction, "BEGIN IMMEDIATE", body))

    async def snapshot(self, body: Callable[[Session], Awaitable[T]]) -> T:
        """`body` in a deferred (reading) transaction: one snapshot of the file."""
        async with self._lock:
            return await retry_busy(partial(self._in_transaction, "BEGIN", body))

    async def _in_transaction(self, begin: str, body: Callable[[Session], Awaitable[T]]) -> T:
        if self._conn.in_transaction:
            await self._conn.execute("ROLLBACK")
        await self._conn.execute(begin)
        try:
            result = await body(self._statements)
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        await self._conn.execute("COMMIT")
        return result

    async def reserve(self, plans: Sequence[ReservePlan]) -> list[Row | None]:
        """Insert each row in one statement that checks its budgets; several in one
        `BEGIN IMMEDIATE` transaction, each statement seeing the rows before it.

        An INSERT (or BEGIN IMMEDIATE) takes SQLite's write lock before it reads, so the
        check and the insert are atomic across processes. Rows of the same statement go in
        one call; a query then reads which went in, and one more per refusal reads why.
        """
        async with self._writing():
            if len(plans) == 1:
                return [await retry_busy(partial(self._reserve_one, plans[0]))]
            body = partial(self._reserve_many, plans)
            return await retry_busy(partial(self._in_transaction, "BEGIN IMMEDIATE", body))

    async def _reserve_one(self, plan: ReservePlan) -> Row | None:
        insert = reserve_queries(plan).insert
        if plan.may_insert and await self._statements.execute(insert, reserve_values(plan)) > 0:
            return None
        return await self._explain(plan)

    async def _reserve_many(self, plans: Sequence[ReservePlan], _: Session) -> list[Row | None]:
        for insert, run in groupby(plans, lambda plan: reserve_queries(plan).insert):
            rows = [reserve_values(plan) for plan in run if plan.may_insert]
            if rows:
                await self._statements.executemany(insert, rows)
        ids = json.dumps([plan.params["id"] for plan in plans])
        inserted = {row[0] for row in await self._statements.fetch(INSERTED, {"ids": ids})}
        return [
            None if plan.params["id"] in inserted else await self._explain(plan) for plan in plans
        ]

    async def _explain(self, plan: ReservePlan) -> Row:
        [(duplicate, last, *used)] = await self._statements.fetch(
            reserve_queries(plan).explain, reserve_values(plan)
        )
        return (duplicate, from_column(last), *used)

    def moment(self, value: Any) -> datetime | None:
        """A moment stored as ISO-8601 text, read back (NULL stays None)."""
        return from_column(value)

    async def close(self) -> None:
        """Stop the checkpoints, then close the connection and stop its worker thread."""
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self._conn.close()
