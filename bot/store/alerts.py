"""What budgets hold, and alerts sent once per threshold and period, across processes.

A budget alert is claimed by inserting its row into `alerts_sent` (the counter, which
names the holder and the period, and the threshold in percent); the unique key lets one
process win, and every other learns the alert is already sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.models import Actor, Limits
from bot.store.budgets import BUDGET_KEYS, BudgetUse, Holder, key_counter
from bot.store.dialect import Database

CLAIM_ALERT = (
    "INSERT INTO alerts_sent (counter, threshold, platform, workspace_id, limit_key, sent_at) "
    "VALUES (:counter, :threshold, :platform, :workspace_id, :limit_key, :now) "
    "ON CONFLICT DO NOTHING"
)
ALERTS_SENT = (
    "SELECT counter, threshold, limit_key, sent_at FROM alerts_sent "
    "WHERE platform = :platform AND workspace_id = :workspace_id "
    "ORDER BY sent_at, counter, threshold"
)
COUNTERS = "SELECT counter, images, cost_usd FROM budget_counters WHERE counter IN ({names})"


@dataclass(frozen=True)
class AlertSent:
    """A budget alert already sent: which counter, at what percent, for which key, when."""

    counter: str
    threshold: int
    limit_key: str
    sent_at: datetime


async def budget_use(db: Database, actor: Actor, limits: Limits, now: datetime) -> list[BudgetUse]:
    """Every budget key for this actor now: its counter's figure, allowance and reset."""
    who = Holder.of(actor)
    counters = {key: key_counter(key, who, limits, now) for key in BUDGET_KEYS}
    names = sorted({counter for counter, _ in counters.values()})
    params = {f"n{i}": name for i, name in enumerate(names)}
    sql = COUNTERS.format(names=", ".join(f":{name}" for name in params))
    rows: Sequence[Sequence[Any]] = await db.fetch(sql, params)
    held = {row[0]: (int(row[1]), round(float(row[2]), 9)) for row in rows}
    found = []
    for key, (counter, resets_at) in counters.items():
        images, cost = held.get(counter, (0, 0.0))
        allowed = getattr(limits, key, None)
        used = images if key.endswith("_images") else cost
        found.append(BudgetUse(key, counter, used, allowed, resets_at))
    return found


async def claim_alert(
    db: Database, actor: Actor, key: str, threshold: int, limits: Limits, now: datetime
) -> bool:
    """Whether this call is the one to send the alert of `key` at `threshold` percent in
    its current period (True exactly once, whichever process asks)."""
    counter, _ = key_counter(key, Holder.of(actor), limits, now)
    params = {
        "counter": counter,
        "threshold": threshold,
        "platform": actor.platform,
        "workspace_id": actor.workspace_id,
        "limit_key": key,
        "now": now,
    }
    return await db.execute(CLAIM_ALERT, params) > 0


async def alerts_sent(db: Database, platform: str, workspace_id: str) -> list[AlertSent]:
    """The alerts sent for a workspace's budgets (and the installation's, under its
    workspace of the request that crossed them), oldest first."""
    rows = await db.fetch(ALERTS_SENT, {"platform": platform, "workspace_id": workspace_id})
    found = []
    for counter, threshold, key, at in rows:
        sent_at = db.moment(at)
        if sent_at is not None:
            found.append(AlertSent(counter, int(threshold), key, sent_at))
    return found
