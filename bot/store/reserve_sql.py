"""A reservation's plan, which both databases carry out: the row, the counters it charges,
the budgets it checks, and how a refusal is explained from what the database read.

The database reads back one explain row: whether the idempotency key is taken, the
person's last counted request within the cooldown (or None), then the used figure of each
checked budget, in `ReservePlan.budgets` order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from bot.errors import Cooldown, Disabled, Duplicate, LimitReached
from bot.models import LedgerEntry, Limits, Reservation, Scope
from bot.store.budgets import PLANS_KEPT, Budget, Holder, plan
from bot.store.common import COST_EPSILON, utc
from bot.store.sql import ENTRY_COLUMNS, entry_values

INSERT_COLUMNS = (*ENTRY_COLUMNS, "charges")
INSERT_VALUES = ", ".join(f":{name}" for name in INSERT_COLUMNS)


@dataclass(frozen=True)
class ReservePlan:
    """What one reservation inserts and checks."""

    budgets: tuple[Budget, ...]
    charges: tuple[str, ...]
    cooldown: bool
    may_insert: bool
    params: dict[str, object]


def reserve_plan(entry: LedgerEntry, limits: Limits, exempt: bool) -> ReservePlan:
    """The plan of reserving `entry` under `limits` (none of them when `exempt`)."""
    who = Holder(Scope(entry.platform, entry.workspace_id, entry.channel_id), entry.user_id)
    counters, applied = plan(who, limits, entry.created_at)
    charged, checked = tuple(counters), () if exempt else tuple(applied)
    cooldown = not exempt and bool(limits.cooldown_s)
    params = entry_values(entry) | {
        "charges": _charges_json(charged),
        "now": entry.created_at,
        "cooldown_from": entry.created_at - timedelta(seconds=limits.cooldown_s or 0),
    }
    may_insert = exempt or limits.enabled is not False
    return ReservePlan(checked, charged, cooldown, may_insert, params)


@lru_cache(maxsize=PLANS_KEPT)
def _charges_json(charges: tuple[str, ...]) -> str:
    """The usage.charges text of a plan's counters (the same tuple all day, from `plan`)."""
    return json.dumps(charges)


def raise_refusal(
    reservation: Reservation, limits: Limits, plan: ReservePlan, row: Sequence[Any], now: datetime
) -> None:
    """Raise Duplicate, Disabled, Cooldown or LimitReached from an explain row (see above)."""
    duplicate, last_at, *used = row
    if duplicate:
        raise Duplicate()
    if not plan.may_insert:
        raise Disabled()
    if plan.cooldown and last_at is not None and limits.cooldown_s:
        wait = (last_at - utc(now)).total_seconds() + limits.cooldown_s
        if wait > 0:
            raise Cooldown(wait)
    n, cost = reservation.options.n, reservation.est_cost_usd
    for budget, figure in zip(plan.budgets, used, strict=True):
        images = budget.unit == "images"
        spent = int(figure) if images else round(float(figure), 9)
        if spent + (n if images else cost) > budget.allowed + COST_EPSILON:
            allowed = int(budget.allowed) if images else budget.allowed
            unit = "images" if images else "usd"
            zone = None if budget.key.startswith("bot_") else limits.timezone
            raise LimitReached(
                budget.key, budget.label, spent, allowed, unit, budget.resets_at, utc(now), zone
            )
