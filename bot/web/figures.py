"""The dashboard's numbers, worked out from ledger rows: per day, per person, per channel,
per model, and the month's forecast. Only succeeded rows count: what was made and billed."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.models import LedgerEntry


@dataclass(frozen=True)
class Month:
    """A calendar month (UTC): its first moment, the next month's first, its day count."""

    start: datetime
    end: datetime
    days: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        """The month a moment falls in."""
        start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        days = calendar.monthrange(start.year, start.month)[1]
        return cls(start, start + timedelta(days=days), days)

    def previous(self) -> Month:
        """The month before this one."""
        return Month.of(self.start - timedelta(days=1))

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


def per_day(
    entries: Iterable[LedgerEntry], month: Month, value: Callable[[LedgerEntry], float]
) -> tuple[float, ...]:
    """One sum per day of `month` (day 1 first) of `value` over its billed rows."""
    sums = [0.0] * month.days
    for entry in billed(entries):
        if month.start <= entry.created_at < month.end:
            sums[entry.created_at.astimezone(UTC).day - 1] += value(entry)
    return tuple(round(s, 6) for s in sums)


def images_of(entry: LedgerEntry) -> float:
    """The images a row made."""
    return float(entry.images_delivered)


def cost_of(entry: LedgerEntry) -> float:
    """What a row cost."""
    return entry.est_cost_usd


def forecast(spent_per_day: Sequence[float], month: Month, now: datetime) -> float:
    """The month's spend if the rest of it goes as it went so far (today counts as a day)."""
    if not month.start <= now < month.end:
        return round(sum(spent_per_day), 6)
    elapsed = now.astimezone(UTC).day
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
