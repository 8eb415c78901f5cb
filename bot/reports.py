"""Usage and limits as people read them, and the ledger as CSV."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import TextIO

from bot.limits import format_limit
from bot.models import LIMIT_KEYS, LedgerEntry, Limits, Scope
from bot.periods import PeriodReport, local_clock
from bot.usage import ScopeUsage, Totals, UserUsage
from bot.wording import format_amount, format_duration, plural

CSV_COLUMNS = (
    "id",
    "created_at",
    "settled_at",
    "platform",
    "workspace_id",
    "channel_id",
    "user_id",
    "kind",
    "model",
    "size",
    "quality",
    "n",
    "status",
    "images_delivered",
    "delivery",
    "input_tokens",
    "output_tokens",
    "est_cost_usd",
    "cost_source",
    "error_kind",
)


COST_SOURCES = {
    "gateway": "the gateway's own figure",
    "tokens": "tokens x the model's rates",
    "table": "the model's price table",
    "": "unrecorded",
}


def period_dict(report: PeriodReport) -> dict[str, object]:
    """This week's figures of a period report (today's and the month's come with the usage),
    JSON-friendly."""
    week = report.periods["weekly"]
    return {"images_week": week.images, "cost_week_usd": round(week.cost_usd, 6)}


def scope_period_dict(report: PeriodReport) -> dict[str, object]:
    """A scope's period figures: the week, the month's forecast and the month by channel,
    JSON-friendly (by person and by model come with the usage)."""
    return period_dict(report) | {
        "forecast_month_usd": round(report.forecast_month_usd, 6),
        "month_by_channel": [
            {"channel_id": key, "images": t.images, "cost_usd": round(t.cost_usd, 6)}
            for key, t in report.by_channel
        ],
    }


def _week(periods: PeriodReport | None) -> list[str]:
    if periods is None:
        return []
    week = periods.periods["weekly"]
    return [f"This week (from Monday): {tally(week.images, week.cost_usd)}"]


def user_usage_dict(usage: UserUsage) -> dict[str, object]:
    """A user's usage as JSON-friendly data."""
    return {
        "user_id": usage.user_id,
        **_totals_dict(usage),
        "images_remaining_today": usage.images_remaining,
        "cost_remaining_today_usd": usage.cost_remaining_usd,
        "resets_at": usage.resets_at.isoformat(),
        "limits": usage.limits.as_dict(),
    }


def scope_usage_dict(usage: ScopeUsage) -> dict[str, object]:
    """A scope's usage as JSON-friendly data."""
    return {
        "platform": usage.scope.platform,
        "workspace_id": usage.scope.workspace_id,
        "channel_id": usage.scope.channel_id,
        **_totals_dict(usage),
        "requests_failed_today": usage.requests_failed_today,
        "undelivered": _totals_dict(usage.undelivered),
        "resets_at": usage.resets_at.isoformat(),
        "top_users": [
            {"user_id": u.user_id, "images": u.images, "cost_usd": round(u.cost_usd, 6)}
            for u in usage.top_users
        ],
        "by_model": [
            {
                "model": m.model,
                "cost_source": m.cost_source,
                "images": m.images,
                "cost_usd": round(m.cost_usd, 6),
            }
            for m in usage.by_model
        ],
    }


def _totals_dict(totals: Totals) -> dict[str, object]:
    return {
        "images_today": totals.images_today,
        "cost_today_usd": round(totals.cost_today_usd, 6),
        "images_month": totals.images_month,
        "cost_month_usd": round(totals.cost_month_usd, 6),
    }


def format_user_usage(usage: UserUsage, now: datetime, periods: PeriodReport | None = None) -> str:
    """'Today: 2 images ($0.08) …' for the person asking (with `periods`, this week too)."""
    lines = [
        f"Today: {tally(usage.images_today, usage.cost_today_usd)}",
        *_week(periods),
        f"This month: {tally(usage.images_month, usage.cost_month_usd)}",
    ]
    if usage.images_remaining is not None:
        lines.append(f"Images left today: {usage.images_remaining}")
    if usage.cost_remaining_usd is not None:
        lines.append(f"Budget left today: {format_amount(usage.cost_remaining_usd, 'usd')}")
    reset = format_duration((usage.resets_at - now).total_seconds())
    timezone = usage.limits.timezone
    lines.append(f"Daily limits reset in {reset} ({local_clock(usage.resets_at, timezone)}).")
    return "\n".join(lines)


