"""Every budget of a workspace as gauges: what each person and channel used of each limit.

The budgets are rows of BUDGETS: a limit key, what it is called, its unit, who holds it (a
person or a channel) and which figure of the holder's usage it is measured against. Budgets
of other periods (a week, a month) are more rows, measured by their own figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.handler import ImagineHandler
from bot.models import Actor, LedgerEntry, Limits, Scope
from bot.periods import local_clock, windows
from bot.usage import UserUsage
from bot.web.charts import Gauge
from bot.wording import format_duration


@dataclass(frozen=True)
class Budget:
    """One kind of budget: a limit key, measured per holder by `used`."""

    key: str
    title: str
    unit: str
    holder: str  # 'person' or 'channel'
    used: Callable[[UserUsage], float]


BUDGETS = (
    Budget("user_daily_images", "Images a day", "images", "person", lambda u: u.images_today),
    Budget("user_daily_cost_usd", "Spend a day", "usd", "person", lambda u: u.cost_today_usd),
    Budget(
        "channel_daily_images",
        "Images a day",
        "images",
        "channel",
        lambda u: u.channel_images_today,
    ),
    Budget(
        "channel_daily_cost_usd",
        "Spend a day",
        "usd",
        "channel",
        lambda u: u.channel_cost_today_usd,
    ),
)


async def workspace_gauges(
    handler: ImagineHandler, scope: Scope, today: Sequence[LedgerEntry], now: datetime
) -> list[Gauge]:
    """A gauge per budget set in the workspace and per person or channel active today (one
    for 'each person' or 'each channel' when nobody is); `today` is the day in the
    workspace's timezone, as the budgets count it."""
    people = {e.user_id: e.channel_id for e in sorted(today, key=lambda e: e.created_at)}
    channels = {e.channel_id: e.user_id for e in today}
    gauges: list[Gauge] = []
    for budget in BUDGETS:
        holders = people if budget.holder == "person" else channels
        gauges += await _gauges(handler, scope, budget, holders, now)
    return gauges


async def _gauges(
    handler: ImagineHandler,
    scope: Scope,
    budget: Budget,
    holders: dict[str, str],
    now: datetime,
) -> list[Gauge]:
    person = budget.holder == "person"
    found = []
    for holder, other in sorted(holders.items()):
        user, channel = (holder, other) if person else (other, holder)
        actor = Actor(scope.platform, scope.workspace_id, channel, user)
        usage = await handler.usage(actor)
        limits = usage.limits if not person else await handler.limits_for(scope)
        limit = _limit(limits, budget.key)
        if limit is not None:
            name = f"person {user}" if person else f"channel {channel}"
            when = _resets(usage.resets_at, limits.timezone, now)
            found.append(Gauge(budget.title, name, budget.used(usage), limit, budget.unit, when))
    if not holders:
        limits = await handler.limits_for(scope)
        limit = _limit(limits, budget.key)
        if limit is not None:
            when = _resets(windows(now, limits.timezone).day_ends, limits.timezone, now)
            found.append(
                Gauge(budget.title, f"each {budget.holder}", 0.0, limit, budget.unit, when)
            )
    return found


def _limit(limits: Limits, key: str) -> float | None:
    value = getattr(limits, key)
    return float(value) if isinstance(value, int | float) else None


def _resets(resets: datetime, timezone: str | None, now: datetime) -> str:
    """When a daily budget resets, on the workspace's clock: '00:00 NZDT, in 3 h'."""
    wait = max(0.0, (resets - now).total_seconds())
    return f"{local_clock(resets, timezone)}, in {format_duration(wait)}"
