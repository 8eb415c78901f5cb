"""Usage by period (today, this week from Monday, this month from the 1st, in a scope's
timezone) from ledger rows: the reports' figures, the month's forecast, a person's footer.

For a person a row counts as their limits count it: a succeeded row for the images it
delivered and its cost, unless they were never delivered; a reserved row for what it holds.
An admin's report counts what the gateway billed, as the store's scope report does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import LedgerEntry, Limits
from bot.wording import format_amount

PERIODS = ("daily", "weekly", "monthly")
SHOWN = {"daily": "today", "weekly": "this week", "monthly": "this month"}
UNITS = {"images": "images", "cost_usd": "usd"}
TOP = 10


@dataclass(frozen=True)
class Windows:
    """Where today, this week and this month begin, and where today and this month end (UTC)."""

    starts: Mapping[str, datetime]
    day_ends: datetime
    month_ends: datetime

    @property
    def earliest(self) -> datetime:
        """The first moment any period covers (a week may begin last month)."""
        return min(self.starts.values())


def windows(now: datetime, timezone: str | None = None) -> Windows:
    """The periods holding `now` in an IANA timezone (UTC when unset)."""
    tz = ZoneInfo(timezone or "UTC")
    today = now.astimezone(tz).date()
    month = today.replace(day=1)
    firsts = {"daily": today, "weekly": today - timedelta(days=today.weekday()), "monthly": month}
    following = (month + timedelta(days=32)).replace(day=1)
    starts = {p: _midnight(d, tz) for p, d in firsts.items()}
    return Windows(starts, _midnight(today + timedelta(days=1), tz), _midnight(following, tz))


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def local_clock(moment: datetime, timezone: str | None) -> str:
    """A moment on the clock of an IANA timezone (UTC when unset), as refusals show a reset:
    '00:00 NZDT'."""
    local = moment.astimezone(ZoneInfo(timezone or "UTC"))
    return f"{local:%H:%M} {local.tzname()}"


@dataclass
class Tally:
    """Images and dollars counted in one period or for one holder."""

    images: int = 0
    cost_usd: float = 0.0

    def add(self, entry: LedgerEntry, billed: bool) -> None:
        """Count one ledger row as the limits count it, or (`billed`) as the gateway billed it:
        every succeeded row, delivered or not, and nothing still reserved."""
        if entry.status == "reserved" and not billed:
            self.images += entry.n
            self.cost_usd += entry.est_cost_usd
        elif entry.status == "succeeded" and (billed or entry.delivery != "undelivered"):
            self.images += entry.images_delivered
            self.cost_usd += entry.est_cost_usd


@dataclass(frozen=True)
class PeriodReport:
    """Today, this week and this month; this month by channel (the store's scope report has
    it by person and by model); and the month's spending forecast at its pace so far."""

    periods: Mapping[str, Tally]
    by_channel: tuple[tuple[str, Tally], ...]
    forecast_month_usd: float


async def period_report(
    entries: AsyncIterable[LedgerEntry],
    now: datetime,
    timezone: str | None = None,
    *,
    billed: bool = False,
) -> PeriodReport:
    """The report of ledger rows created since `windows(now).earliest`, counted as the limits
    count them (a person's budget) or as billed (an admin's report of a scope)."""
    spans = windows(now, timezone)
    periods = {period: Tally() for period in PERIODS}
    channels: defaultdict[str, Tally] = defaultdict(Tally)
    async for entry in entries:
        for period, start in spans.starts.items():
            if entry.created_at >= start:
                periods[period].add(entry, billed)
        if entry.created_at >= spans.starts["monthly"]:
            channels[entry.channel_id].add(entry, billed)
    return PeriodReport(
        periods,
        by_channel=_top(channels),
        forecast_month_usd=forecast(periods["monthly"].cost_usd, now, spans),
    )


def _top(tallies: Mapping[str, Tally]) -> tuple[tuple[str, Tally], ...]:
    ranked = sorted(tallies.items(), key=lambda item: (-item[1].cost_usd, -item[1].images))
    return tuple(ranked[:TOP])


def forecast(spent_usd: float, now: datetime, spans: Windows) -> float:
    """The month's spending if it goes on at its pace so far (at least a day's worth)."""
    month = spans.month_ends - spans.starts["monthly"]
    elapsed = max(now - spans.starts["monthly"], timedelta(days=1))
    return spent_usd * min(month / elapsed, 31.0)


def own_budgets(limits: Limits) -> bool:
    """Whether any budget of a person's own (user_daily_images, ...) is set."""
    return any(
        getattr(limits, f"user_{period}_{unit}", None) is not None
        for period in PERIODS
        for unit in UNITS
    )


def remaining_text(limits: Limits, periods: Mapping[str, Tally]) -> str | None:
    """A person's tightest own budget as a result footer shows it: '7 of 20 images left this
    month'; None when no budget of theirs is set."""
    tightest: tuple[float, str] | None = None
    for period in PERIODS:
        for unit, shown in UNITS.items():
            allowed = getattr(limits, f"user_{period}_{unit}", None)
            if allowed is None:
                continue
            used = periods[period].images if unit == "images" else periods[period].cost_usd
            left = max(0.0, allowed - used)
            share = left / allowed if allowed else 0.0
            what = " images" if unit == "images" else ""
            text = (
                f"{format_amount(left, shown)} of {format_amount(allowed, shown)}{what} left "
                f"{SHOWN[period]}"
            )
            if tightest is None or share < tightest[0]:
                tightest = (share, text)
    return None if tightest is None else tightest[1]
