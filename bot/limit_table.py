"""The one table of limits: each field of `Limits` is a row naming its type, its IMAGINE_*
default, what it means (the README's tables) and its label in the platforms' forms.

Adding a limit is adding a row here (and, while limits are columns, a migration). The
budgets read `{holder}_{period}_{unit}`: a person (in their workspace), a channel, a
workspace or the whole installation ('bot', set with --platform '*'), by day, week or month.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bot.limit_kinds import (
    CHANNEL,
    DOLLARS,
    FLAG,
    NAMES,
    PERCENTS,
    QUALITIES,
    SIZES,
    TIMEZONE,
    count,
    one_of,
)
from bot.limit_types import NO_SETTING, Spec, row, table

COUNT = count()
PER = {
    "daily": "per day",
    "weekly": "per week (from Monday)",
    "monthly": "per month (from the 1st)",
}
WHO = {
    "user": ("one person may {verb} {per} in a workspace", "per person"),
    "channel": ("a channel may {verb} {per}", "per channel"),
    "workspace": ("a workspace (Discord server, Slack team) may {verb} {per}", "per workspace"),
    "bot": ("the whole installation may {verb} {per}, across every platform", "for the bot"),
}


def _budget(kind: Any, verb: str, noun: str, label: str, holder: str, period: str) -> Any:
    """A row of what one holder may make or spend in one period (days, weeks and months run
    in the scope's `timezone`)."""
    doc, who = WHO[holder]
    what = doc.format(verb=verb, per=PER[period])
    shown = f"{label} {who} {PER[period].split(' (')[0]}"
    return row(
        kind, None, f"{noun} {what}", shown, person=holder == "user", installation=holder == "bot"
    )


def images(holder: str, period: str) -> int | None:
    """A row of the images one holder may make in one period."""
    budget: int | None = _budget(COUNT, "make", "images", "Images", holder, period)
    return budget


def dollars(holder: str, period: str) -> float | None:
    """A row of the USD one holder may spend in one period."""
    budget: float | None = _budget(DOLLARS, "spend", "USD", "Dollars", holder, period)
    return budget


@dataclass(frozen=True, slots=True)
class Limits:
    """Limit settings for one scope; None means inherit from the wider scope."""

    enabled: bool | None = row(
        FLAG, True, "image generation is on", "Image generation on (true/false)"
    )
    user_daily_images: int | None = images("user", "daily")
    channel_daily_images: int | None = images("channel", "daily")
    user_daily_cost_usd: float | None = dollars("user", "daily")
    channel_daily_cost_usd: float | None = dollars("channel", "daily")
    max_n: int | None = row(
        count(1, 10), 4, "images per request (1-10)", "Most images per request (1-10)"
    )
    max_quality: str | None = row(
        one_of(QUALITIES),
        "high",
        f"the highest quality people may ask for ({', '.join(QUALITIES)})",
        f"Highest quality ({', '.join(QUALITIES)})",
    )
    allowed_sizes: tuple[str, ...] | None = row(
        SIZES,
        None,
        "the exact sizes people may ask for, comma-separated (empty: every size the model makes)",
        "Allowed sizes, comma-separated",
    )
    cooldown_s: int | None = row(
        COUNT,
        0,
        "seconds a person waits between requests",
        "Seconds between one person's requests",
        fewer_is_more=True,
    )
    admins_exempt: bool | None = row(
        FLAG, False, "admins are not held to limits", "Admins exempt from limits (true/false)"
    )
    others_can_vary: bool | None = row(
        FLAG,
        True,
        "anyone may Vary or Re-roll another person's result (charged to themselves)",
        "Others may vary or re-roll a person's images",
        person=False,
    )
    allowed_models: tuple[str, ...] | None = row(
        NAMES,
        NO_SETTING,
        "the models people may choose here, comma-separated (within IMAGINE_MODELS)",
        "Models people may choose, comma-separated",
    )
    max_pixels: int | None = row(
        count(1),
        None,
        "the largest image area in pixels (width x height), e.g. 2359296; cost grows with area",
        "Largest image area in pixels (width x height)",
    )
    allow_low_moderation: bool | None = row(
        FLAG,
        False,
        "people may ask for `--moderation low` on new images",
        "Allow --moderation low on new images",
    )
    allow_private: bool | None = row(
        FLAG,
        True,
        "people may ask for results only they see (`--private`)",
        "Allow private results (true/false)",
    )
    user_weekly_images: int | None = images("user", "weekly")
    user_weekly_cost_usd: float | None = dollars("user", "weekly")
    user_monthly_images: int | None = images("user", "monthly")
    user_monthly_cost_usd: float | None = dollars("user", "monthly")
    channel_weekly_images: int | None = images("channel", "weekly")
    channel_weekly_cost_usd: float | None = dollars("channel", "weekly")
    channel_monthly_images: int | None = images("channel", "monthly")
    channel_monthly_cost_usd: float | None = dollars("channel", "monthly")
    workspace_daily_images: int | None = images("workspace", "daily")
    workspace_daily_cost_usd: float | None = dollars("workspace", "daily")
    workspace_weekly_images: int | None = images("workspace", "weekly")
    workspace_weekly_cost_usd: float | None = dollars("workspace", "weekly")
    workspace_monthly_images: int | None = images("workspace", "monthly")
    workspace_monthly_cost_usd: float | None = dollars("workspace", "monthly")
    bot_daily_images: int | None = images("bot", "daily")
    bot_daily_cost_usd: float | None = dollars("bot", "daily")
    bot_weekly_images: int | None = images("bot", "weekly")
    bot_weekly_cost_usd: float | None = dollars("bot", "weekly")
    bot_monthly_images: int | None = images("bot", "monthly")
    bot_monthly_cost_usd: float | None = dollars("bot", "monthly")
    timezone: str | None = row(
        TIMEZONE,
        "UTC",
        "the IANA timezone (e.g. Europe/Paris) in which days, weeks and months begin here",
        "Timezone of days, weeks and months (e.g. Europe/Paris)",
        person=False,
    )
    alert_channel: str | None = row(
        CHANNEL,
        NO_SETTING,
        "the channel (its id) where this workspace's budget alerts are posted",
        "Channel for budget alerts (its id)",
        person=False,
    )
    alert_at: tuple[int, ...] | None = row(
        PERCENTS,
        (80, 100),
        "the percentages of a workspace, channel or installation budget at which an alert "
        "is sent, once per period, comma-separated",
        "Alert at these percentages of a budget, comma-separated",
        person=False,
    )
    log_channel: str | None = row(
        CHANNEL,
        NO_SETTING,
        "the channel (its id) where every delivered result is recorded for moderators",
        "Channel recording every result (its id)",
        person=False,
    )

    def over(self, wider: Limits) -> Limits:
        """These limits with unset keys taken from a wider scope."""
        values = {
            f.name: getattr(self, f.name)
            if getattr(self, f.name) is not None
            else getattr(wider, f.name)
            for f in fields(self)
        }
        return Limits(**values)

    def as_dict(self) -> dict[str, object]:
        """One key per limit, JSON-friendly."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


LIMITS: dict[str, Spec] = table(Limits)
LIMIT_KEYS = tuple(LIMITS)
# the keys a role tier or a person override may set (a person's own)
PERSON_KEYS = tuple(key for key, spec in LIMITS.items() if spec.person)
