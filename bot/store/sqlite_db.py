"""SQLite connections for the store: pragmas, timestamps as text, retries when busy, and
the checkpoints that copy the write-ahead log into the file outside the writers' commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from functools import partial
from typing import TypeVar

import aiosqlite

from bot.store.common import utc

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
# The writers' own checkpoint, for when `Checkpoints` falls behind. A kept image is about
# 800 pages: at SQLite's default of 1,000 nearly every one would copy the WAL into the file
# (and sync both) inside its own commit.
WAL_CHECKPOINT_PAGES = 4096
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_ATTEMPTS = 8
_AS_IS = frozenset((str, int, float, bool, bytes, type(None)))  # what SQLite takes unchanged


def is_busy(exc: BaseException) -> bool:
    """Whether an exception is SQLite saying another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF in (_BUSY_CODES)
    )


async def retry_busy(operation: Callable[[], Awaitable[T]]) -> T:
    """Run an operation, and again after a short jittered pause while the database is busy."""
    attempt = 0
    while True:
        try:
            return await operation()
        except sqlite3.OperationalError as exc:
            attempt += 1
            if not is_busy(exc) or attempt >= _ATTEMPTS:
                raise
        await asyncio.sleep(min(0.05 * 2**attempt, 1.0) * random.uniform(0.5, 1.0))


async def connect_sqlite(path: str) -> aiosqlite.Connection:
    """Open an SQLite file (or ':memory:') in autocommit mode with the store's pragmas."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        rows = await retry_busy(partial(conn.execute_fetchall, "PRAGMA journal_mode = WAL"))
        mode = str(next(iter(rows))[0])
        if mode not in ("wal", "memory"):
            log.warning("SQLite at %s runs in journal mode %s, not WAL", path, mode)
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


class Checkpoints:
    """Copies SQLite's write-ahead log into the database file on a connection of its own
    (its own thread) right after each write, so no writer's commit carries the copy.

    A PASSIVE checkpoint waits for no reader or writer: it copies what it can, and the
    next write starts the log again from its beginning once all of it was copied. Writes
    during a checkpoint are copied by the one after it.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._due = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="sqlite-checkpoints")

    @classmethod
    async def open(cls, path: str) -> Checkpoints:
        """Checkpoints for the database file at `path`."""
        return cls(await connect_sqlite(path))

    def written(self) -> None:
        """Note a write: a checkpoint follows soon."""
        self._due.set()

    async def _run(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            try:
                await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                log.warning("SQLite checkpoint failed (the writers will checkpoint): %s", exc)

    async def close(self) -> None:
        """Stop checkpointing and close the connection (the last checkpoint is the
        writers', when they close)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._conn.close()


def to_text(moment: datetime) -> str:
    """A moment as fixed-width ISO-8601 UTC text, which sorts in time order."""
    return utc(moment).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """A timezone-aware UTC datetime from text written by `to_text`."""
    return datetime.fromisoformat(text).astimezone(UTC)


def from_column(value: str | None) -> datetime | None:
    """A moment read back from a column written by `to_text` (NULL stays None)."""
    return from_text(value) if value else None


def sqlite_params(params: Mapping[str, object]) -> dict[str, object]:
    """Query parameters as SQLite stores them: moments become `to_text` text, days ISO text."""
    return {name: _sqlite_value(value) for name, value in params.items()}


def _sqlite_value(value: object) -> object:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime):
        return to_text(value)
    return value.isoformat() if isinstance(value, date) else value
