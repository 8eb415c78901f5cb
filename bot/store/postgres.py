"""The store's database on PostgreSQL, through an asyncpg connection pool shared by several
processes.

Reservations go in batches (batch.py), each batch one statement, so one round trip
(postgres_sql.py RESERVE). Its function budget_check_many locks the row of every counter
the batch charges, in key order so that two batches never wait on each other in a cycle,
reads them after the locks and decides each reservation in order against the counters plus
the ones granted before it; the statement inserts the granted rows, and triggers add them
to the counters they hold. Every process charging a counter queues on its row lock, so
check and insert are atomic across processes; under READ COMMITTED each statement of the
function sees every earlier holder's committed counter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from bot.errors import ConfigError
from bot.store.dialect import Params, Row, Session
from bot.store.migrate import migrate_postgres
from bot.store.postgres_sql import (
    ABANDON,
    RESERVE,
    bind,
    pool_url,
    reserve_params,
    safe_url,
    without_password,
)
from bot.store.reserve_sql import ReservePlan

T = TypeVar("T")
CONNECT_TIMEOUT_S = 10.0
CONNECT_ATTEMPTS = 5
_TRY_LATER = (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError)
_CONNECT_ERRORS = (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError)


class _Statements:
    """Statements on a connection (in its transaction) or on the pool (each its own)."""

    def __init__(self, on: asyncpg.Pool | asyncpg.Connection) -> None:
        self._on = on

    async def fetch(self, sql: str, params: Params) -> list[Any]:
        """The rows of one query."""
        text, args = bind(sql, params)
        return list(await self._on.fetch(text, *args))

    async def execute(self, sql: str, params: Params) -> int:
        """One statement; how many rows it changed."""
        text, args = bind(sql, params)
        status: str = await self._on.execute(text, *args)
        return int(status.rsplit(" ", 1)[-1])

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement once per set of parameters."""
        if rows:
            text, _ = bind(sql, rows[0])
            await self._on.executemany(text, [bind(sql, row)[1] for row in rows])


class PostgresDatabase(_Statements):
    """The `Database` on PostgreSQL; open it with `await PostgresDatabase.open(url)`."""

    dialect = "postgres"
    abandon_sql = ABANDON

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
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

    async def transaction(self, body: Callable[[Session], Awaitable[T]]) -> T:
        """`body` in one transaction on one connection of the pool."""
        async with self._pool.acquire() as conn, conn.transaction():
            return await body(_Statements(conn))

    async def snapshot(self, body: Callable[[Session], Awaitable[T]]) -> T:
        """`body` in a read-only REPEATABLE READ transaction: one moment of the database."""
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await body(_Statements(conn))

    async def reserve(self, plans: Sequence[ReservePlan]) -> list[Row | None]:
        """One statement: lock and read the counters, insert what they allow (module doc)."""
        rows = await self.fetch(RESERVE, reserve_params(plans))
        return [
            None if inserted else (duplicate, last_at, *used)
            for inserted, duplicate, last_at, used in rows
        ]

    def moment(self, value: Any) -> datetime | None:
        """A timestamptz comes back as an aware datetime already."""
        return value if isinstance(value, datetime) else None

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
