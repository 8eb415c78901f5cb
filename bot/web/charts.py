"""Charts as inline SVG, drawn in Python: bars per day for two months, and budget gauges.

Every bar carries `data-series`, `data-day` and `data-value`, and its height is its value
over the chart's top, so a test (or a curious admin) can read the data back from the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 28
PLOT_H = HEIGHT - TOP - BOTTOM
CURRENT, PREVIOUS = "#4f6bed", "#c9cfdc"


@dataclass(frozen=True)
class Series:
    """One month's values, day 1 first; `name` is what the legend and data-series say."""

    name: str
    label: str
    values: tuple[float, ...]


def nice_top(largest: float) -> float:
    """A round number at or above `largest` for the chart's top line (1 when all are 0)."""
    if largest <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(largest))
    for factor in (1.0, 2.0, 2.5, 5.0):
        if factor * step >= largest:
            return factor * step
    return 10.0 * step


def day_bars(title: str, current: Series, previous: Series, fmt: Callable[[float], str]) -> str:
    """Two months of daily values as bars side by side, with gridlines and day labels."""
    top = nice_top(max((*current.values, *previous.values), default=0.0))
    slot = (WIDTH - LEFT - RIGHT) / 31
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" data-top="{top:g}">',
        f"<title>{escape(title)}</title>",
        *_grid(top, fmt),
    ]
    for offset, series, colour in ((0.12, previous, PREVIOUS), (0.5, current, CURRENT)):
        for day, value in enumerate(series.values, start=1):
            x = LEFT + (day - 1 + offset) * slot
            parts.append(_bar(series, day, value, x, slot * 0.38, top, colour, fmt))
    for day in (1, 5, 10, 15, 20, 25, 30):
        x = LEFT + (day - 0.5) * slot
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="middle">{day}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend(current: Series, previous: Series) -> str:
    """The two months' names with their colours."""
    return (
        '<p class="legend">'
        f'<span class="swatch current"></span>{escape(current.label)} '
        f'<span class="swatch previous"></span>{escape(previous.label)}</p>'
    )


def _grid(top: float, fmt: Callable[[float], str]) -> list[str]:
    lines = []
    for step in range(5):
        value = top * step / 4
        y = TOP + PLOT_H - PLOT_H * step / 4
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    return lines


def _bar(
    series: Series,
    day: int,
    value: float,
    x: float,
    width: float,
    top: float,
    colour: str,
    fmt: Callable[[float], str],
) -> str:
    height = PLOT_H * value / top
    y = TOP + PLOT_H - height
    return (
        f'<rect x="{x:.2f}" y="{y:.3f}" width="{width:.2f}" height="{height:.3f}" '
        f'fill="{colour}" rx="1.5" data-series="{series.name}" data-day="{day}" '
        f'data-value="{value:g}"><title>{escape(series.label)} {day}: '
        f"{escape(fmt(value))}</title></rect>"
    )


@dataclass(frozen=True)
class Gauge:
    """One budget: what was used of its limit, and when it resets."""

    title: str
    holder: str
    used: float
    limit: float
    unit: str  # 'images' or 'usd'
    resets: str

    @property
    def share(self) -> float:
        """Used over limit, 0..1 (a limit of 0 is full)."""
        return 1.0 if self.limit <= 0 else min(1.0, self.used / self.limit)


def gauge(item: Gauge, fmt: Callable[[float, str], str]) -> str:
    """A budget as a labelled bar: green, amber past 70 %, red past 90 %."""
    share = item.share
    colour = "#2f9e6b" if share < 0.7 else "#e0a100" if share < 0.9 else "#d64545"
    limit = fmt(item.limit, item.unit)
    used = fmt(item.used, item.unit) if item.unit == "usd" else f"{item.used:g}"
    track = (
        f'<svg class="gauge" viewBox="0 0 200 10" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(item.title)}"><rect width="200" height="10" rx="5" '
        f'fill="#e8ebf2"/><rect width="{200 * share:.1f}" height="10" rx="5" '
        f'fill="{colour}" data-used="{item.used:g}" data-limit="{item.limit:g}"/></svg>'
    )
    return (
        f'<div class="budget"><div class="budget-head"><strong>{escape(item.title)}</strong>'
        f"<span>{escape(item.holder)}</span></div>{track}"
        f'<div class="budget-foot"><span class="used">{escape(used)} of {escape(limit)}</span>'
        f"<span>resets {escape(item.resets)}</span></div></div>"
    )


def gauges(items: Sequence[Gauge], fmt: Callable[[float, str], str]) -> str:
    """Every budget as a gauge, or a line saying there are none."""
    if not items:
        return '<p class="quiet">No budgets are set here: everything is unlimited.</p>'
    return '<div class="budgets">' + "".join(gauge(item, fmt) for item in items) + "</div>"
