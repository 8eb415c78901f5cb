"""The dashboard's per-day sums, one GROUP BY query in the store, on SQLite and PostgreSQL:
days run from local midnight to local midnight (23 hours on the day the clocks go forward),
and only that workspace's billed rows count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.models import Scope
from bot.store import Store
from bot.store.reports import DayTotal
from tests.webfixtures import seed

WORKSPACE = Scope("discord", "guild1")
# New York's clocks went forward at 2026-03-08 07:00 UTC (02:00 EST became 03:00 EDT).
ROWS = [  # (moment, workspace, images, cost, failed)
    (datetime(2026, 3, 7, 4, 30, tzinfo=UTC), "guild1", 1, 0.5, False),  # 6 Mar 23:30 EST
    (datetime(2026, 3, 8, 4, 30, tzinfo=UTC), "guild1", 1, 0.1, False),  # 7 Mar 23:30 EST
    (datetime(2026, 3, 8, 5, 30, tzinfo=UTC), "guild1", 2, 0.2, False),  # 8 Mar 00:30 EST
    (datetime(2026, 3, 9, 3, 30, tzinfo=UTC), "guild1", 3, 0.3, False),  # 8 Mar 23:30 EDT
    (datetime(2026, 3, 9, 4, 30, tzinfo=UTC), "guild1", 4, 0.4, False),  # 9 Mar 00:30 EDT
    (datetime(2026, 3, 9, 12, 0, tzinfo=UTC), "guild1", 5, 0.0, True),  # failed: not billed
    (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "guild2", 6, 9.99, False),  # another workspace
    (datetime(2026, 3, 11, 12, 0, tzinfo=UTC), "guild1", 7, 0.7, False),  # after the days
]
DAYS = [date(2026, 3, 7) + timedelta(days=i) for i in range(4)]


async def test_each_day_sums_its_local_days_billed_rows_of_the_workspace(store: Store) -> None:
    for at, workspace, images, cost, failed in ROWS:
        await seed(store, at, workspace=workspace, images=images, cost=cost, failed=failed)
    local = await store.day_totals(WORKSPACE, DAYS, "America/New_York")
    assert local == [
        DayTotal(date(2026, 3, 7), 1, 0.1),
        DayTotal(date(2026, 3, 8), 5, 0.5),
        DayTotal(date(2026, 3, 9), 4, 0.4),
        DayTotal(date(2026, 3, 10), 0, 0.0),
    ]
    assert await store.day_totals(WORKSPACE, DAYS, None) == [
        DayTotal(date(2026, 3, 7), 1, 0.5),
        DayTotal(date(2026, 3, 8), 3, 0.3),
        DayTotal(date(2026, 3, 9), 7, 0.7),
        DayTotal(date(2026, 3, 10), 0, 0.0),
    ]
    assert await store.day_totals(Scope("discord", "guild2"), DAYS[1:2], "UTC") == [
        DayTotal(date(2026, 3, 8), 6, 9.99)
    ]