def format_scope_usage(usage: ScopeUsage, periods: PeriodReport | None = None) -> str:
    """Totals and top users, for admins; with `periods`, this week, the month's forecast at
    its pace and the month by channel too."""
    lines = [
        f"Today: {tally(usage.images_today, usage.cost_today_usd)}, "
        f"{plural(usage.requests_failed_today, 'failed request')} (not charged)",
        *_week(periods),
        f"This month: {tally(usage.images_month, usage.cost_month_usd)}",
    ]
    missed = usage.undelivered
    if missed.images_month:
        lines.append(
            f"Made but not delivered (included above, not held against people's limits): "
            f"today {tally(missed.images_today, missed.cost_today_usd)}, "
            f"this month {tally(missed.images_month, missed.cost_month_usd)}"
        )
    if periods is not None:
        forecast = format_amount(periods.forecast_month_usd, "usd")
        lines.append(f"Forecast this month at this pace: {forecast}")
    if usage.top_users:
        lines.append("Top users this month:")
        lines.extend(f"  {u.user_id}: {tally(u.images, u.cost_usd)}" for u in usage.top_users)
    if periods is not None and periods.by_channel:
        lines.append("By channel this month:")
        lines.extend(f"  {key}: {tally(t.images, t.cost_usd)}" for key, t in periods.by_channel)
    if usage.by_model:
        lines.append("By model this month (cost from):")
        lines.extend(
            f"  {m.model} ({COST_SOURCES.get(m.cost_source, m.cost_source)}): "
            f"{tally(m.images, m.cost_usd)}"
            for m in usage.by_model
        )
    return "\n".join(lines)


def format_limits(effective: Limits, here: Limits) -> str:
    """One line per limit: its effective value, marked where this scope sets it."""
    lines = []
    for key in LIMIT_KEYS:
        mark = "  (set here)" if getattr(here, key) is not None else ""
        lines.append(f"{key} = {format_limit(key, getattr(effective, key))}{mark}")
    return "\n".join(lines)


def format_tiers(
    tiers: Sequence[tuple[Scope, Limits]], name: Callable[[Scope], str], most: int | None = None
) -> str:
    """The role tiers and person overrides of a workspace, one line each: who (as `name`
    shows a role's or a person's scope), then what it sets; at most `most` of them, then how
    many more; '' when there are none."""
    shown = tiers[:most] if most is not None else tiers
    roles = [_tier_line(scope, limits, name) for scope, limits in shown if scope.role_id]
    people = [_tier_line(scope, limits, name) for scope, limits in shown if scope.user_id]
    lines = []
    if roles:
        lines += ["Role tiers (a person gets the most generous of their roles):", *roles]
    if people:
        lines += ["Person overrides (over any role):", *people]
    if len(tiers) > len(shown):
        lines.append(f"  …and {len(tiers) - len(shown)} more")
    return "\n".join(lines)


def _tier_line(scope: Scope, limits: Limits, name: Callable[[Scope], str]) -> str:
    sets = [
        f"{key} = {format_limit(key, getattr(limits, key))}"
        for key in LIMIT_KEYS
        if getattr(limits, key) is not None
    ]
    return f"  {name(scope)}: {', '.join(sets)}"


async def write_csv(entries: AsyncIterator[LedgerEntry], out: TextIO) -> int:
    """Write ledger rows as CSV (prompts left out); returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    async for entry in entries:
        writer.writerow([_cell(getattr(entry, column)) for column in CSV_COLUMNS])
        count += 1
    return count


def notes(warnings: Sequence[str]) -> list[str]:
    """The gateway's warnings about a result (e.g. an ignored mask), one line each."""
    return [f"Note from the image service: {warning}" for warning in warnings]


def tally(images: int, cost_usd: float) -> str:
    """'2 images ($0.08)' for a count and its cost."""
    return f"{plural(images, 'image')} ({format_amount(cost_usd, 'usd')})"


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value
