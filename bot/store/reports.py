"""What both stores read the same way through a fetch function: usage reports from the
ledger rows (not the day counters), for people, and the export.

Each store runs a report inside one read transaction, so its queries see one moment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.models import LedgerEntry, Limits, Scope
from bot.store.budgets import window, zone
from bot.store.common import utc
from bot.store.delivery_sql import RECEIVED, UNDELIVERED_TOTALS
from bot.store.sql import (
    BY_MODEL,
    ENTRY_COLUMNS,
    EXPORT_PAGE,
    PERIOD_TOTALS,
    TOP_USERS,
    Decode,
    Fetch,
    entry_from_row,
    period_params,
    scope_filter,
)
from bot.usage import ModelTotal, ScopeUsage, Totals, UserTotal, UserUsage

# Images and dollars billed per day: day i runs from :b{i} to :b{i+1}, local midnights as
# UTC moments (so a day of a timezone's clock change is 23 or 25 hours long).
DAY_TOTALS = (
    "SELECT {day}, COALESCE(SUM(images_delivered), 0), COALESCE(SUM(est_cost_usd), 0.0) "
    "FROM usage WHERE {where} AND status = 'succeeded' AND created_at >= :b0 "
    "AND created_at < :b{days} GROUP BY 1 ORDER BY 1"
)
EXPORT_PAGE_SIZE = 500
_CREATED_AT, _ID = ENTRY_COLUMNS.index("created_at"), ENTRY_COLUMNS.index("id")


async def period(
    fetch: Fetch,
    scope: Scope,
    user_id: str | None,
    now: datetime,
    timezone: str | None,
    *,
    received: bool = False,
) -> tuple[Totals, int]:
    """What a scope (or one user in it) was charged today and this month in an IANA timezone
    (UTC when unset), and how many of its requests failed today; with `received`, only what
    people received (as their limits count it)."""
    where, params = scope_filter(scope, user_id)
    if received:
        where = f"{where} AND {RECEIVED}"
    rows = await fetch(PERIOD_TOTALS.format(where=where), params | period_params(now, timezone))
    *charged, failed = rows[0]
    return _totals(*charged), int(failed)


def _totals(images_today: int, cost_today: float, images_month: int, cost_month: float) -> Totals:
    return Totals(
        images_today=int(images_today),
        cost_today_usd=round(float(cost_today), 6),
        images_month=int(images_month),
        cost_month_usd=round(float(cost_month), 6),
    )


async def user_usage(
    fetch: Fetch, scope: Scope, user_id: str, limits: Limits, now: datetime
) -> UserUsage:
    """A user's usage in the scope's workspace, with the totals of the scope's channel, today
    and this month in the limits' timezone."""
    workspace, timezone = Scope(scope.platform, scope.workspace_id), limits.timezone
    mine, _ = await period(fetch, workspace, user_id, now, timezone, received=True)
    channel, _ = await period(fetch, scope, None, now, timezone, received=True)
    return UserUsage(
        **asdict(mine),
        user_id=user_id,
        channel_images_today=channel.images_today,
        channel_cost_today_usd=channel.cost_today_usd,
        limits=limits,
        resets_at=window("daily", now, zone(timezone)).resets_at,
    )


async def scope_usage(
    fetch: Fetch, scope: Scope, now: datetime, timezone: str | None, top: int
) -> ScopeUsage:
    """A scope's totals and its top users by images this month, in an IANA timezone."""
    totals, failed_today = await period(fetch, scope, None, now, timezone)
    where, params = scope_filter(scope, None)
    moments = period_params(now, timezone)
    rows = await fetch(TOP_USERS.format(where=where), params | moments | {"top": top})
    models = await fetch(BY_MODEL.format(where=where), params | moments)
    return ScopeUsage(
        scope=scope,
        **asdict(totals),
        requests_failed_today=failed_today,
        top_users=tuple(UserTotal(user, images, round(cost, 6)) for user, images, cost in rows),
        resets_at=window("daily", now, zone(timezone)).resets_at,
        undelivered=await undelivered(fetch, scope, now, timezone),
        by_model=tuple(
            ModelTotal(model, source, images, round(cost, 6))
            for model, source, images, cost in models
        ),
    )


@dataclass(frozen=True)
class DayTotal:
    """The images made and dollars billed on one day, in a scope's timezone."""

    day: date
    images: int
    cost_usd: float


async def day_totals(
    fetch: Fetch, scope: Scope, days: Sequence[date], timezone: str | None
) -> list[DayTotal]:
    """What a scope was billed on each of `days` (consecutive, oldest first) in an IANA
    timezone (UTC when unset or unknown), in one query."""
    if not days:
        return []
    bounds = [*days, days[-1] + timedelta(days=1)]
    tz = zone(timezone)
    moments = {
        f"b{i}": datetime.combine(d, time(), tz).astimezone(UTC) for i, d in enumerate(bounds)
    }
    day = " ".join(f"WHEN created_at < :b{i + 1} THEN {i}" for i in range(len(days)))
    where, params = scope_filter(scope, None)
    sql = DAY_TOTALS.format(day=f"CASE {day} END", where=where, days=len(days))
    sums = {
        int(index): (int(images), round(float(cost), 6))
        for index, images, cost in await fetch(sql, params | moments)
    }
    return [DayTotal(d, *sums.get(i, (0, 0.0))) for i, d in enumerate(days)]


async def undelivered(fetch: Fetch, scope: Scope, now: datetime, timezone: str | None) -> Totals:
    """What a scope was billed for images that were made but never delivered."""
    where, params = scope_filter(scope, None)
    moments = period_params(now, timezone)
    rows = await fetch(UNDELIVERED_TOTALS.format(where=where), params | moments)
    return _totals(*rows[0])


async def export(
    fetch: Fetch,
    since: datetime,
    until: datetime,
    where: tuple[Scope, str | None],
    timestamp: Decode | None = None,
) -> AsyncIterator[LedgerEntry]:
    """Ledger rows of a scope (and user) created in [since, until), oldest first, by pages."""
    condition, params = scope_filter(*where)
    query = EXPORT_PAGE.format(where=condition)
    params |= {
        "after_at": utc(since),
        "after_id": "",
        "until": utc(until),
        "size": EXPORT_PAGE_SIZE,
    }
    while True:
        rows = await fetch(query, params)
        for row in rows:
            yield entry_from_row(row, timestamp)
        if len(rows) < EXPORT_PAGE_SIZE:
            return
        params["after_at"] = rows[-1][_CREATED_AT]
        params["after_id"] = rows[-1][_ID]
