"""Budgets by holder and period, as data: which counters a reservation charges and checks.

A budget key reads `{holder}_{period}_{unit}`: holder `user` (the person in their
workspace), `channel`, `workspace` or `bot` (the whole installation, every platform);
period `daily`, `weekly` (from Monday) or `monthly` (from the 1st), in the limits'
`timezone` (UTC when unset; the installation's own periods are always UTC); unit `images`
or `cost_usd`. Each (holder, period) has one counter row, named by `counter_key`, which
every reservation charges whether or not a limit is set, so a limit set mid-month counts
the whole month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Actor, Limits, Scope
from bot.store.common import utc

HOLDERS = ("user", "channel", "workspace", "bot")
PERIODS = ("daily", "weekly", "monthly")
UNITS = ("images", "cost_usd")
BUDGET_KEYS = tuple(f"{h}_{p}_{u}" for h in HOLDERS for p in PERIODS for u in UNITS)
_OWNER = {
    "user": "your",
    "channel": "this channel's",
    "workspace": "this workspace's",
    "bot": "the bot's",
}
_WHAT = {"images": "images", "cost_usd": "spending"}
_KEY_PARTS = tuple((f"{h}_{p}_{u}", h, p, u) for u in UNITS for h in HOLDERS for p in PERIODS)
_UTC = ZoneInfo("UTC")
# Plans kept (one per person and day): the people reserving within minutes of each other,
# whose next reservation reuses theirs; one more costs about 5 KB, a miss about 30 µs.
PLANS_KEPT = 256


@dataclass(frozen=True)
class Holder:
    """Who a budget belongs to: the channel the request was made in, and by whom."""

    channel: Scope
    user_id: str

    @classmethod
    def of(cls, actor: Actor) -> Holder:
        """The holder of an actor's requests."""
        return cls(actor.scope, actor.user_id)

    def name(self, holder: str) -> str:
        """The holder part of a counter key, e.g. 'user:discord:G1:U1'."""
        where = f"{self.channel.platform}:{self.channel.workspace_id}"
        if holder == "user":
            return f"user:{where}:{self.user_id}"
        if holder == "channel":
            return f"channel:{where}:{self.channel.channel_id}"
        if holder == "workspace":
            return f"workspace:{where}"
        return "bot"


@dataclass(frozen=True)
class Window:
    """One period: its first local day, and its bounds as UTC moments."""

    first_day: date
    starts_at: datetime
    resets_at: datetime


@dataclass(frozen=True, slots=True)
class Budget:
    """One limit that applies to a reservation: its key, counter, allowance and words."""

    key: str
    counter: str
    unit: str
    allowed: float
    label: str
    resets_at: datetime


def zone(name: str | None) -> ZoneInfo:
    """The IANA timezone of a `timezone` limit (UTC when unset or unknown)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def window(period: str, now: datetime, tz: ZoneInfo) -> Window:
    """The day, week (from Monday) or month (from the 1st) holding `now`, in `tz`."""
    return _window(period, utc(now).astimezone(tz).date(), tz)


@lru_cache(maxsize=64)
def _window(period: str, today: date, tz: ZoneInfo) -> Window:
    if period == "daily":
        first, following = today, today + timedelta(days=1)
    elif period == "weekly":
        first = today - timedelta(days=today.weekday())
        following = first + timedelta(days=7)
    else:
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return Window(first, _midnight(first, tz), _midnight(following, tz))


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def counter_key(holder: str, period: str, who: Holder, now: datetime, tz: ZoneInfo) -> str:
    """The name of one counter row: period, its first local day, and the holder."""
    first = window(period, now, _zone_of(holder, tz)).first_day
    return f"{period}:{first.isoformat()}:{who.name(holder)}"


def _zone_of(holder: str, tz: ZoneInfo) -> ZoneInfo:
    return _UTC if holder == "bot" else tz


def plan(who: Holder, limits: Limits, now: datetime) -> tuple[tuple[str, ...], tuple[Budget, ...]]:
    """Every counter a reservation at `now` charges, sorted (the order locks are taken in),
    and the budgets set in `limits`: images before dollars, the person before wider holders,
    the day before the week before the month."""
    tz, moment = zone(limits.timezone), utc(now)
    return _plan(who, limits, tz, moment.astimezone(tz).date(), moment.date())


@lru_cache(maxsize=PLANS_KEPT)
def _plan(
    who: Holder, limits: Limits, tz: ZoneInfo, local_day: date, utc_day: date
) -> tuple[tuple[str, ...], tuple[Budget, ...]]:
    """`plan` for one local and one UTC day (the same on every reservation of that day)."""
    windows = {
        (period, local): _window(period, local_day, tz) if local else _window(period, utc_day, _UTC)
        for period in PERIODS
        for local in (True, False)
    }
    counters = {
        (holder, period): (
            f"{period}:{windows[period, holder != 'bot'].first_day.isoformat()}:{who.name(holder)}"
        )
        for holder in HOLDERS
        for period in PERIODS
    }
    found = []
    for key, holder, period, unit in _KEY_PARTS:
        allowed = getattr(limits, key, None)
        if allowed is not None:
            label = f"{_OWNER[holder]} {period} {_WHAT[unit]}"
            resets_at = windows[period, holder != "bot"].resets_at
            found.append(
                Budget(key, counters[holder, period], unit, float(allowed), label, resets_at)
            )
    return tuple(sorted(counters.values())), tuple(found)


@dataclass(frozen=True)
class BudgetUse:
    """One budget of a person's request: what its counter holds and what it allows."""

    key: str
    counter: str
    used: float
    allowed: float | None
    resets_at: datetime

    @property
    def percent(self) -> float | None:
        """How much of the allowance is used, in percent (None without an allowance)."""
        if self.allowed is None:
            return None
        return 100.0 if self.allowed == 0 else 100.0 * self.used / self.allowed


def split_key(key: str) -> tuple[str, str, str]:
    """A budget key's holder, period and unit; ValueError when it names no budget."""
    if key not in BUDGET_KEYS:
        raise ValueError(f"{key!r} is not a budget key")
    holder, period, unit = key.split("_", 2)
    return holder, period, unit


def key_counter(key: str, who: Holder, limits: Limits, now: datetime) -> tuple[str, datetime]:
    """The counter a budget key reads for `who` at `now`, and when its period ends."""
    holder, period, _ = split_key(key)
    tz = _zone_of(holder, zone(limits.timezone))
    return counter_key(holder, period, who, now, tz), window(period, now, tz).resets_at
