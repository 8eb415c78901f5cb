"""The dashboard's list of the budget alerts sent for a workspace, newest first: when, which
budget of whom, at what threshold, and for which period.

An alert names its budget's counter, `{period}:{first local day}:{holder}` (the holder is
'user:P:W:ID', 'channel:P:W:ID', 'workspace:P:W' or 'bot'), which says the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from html import escape
from typing import Protocol

from bot.models import LIMITS
from bot.web.pages import table

EMPTY = (
    "No budget alert has been sent for this workspace yet. One goes to the alert_channel "
    "(and the alert webhook) when a budget crosses a threshold of alert_at."
)
HOLDERS = {"user": "person", "channel": "channel"}


class Sent(Protocol):
    """One alert sent, as the handler lists them."""

    @property
    def counter(self) -> str: ...
    @property
    def threshold(self) -> int: ...
    @property
    def limit_key(self) -> str: ...
    @property
    def sent_at(self) -> datetime: ...


def alerts_list(sent: Iterable[Sent]) -> str:
    """The alerts section: a row per alert as given (newest first), or why there is none."""
    rows = [
        [
            f"<time>{alert.sent_at:%Y-%m-%d %H:%M} UTC</time>",
            _budget(alert.limit_key, alert.counter),
            f"{alert.threshold} %",
            escape(_period(alert.counter)),
        ]
        for alert in sent
    ]
    headers = ("sent", "budget", "threshold", "period")
    return (
        f'<section class="card alerts"><h2>Alerts sent</h2>{table(headers, rows, EMPTY)}</section>'
    )


def _budget(key: str, counter: str) -> str:
    spec = LIMITS.get(key)
    label = spec.label if spec is not None else key
    return f"{escape(label)} · {escape(_holder(counter))} <code>{escape(key)}</code>"


def _holder(counter: str) -> str:
    """Whose budget: 'person U1', 'channel C1', 'the workspace', 'the whole installation'."""
    parts = counter.split(":", 2)[-1].split(":")
    kind, name = parts[0], parts[-1]
    if kind in HOLDERS:
        return f"{HOLDERS[kind]} {name}"
    return "the workspace" if kind == "workspace" else "the whole installation"


def _period(counter: str) -> str:
    """'Tue 1 Dec 2026', 'the week from Mon 30 Nov 2026' or 'December 2026'."""
    period, first, _ = counter.split(":", 2)
    day = date.fromisoformat(first)
    shown = f"{day:%a} {day.day} {day:%b %Y}"
    if period == "weekly":
        return f"the week from {shown}"
    return f"{day:%B %Y}" if period == "monthly" else shown
