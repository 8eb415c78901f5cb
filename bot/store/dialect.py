"""What the one `Store` needs from a database: statements, transactions, a reservation.

Each database (sqlite.py, postgres.py) implements `Database` in a thin class: how
parameters are passed, how a transaction begins and retries, how moments come back, and
how a reservation locks what it checks. All SQL the store runs lives elsewhere, written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.store.reserve_sql import ReservePlan

T = TypeVar("T")
Params = Mapping[str, object]
Row = Sequence[Any]


class Session(Protocol):
    """Statements with `:name` parameters, in a transaction or each on its own."""

    async def fetch(self, sql: str, params: Params) -> list[Any]:
        """The rows of one query."""
        ...

    async def execute(self, sql: str, params: Params) -> int:
        """One statement; how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement once per set of parameters."""
        ...


class Database(Session, Protocol):
    """A database the store runs on; its own statements are each their own transaction."""

    dialect: str
    abandon_sql: str  # settles every expired reservation as abandoned

    async def transaction(self, body: Callable[[Session], Awaitable[T]]) -> T:
        """Run `body` in one writing transaction (again from the start if the database
        asks to retry), committed when it returns and rolled back when it raises."""
        ...

    async def snapshot(self, body: Callable[[Session], Awaitable[T]]) -> T:
        """Run `body` in one read-only transaction, so its queries see one moment."""
        ...

    async def reserve(self, plans: Sequence[ReservePlan]) -> list[Row | None]:
        """Insert each reservation's row if its budgets allow it (counting the plans before
        it), atomically across processes: for each plan None when inserted, else the
        explain row that says why not (reserve_sql.py)."""
        ...

    def moment(self, value: Any) -> datetime | None:
        """A moment as read back from a column (None stays None)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
