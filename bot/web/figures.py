"""The dashboard's numbers: months in the workspace's timezone, the top people, channels and
models from ledger rows (only succeeded rows count: what was made and billed), and the month's
forecast from its per-day sums (which the store adds up)."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.models import LedgerEntry


@dataclass(frozen=True)
class Month:
    """A calendar month in a timezone: its first moment, the next month's first, its days."""

    start: datetime
    end: datetime
    days: int

    @classmethod
    def of(cls, moment: datetime, tz: tzinfo = UTC) -> Month:
        """The month a moment falls in, by the clock of `tz`."""
        first = moment.astimezone(tz).date().replace(day=1)
        days = calendar.monthrange(first.year, first.month)[1]
        start, end = (datetime.combine(d, time(), tz) for d in (first, first + timedelta(days)))
        return cls(start, end, days)

    def previous(self) -> Month:
        """The month before this one."""
        return Month.of(self.start - timedelta(days=1), self.tz)

    @property
    def tz(self) -> tzinfo:
        """The timezone the month is counted in."""
        return self.start.tzinfo or UTC

    @property
    def first_day(self) -> date:
        """Its first day."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """Its last day."""
        return self.first_day + timedelta(days=self.days - 1)

    @property
    def label(self) -> str:
        """'December 2026'."""
        return self.start.strftime("%B %Y")


@dataclass(frozen=True)
class Total:
    """Images and dollars of one person, channel or model."""

    name: str
    images: int
    cost_usd: float
    requests: int


def billed(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The rows that made images and were charged."""
    return [e for e in entries if e.status == "succeeded"]


def forecast(spent_per_day: Sequence[float], month: Month, now: datetime) -> float:
    """The month's spend if the rest of it goes as it went so far (today counts as a day)."""
    if not month.start <= now < month.end:
        return round(sum(spent_per_day), 6)
    elapsed = now.astimezone(month.tz).day
    return round(sum(spent_per_day[:elapsed]) / elapsed * month.days, 6)


def top(
    entries: Iterable[LedgerEntry], key: Callable[[LedgerEntry], str], limit: int = 8
) -> list[Total]:
    """The largest spenders by `key` (person, channel or model), dearest first."""
    images: Counter[str] = Counter()
    cost: dict[str, float] = {}
    requests: Counter[str] = Counter()
    for entry in billed(entries):
        name = key(entry)
        images[name] += entry.images_delivered
        cost[name] = cost.get(name, 0.0) + entry.est_cost_usd
        requests[name] += 1
    ranked = sorted(requests, key=lambda name: (-cost[name], -images[name], name))
    return [Total(n, images[n], round(cost[n], 6), requests[n]) for n in ranked[:limit]]
