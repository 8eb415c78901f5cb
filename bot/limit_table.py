"""The one table of limits: each field of `Limits` is a row naming its type, its IMAGINE_*
default, what it means (the README's tables) and its label in the platforms' forms.

Adding a limit is adding a row here (and, while limits are columns, a migration).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.limit_types import (
    DOLLARS,
    FLAG,
    NAMES,
    NO_SETTING,
    QUALITIES,
    SIZES,
    Spec,
    count,
    one_of,
    row,
    table,
)

COUNT = count()


@dataclass(frozen=True)
class Limits:
    """Limit settings for one scope; None means inherit from the wider scope."""

    enabled: bool | None = row(
        FLAG, True, "image generation is on", "Image generation on (true/false)"
    )
    user_daily_images: int | None = row(
        COUNT,
        None,
        "images one person may make per UTC day in a workspace",
        "Images per person per day",
    )
    channel_daily_images: int | None = row(
        COUNT, None, "images per channel per UTC day", "Images per channel per day", person=False
    )
    user_daily_cost_usd: float | None = row(
        DOLLARS,
        None,
        "USD one person may spend per UTC day in a workspace",
        "Dollars per person per day",
    )
    channel_daily_cost_usd: float | None = row(
        DOLLARS,
        None,
        "USD per channel per UTC day",
        "Dollars per channel per day",
        person=False,
    )
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
