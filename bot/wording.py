"""How numbers read in the bot's messages: durations, counts, byte sizes and amounts."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """A short human duration: '3 h 12 min', '45 min', '20 s'."""
    seconds = max(0, int(seconds + 0.999))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def plural(count: int, word: str) -> str:
    """'1 image', '2 images'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def human_size(size: int) -> str:
    """A byte count as a person reads it: 3 MB, 12 KB, 80 bytes."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def format_amount(value: float, unit: str) -> str:
    """Images as an integer, dollars with two to three decimals."""
    if unit != "usd":
        return str(int(value))
    return f"${value:.2f}" if round(value, 2) == round(value, 3) else f"${value:.3f}"
