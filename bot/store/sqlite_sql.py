"""The SQL only SQLite runs: settling expired reservations, and a reservation as one INSERT
that checks its budgets in the same statement (the plan is in reserve_sql.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.reserve_sql import INSERT_COLUMNS, INSERT_VALUES, ReservePlan, asked, epsilon
from bot.store.sql import KEY_TAKEN, LAST_REQUEST

ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND deadline < :now"
)
_NO_REQUEST = "(SELECT NULL AS at)"
_USED = "(SELECT COALESCE(MAX({column}), 0) FROM budget_counters WHERE counter = :c{index})"


@dataclass(frozen=True)
class ReserveQueries:
    """The statements of one reservation."""

    insert: str
    explain: str


def reserve_queries(plan: ReservePlan) -> ReserveQueries:
    """An insert that happens only within the budgets, and a query that says why it did not.

    The insert reads each counter row once, for all the budgets it holds (a missing row has
    used nothing); the explain query reads one figure per budget.
    """
    used = [_USED.format(column=b.unit, index=i) for i, b in enumerate(plan.budgets)]
    allowed = [_allowed(plan, indexes) for indexes in _by_counter(plan).values()]
    last = LAST_REQUEST if plan.cooldown else _NO_REQUEST
    checks = [f"NOT {KEY_TAKEN}", *(["l.at IS NULL"] if plan.cooldown else []), *allowed]
    return ReserveQueries(
        insert=(
            f"INSERT INTO usage ({', '.join(INSERT_COLUMNS)}) SELECT {INSERT_VALUES} "
            f"FROM {last} l WHERE {' AND '.join(checks)}"
        ),
        explain=f"SELECT {', '.join([KEY_TAKEN, 'l.at', *used])} FROM {last} l",
    )


def _by_counter(plan: ReservePlan) -> dict[str, list[int]]:
    """The indexes of the plan's budgets, grouped by the counter they read, in order."""
    groups: dict[str, list[int]] = {}
    for index, budget in enumerate(plan.budgets):
        groups.setdefault(budget.counter, []).append(index)
    return groups


def _allowed(plan: ReservePlan, indexes: list[int]) -> str:
    """Whether one counter row allows the reservation under every budget it holds."""
    within = [
        f"{{{plan.budgets[i].unit}}} + {asked(plan.budgets[i])} <= :a{i}{epsilon(plan.budgets[i])}"
        for i in indexes
    ]
    test = " AND ".join(within)
    held = test.format(images="images", cost_usd="cost_usd")
    fresh = test.format(images="0", cost_usd="0.0")
    return f"COALESCE((SELECT {held} FROM budget_counters WHERE counter = :c{indexes[0]}), {fresh})"
