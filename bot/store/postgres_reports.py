"""Usage reports read from the PostgreSQL ledger, for people (one snapshot per report)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.models import Limits, Scope, ScopeUsage, UserTotal, UserUsage
from bot.store.common import day_window
from bot.store.postgres_sql import PERIOD_TOTALS, TOP_USERS, period_params, scope_filter

Fetch = Callable[[str, Mapping[str, object]], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Period:
    """Images and dollars charged today and this month in a scope, and today's failures."""

    images_today: int
    cost_today_usd: float
    images_month: int
    cost_month_usd: float
    failed_today: int


async def period(fetch: Fetch, scope: Scope, user_id: str | None, now: datetime) -> Period:
    """What a scope (or one user in it) was charged today and this month (UTC)."""
    where, params = scope_filter(scope, user_id)
    rows = await fetch(PERIOD_TOTALS.format(where=where), params | period_params(now))
    images, cost, images_month, cost_month, failed = rows[0]
    return Period(images, round(cost, 6), images_month, round(cost_month, 6), failed)


async def user_usage(
    fetch: Fetch, scope: Scope, user_id: str, limits: Limits, now: datetime
) -> UserUsage:
    """A user's usage in the scope's workspace, with the totals of the scope's channel."""
    mine = await period(fetch, Scope(scope.platform, scope.workspace_id), user_id, now)
    channel = await period(fetch, scope, None, now)
    return UserUsage(
        user_id=user_id,
        images_today=mine.images_today,
        cost_today_usd=mine.cost_today_usd,
        images_month=mine.images_month,
        cost_month_usd=mine.cost_month_usd,
        channel_images_today=channel.images_today,
        channel_cost_today_usd=channel.cost_today_usd,
        limits=limits,
        resets_at=day_window(now)[1],
    )


async def scope_usage(fetch: Fetch, scope: Scope, now: datetime, top: int) -> ScopeUsage:
    """A scope's totals and its top users by images this month."""
    totals = await period(fetch, scope, None, now)
    where, params = scope_filter(scope, None)
    rows = await fetch(TOP_USERS.format(where=where), params | period_params(now) | {"top": top})
    return ScopeUsage(
        scope=scope,
        images_today=totals.images_today,
        cost_today_usd=totals.cost_today_usd,
        images_month=totals.images_month,
        cost_month_usd=totals.cost_month_usd,
        requests_failed_today=totals.failed_today,
        top_users=tuple(UserTotal(user, images, round(cost, 6)) for user, images, cost in rows),
        resets_at=day_window(now)[1],
    )
