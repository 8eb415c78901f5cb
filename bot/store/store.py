"""The one store: the usage ledger, limits, audit trail and kept results, on any `Database`.

Every statement is written once (sql.py, delivery_sql.py, reports.py) and runs on SQLite
and PostgreSQL alike; the databases differ only in how a transaction runs and how a
reservation locks what it checks (sqlite.py, postgres.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime

from bot.models import EVERYWHERE, Actor, LedgerEntry, Limits, Scope
from bot.store import alerts, reports
from bot.store.alerts import AlertSent
from bot.store.budgets import BudgetUse
from bot.store.common import utc
from bot.store.ledger import Ledger
from bot.store.limit_store import LimitStore
from bot.store.web_sql import KEPT_SECRET, OFFER_SECRET
from bot.usage import ScopeUsage, UserUsage


class Store(Ledger, LimitStore):
    """Everything the handler and the CLI need from the database; `open_store(url)` makes one.

    Its reservations and ledger rows are in ledger.py, its limits in limit_store.py; reports,
    alerts and the rest are here.
    """

    async def user_usage(
        self, scope: Scope, user_id: str, limits: Limits, now: datetime
    ) -> UserUsage:
        """One user's usage today and this month (in the limits' timezone) in a workspace,
        with their channel's."""
        return await self.db.snapshot(
            lambda session: reports.user_usage(session.fetch, scope, user_id, limits, utc(now))
        )

    async def scope_usage(
        self, scope: Scope, now: datetime, timezone: str | None = None, top: int = 10
    ) -> ScopeUsage:
        """Totals and top users for a channel, a workspace ('*' channel) or a platform, today
        and this month in an IANA timezone (UTC when unset)."""
        return await self.db.snapshot(
            lambda session: reports.scope_usage(session.fetch, scope, utc(now), timezone, top)
        )

    def export(
        self,
        since: datetime,
        until: datetime,
        scope: Scope = EVERYWHERE,
        user_id: str | None = None,
    ) -> AsyncIterator[LedgerEntry]:
        """Ledger rows created in [since, until) in a scope ('*' matches all), oldest first."""
        return reports.export(self.db.fetch, since, until, (scope, user_id), self.db.moment)

    async def budget_use(self, actor: Actor, limits: Limits, now: datetime) -> list[BudgetUse]:
        """Every budget key (budgets.py) for an actor now: used, allowed and reset moment."""
        return await alerts.budget_use(self.db, actor, limits, utc(now))

    async def claim_alert(
        self, actor: Actor, key: str, threshold: int, limits: Limits, now: datetime
    ) -> bool:
        """Claim the alert of budget `key` at `threshold` percent in its current period for
        the actor's holder: True for exactly one caller, across processes too."""
        return await alerts.claim_alert(self.db, actor, key, threshold, limits, utc(now))

    async def alerts_sent(self, platform: str, workspace_id: str) -> list[AlertSent]:
        """The budget alerts claimed for a workspace, oldest first."""
        return await alerts.alerts_sent(self.db, platform, workspace_id)

    async def web_secret(self, candidate: str, now: datetime) -> str:
        """The web face's signing key: `candidate` kept if none is yet, else the kept one."""
        await self.db.execute(OFFER_SECRET, {"secret": candidate, "now": utc(now)})
        return str((await self.db.fetch(KEPT_SECRET, {}))[0][0])

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        await self.db.fetch("SELECT 1", {})

    async def close(self) -> None:
        """Release connections."""
        await self.db.close()

    async def day_totals(
        self, scope: Scope, days: Sequence[date], timezone: str | None
    ) -> list[reports.DayTotal]:
        """What a scope was billed on each of `days`, in an IANA timezone (UTC when unset)."""
        return await reports.day_totals(self.db.fetch, scope, days, timezone)
