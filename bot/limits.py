"""Limit values as people type them (`user_daily_images=3`, `max_quality=`) and as shown."""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import BadRequest
from bot.models import LIMIT_KEYS, QUALITIES
from bot.sizes import parse_dims

BOOL_KEYS = {"enabled", "admins_exempt", "others_can_vary"}
INT_KEYS = {"user_daily_images", "channel_daily_images", "max_n", "cooldown_s", "max_pixels"}
COST_KEYS = {"user_daily_cost_usd", "channel_daily_cost_usd"}
TRUE = {"true", "yes", "on", "1"}
FALSE = {"false", "no", "off", "0"}


def parse_limit_values(assignments: Mapping[str, str]) -> dict[str, object]:
    """Typed values for KEY=VALUE text; an empty value clears the key (None)."""
    return {key: parse_limit_value(key, text) for key, text in assignments.items()}


def parse_limit_value(key: str, text: str) -> object:
    """One limit value from text, or a BadRequest that says what would be valid."""
    if key not in LIMIT_KEYS:
        raise BadRequest(f"Unknown limit {key!r}. Known limits: {', '.join(LIMIT_KEYS)}.")
    value = text.strip().lower()
    if not value:
        return None
    if key in BOOL_KEYS:
        if value in TRUE | FALSE:
            return value in TRUE
        raise BadRequest(f"{key} must be true or false, not {text!r}.")
    if key in INT_KEYS or key in COST_KEYS:
        return _number(key, value.removeprefix("$"), key in INT_KEYS)
    if key == "max_quality":
        if value not in QUALITIES:
            raise BadRequest(f"max_quality must be one of {', '.join(QUALITIES)}, not {text!r}.")
        return value
    parts = tuple(part.strip() for part in value.split(",") if part.strip())
    if key == "allowed_models":
        return parts
    unknown = [size for size in parts if size != "auto" and parse_dims(size) is None]
    if unknown:
        raise BadRequest(
            f"allowed_sizes: {unknown[0]!r} is not a size; write WxH, e.g. 1024x1024,2048x1152."
        )
    return parts


def _number(key: str, value: str, whole: bool) -> int | float:
    try:
        number: int | float = int(value) if whole else float(value)
    except ValueError:
        kind = "a whole number" if whole else "a number of dollars"
        raise BadRequest(f"{key} must be {kind}, not {value!r}.") from None
    if number < 0 or (key == "max_n" and not 1 <= number <= 10):
        raise BadRequest(f"{key} is out of range: {value}.")
    return number


def format_limit(value: object) -> str:
    """A limit value as people read it: 'unlimited' for unset."""
    if value is None:
        return "unlimited"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)
