"""The kinds of limit value the table uses: flags, counts, dollars, choices, lists of sizes
and model names, timezones, channel ids and alert percentages.

Each is a `LimitType` (bot/limit_types.py); `Limits` (bot/limit_table.py) names one per row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.limit_types import Invalid, LimitType

# Quality words from cheapest to dearest; each model takes some of them (bot/catalog.json).
QUALITIES = ("low", "medium", "high", "xhigh", "max", "auto")
LARGEST = 2**63 - 1  # the databases' BIGINT; also keeps inf and nan out
TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")
SIZE_TEXT = re.compile(r"auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4}")


def _words(column: object) -> object:
    return tuple(part for part in column.split(",") if part) if isinstance(column, str) else column


def _truth(column: object) -> object:
    return bool(column) if isinstance(column, int) else column


def _flag(key: str, text: str) -> bool:
    if text not in TRUE + FALSE:
        raise Invalid(f"{key} must be true or false, not {text!r}.")
    return text in TRUE


def _flag_check(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _flag_text(value: bool) -> str:
    return "true" if value else "false"


def _flag_shown(value: bool) -> str:
    return "yes" if value else "no"


def count(low: int = 0, high: int = LARGEST) -> LimitType[int]:
    """A whole number from `low` to `high`."""

    def parse(key: str, text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise Invalid(f"{key} must be a whole number, not {text!r}.") from None
        if not low <= number <= high:
            raise Invalid(f"{key} is out of range: {text}.")
        return number

    def check(value: object) -> int | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return value if ok else None  # type: ignore[return-value]

    return LimitType(f"use a whole number, {low} or more", parse, check)


def _dollars(key: str, text: str) -> float:
    text = text.removeprefix("$")
    try:
        number = float(text)
    except ValueError:
        raise Invalid(f"{key} must be a number of dollars, not {text!r}.") from None
    if not 0 <= number <= LARGEST:
        raise Invalid(f"{key} is out of range: {text}.")
    return number


def _dollars_check(value: object) -> float | None:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else -1
    return float(number) if 0 <= number <= LARGEST and math.isfinite(number) else None


def one_of(choices: tuple[str, ...]) -> LimitType[str]:
    """One word of `choices`, ranked from least to most."""

    def parse(key: str, text: str) -> str:
        if text not in choices:
            raise Invalid(f"{key} must be one of {', '.join(choices)}, not {text!r}.")
        return text

    def check(value: object) -> str | None:
        return value if isinstance(value, str) and value in choices else None

    def more(a: str, b: str) -> bool:
        return choices.index(a) > choices.index(b)

    return LimitType(f"use one of {', '.join(choices)}", parse, check, more=more)


def word_list(
    expected: str, good: Callable[[str], bool], bad: Callable[[str], str]
) -> LimitType[tuple[str, ...]]:
    """Comma-separated words each passing `good`; `bad` says why one does not."""

    def parse(key: str, text: str) -> tuple[str, ...]:
        words = tuple(part.strip() for part in text.split(",") if part.strip())
        for word in words:
            if not good(word):
                raise Invalid(f"{key}: {bad(word)}.")
        return words

    def check(value: object) -> tuple[str, ...] | None:
        if isinstance(value, str) or not isinstance(value, tuple | list):
            return None
        ok = all(isinstance(word, str) and good(word) for word in value)
        return tuple(value) if ok else None

    def more(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return set(a) > set(b)

    return LimitType(expected, parse, check, ",".join, ", ".join, more, _words)


FLAG = LimitType(
    "use true or false", _flag, _flag_check, _flag_text, _flag_shown, bool.__gt__, _truth
)
DOLLARS = LimitType("use a number, 0 or more", _dollars, _dollars_check)
SIZES = word_list(
    "use sizes such as 1024x1024 or 2048x1152",
    lambda size: SIZE_TEXT.fullmatch(size) is not None,
    lambda size: f"{size!r} is not a size; write WxH, e.g. 1024x1024,2048x1152",
)
NAMES = word_list(
    "use model names such as openai/gpt-image-2",
    lambda name: bool(name) and "," not in name,
    lambda name: f"{name!r} is not a model name",
)


def _zone(key: str, text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"{key}: {text!r} is not an IANA timezone; use a name such as Europe/Paris or UTC."
        ) from None
    return text


def _zone_check(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return _zone("", value)
    except Invalid:
        return None


TIMEZONE = LimitType(
    "use an IANA timezone name such as Europe/Paris or UTC", _zone, _zone_check, keeps_case=True
)


CHANNEL_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _channel(key: str, text: str) -> str:
    found = text.removeprefix("<#").removesuffix(">").split("|")[0]
    if CHANNEL_TEXT.fullmatch(found) is None:
        raise Invalid(
            f"{key}: {text!r} is not a channel id; use the id, such as 1234567890 on Discord "
            "or C0123ABC on Slack."
        )
    return found


def _channel_check(value: object) -> str | None:
    ok = isinstance(value, str) and CHANNEL_TEXT.fullmatch(value) is not None
    return value if ok else None  # type: ignore[return-value]


CHANNEL = LimitType(
    "use a channel id such as 1234567890 or C0123ABC",
    _channel,
    _channel_check,
    keeps_case=True,
)


def _percents(key: str, text: str) -> tuple[int, ...]:
    parts = [part.strip().removesuffix("%") for part in text.split(",") if part.strip()]
    found = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 100:
            raise Invalid(f"{key}: {part!r} is not a percentage from 1 to 100, e.g. 80,100.")
        found.append(int(part))
    return tuple(sorted(set(found)))


def _percents_check(value: object) -> tuple[int, ...] | None:
    if isinstance(value, str) or not isinstance(value, tuple | list):
        return None
    ok = all(
        isinstance(part, int) and not isinstance(part, bool) and 1 <= part <= 100 for part in value
    )
    return tuple(sorted(set(value))) if ok else None


def _percents_text(value: tuple[int, ...]) -> str:
    return ",".join(str(part) for part in value)


def _percents_stored(column: object) -> object:
    if not isinstance(column, str):
        return column
    return tuple(int(part) for part in column.split(",") if part.strip().isdigit())


PERCENTS = LimitType(
    "use percentages from 1 to 100, comma-separated, such as 80,100",
    _percents,
    _percents_check,
    _percents_text,
    lambda value: ", ".join(f"{part} %" for part in value),
    stored=_percents_stored,
)
