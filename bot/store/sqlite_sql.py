"""The SQL only SQLite runs: settling expired reservations, and a reservation as one INSERT
that checks its budgets in the same statement (the plan is in reserve_sql.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.store.common import COST_EPSILON
from bot.store.reserve_sql import INSERT_COLUMNS, INSERT_VALUES, ReservePlan
from bot.store.sql import KEY_TAKEN, LAST_REQUEST

ABANDON = (
    "UPDATE usage SET status = 'abandoned', images_delivered = 0, est_cost_usd = 0, "
    "settled_at = :now WHERE status = 'reserved' AND deadline < :now"
)
# Which of a batch's rows (a JSON array of ids) went in.
INSERTED = "SELECT id FROM usage WHERE id IN (SELECT value FROM json_each(:ids))"
_NO_REQUEST = "(SELECT NULL AS at)"
_ASKED = {"images": ":n", "cost_usd": ":est_cost_usd"}
_EPSILON = {"images": "", "cost_usd": f" + {COST_EPSILON!r}"}
_USED = "(SELECT COALESCE(MAX({column}), 0) FROM budget_counters WHERE counter = :c{index})"


@dataclass(frozen=True)
class ReserveQueries:
    """The statements of one reservation."""

    insert: str
    explain: str


def reserve_values(plan: ReservePlan) -> dict[str, object]:
    """The parameters of a plan's statements: its row's, then each budget's counter (`:cN`)
    and allowance (`:aN`)."""
    values = dict(plan.params)
    for index, budget in enumerate(plan.budgets):
        values[f"c{index}"] = budget.counter
        values[f"a{index}"] = budget.allowed
    return values


def reserve_queries(plan: ReservePlan) -> ReserveQueries:
    """An insert that happens only within the budgets, and a query that says why it did not
    (the same text for every plan of the same shape, so SQLite's statement cache keeps it)."""
    first: dict[str, int] = {}
    shape = tuple(
        (budget.unit, first.setdefault(budget.counter, index))
        for index, budget in enumerate(plan.budgets)
    )
    return _queries(shape, plan.cooldown)


@lru_cache(maxsize=256)
def _queries(shape: tuple[tuple[str, int], ...], cooldown: bool) -> ReserveQueries:
    """The statements of a plan whose budgets are (unit, first budget on the same counter).

    The insert reads each counter row once, for all the budgets it holds (a missing row has
    used nothing); the explain query reads one figure per budget.
    """
    used = [_USED.format(column=unit, index=i) for i, (unit, _) in enumerate(shape)]
    groups: dict[int, list[int]] = {}
    for index, (_, group) in enumerate(shape):
        groups.setdefault(group, []).append(index)
    allowed = [_allowed(shape, indexes) for indexes in groups.values()]
    last = LAST_REQUEST if cooldown else _NO_REQUEST
    checks = [f"NOT {KEY_TAKEN}", *(["l.at IS NULL"] if cooldown else []), *allowed]
    return ReserveQueries(
        insert=(
            f"INSERT INTO usage ({', '.join(INSERT_COLUMNS)}) SELECT {INSERT_VALUES} "
            f"FROM {last} l WHERE {' AND '.join(checks)}"
        ),
        explain=f"SELECT {', '.join([KEY_TAKEN, 'l.at', *used])} FROM {last} l",
    )


def _allowed(shape: tuple[tuple[str, int], ...], indexes: list[int]) -> str:
    """Whether one counter row allows the reservation under every budget it holds (dollars
    are summed as floats, so they may go COST_EPSILON above their figure)."""
    within = [
        f"{{{shape[i][0]}}} + {_ASKED[shape[i][0]]} <= :a{i}{_EPSILON[shape[i][0]]}"
        for i in indexes
    ]
    test = " AND ".join(within)
    held = test.format(images="images", cost_usd="cost_usd")
    fresh = test.format(images="0", cost_usd="0.0")
    return f"COALESCE((SELECT {held} FROM budget_counters WHERE counter = :c{indexes[0]}), {fresh})"
