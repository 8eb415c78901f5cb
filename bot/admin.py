"""The handler's admin door: limits, usage, channel managers and the ledger, for the
adapters and the CLI, which never reach the store themselves.

`ImagineHandler` inherits these methods; they read the store it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import TextIO

from bot.checks import check_private
from bot.config import Settings
from bot.errors import Disabled, Refused
from bot.limits import check_scope, parse_limit_values, resolve, scope_layers
from bot.models import Actor, LedgerEntry, LimitChange, Limits, Scope
from bot.periods import (
    PeriodReport,
    local_clock,
    own_budgets,
    period_report,
    remaining_text,
    windows,
)
from bot.reports import write_csv
from bot.store import Store
from bot.store.alerts import AlertSent
from bot.store.reports import DayTotal
from bot.usage import ScopeUsage, UserUsage
from bot.wording import format_duration


class LimitsAdmin:
    """Limits and their audit trail, usage reports, channel managers and ledger rows."""

    settings: Settings
    default_limits: Limits  # the settings' defaults, read once: every request resolves them
    store: Store
    clock: Callable[[], datetime]

    async def limits_for(self, scope: Scope) -> Limits:
        """The effective limits of a scope: channel over workspace over platform over the
        installation ('*') over the defaults."""
        return await self.limits_of(Actor(scope.platform, scope.workspace_id, scope.channel_id, ""))

    async def limits_of(self, actor: Actor) -> Limits:
        """The limits that hold for one person where they ask: for a person's own keys their
        override, else the most generous of their roles, else those of `limits_for`."""
        layers, roles = scope_layers(actor.scope), _role_scopes(actor)
        person = Scope.person(actor.platform, actor.workspace_id, actor.user_id)
        people = [person] if actor.user_id else []
        found = await self.store.limits_of_many([*layers, *roles, *people])
        wide, tiers = found[: len(layers)], found[len(layers) : len(layers) + len(roles)]
        own = found[len(layers) + len(roles) :]
        return resolve(self.default_limits, wide, tiers, own[0] if own else Limits())

    async def limits_here(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        return await self.store.get_limits(scope)

    async def tiers(self, scope: Scope) -> list[tuple[Scope, Limits]]:
        """The role tiers and person overrides set in the scope's workspace, by scope."""
        return await self.store.tiers(scope.platform, scope.workspace_id)

    async def set_limits(
        self, scope: Scope, assignments: Mapping[str, str], changed_by: str
    ) -> Limits:
        """Parse KEY=VALUE text (empty clears) and store it for exactly this scope, audited."""
        changes = parse_limit_values(assignments)
        check_scope(scope, limits=True, keys=tuple(changes))
        return await self.store.set_limits(scope, changes, changed_by, self.clock())

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail of limits and channel managers, oldest first; of one scope or all."""
        return await self.store.limit_changes(scope)

    async def usage(self, actor: Actor) -> UserUsage:
        """A person's own usage today and this month, with what remains."""
        limits = await self.limits_of(actor)
        return await self.store.user_usage(actor.scope, actor.user_id, limits, self.clock())

    async def scope_usage(self, scope: Scope) -> ScopeUsage:
        """Totals and top users of a channel, workspace or platform, for admins, today and
        this month in the workspace's timezone."""
        timezone = (await self.limits_for(_filter(scope))).timezone
        return await self.store.scope_usage(scope, self.clock(), timezone)

    async def period_report(self, scope: Scope, user_id: str | None = None) -> PeriodReport:
        """Today, this week and this month of a scope (or one person in it), in its timezone,
        with the month by channel and its forecast."""
        now, place = self.clock(), _filter(scope)
        timezone = (await self.limits_for(place)).timezone
        since = windows(now, timezone).earliest
        rows = self.store.export(since, now + timedelta(seconds=1), place, user_id)
        return await period_report(rows, now, timezone, billed=user_id is None)

    async def remaining(self, actor: Actor) -> str | None:
        """A person's tightest own budget, as a result footer shows it ('7 of 20 images left
        this month'); None when none of theirs is set."""
        limits = await self.limits_of(actor)
        if not own_budgets(limits):  # the common case: no ledger read on every request
            return None
        report = await self.period_report(Scope(actor.platform, actor.workspace_id), actor.user_id)
        return remaining_text(limits, report.periods)

    async def check_private(self, actor: Actor) -> None:
        """Refuse a private request where private results are off for `actor`, before anything
        is shown (the request's own checks repeat it with every other limit)."""
        limits = await self.limits_of(actor)
        if not (actor.is_admin and limits.admins_exempt):
            check_private(limits)

    async def would_refuse(self, actor: Actor) -> str | None:
        """Why a request by `actor` would be refused here anyway (off, or nothing left), for
        surfaces that ask for more input first; None when it may go ahead."""
        limits = await self.limits_of(actor)
        if limits.enabled is False:
            return Disabled().message
        if actor.is_admin and limits.admins_exempt:
            return None
        usage = await self.usage(actor)
        if usage.images_remaining != 0 and usage.cost_remaining_usd != 0:
            return None
        reset = format_duration((usage.resets_at - self.clock()).total_seconds())
        clock = local_clock(usage.resets_at, limits.timezone)
        return Refused(
            "You have reached your limit here, so a new image would be refused. "
            f"Limits reset in {reset} ({clock}).",
            then="Ask an admin if you need more.",
        ).message

    async def ledger_rows(
        self, scope: Scope, since: datetime, until: datetime
    ) -> list[LedgerEntry]:
        """The ledger rows of a scope created in [since, until), oldest first, for the web."""
        return [entry async for entry in self.store.export(since, until, scope)]

    async def export_csv(
        self, out: TextIO, span: tuple[datetime, datetime], scope: Scope, user_id: str | None
    ) -> int:
        """Write the ledger rows created in [since, until) of a scope ('*' matches all), and
        of one person if given, to `out` as CSV (prompts left out); the number of rows."""
        return await write_csv(self.store.export(*span, scope, user_id), out)

    async def add_channel_manager(self, scope: Scope, user_id: str, added_by: str) -> bool:
        """Let a person manage a channel's limits (audited); False if they already could."""
        return await self.store.add_channel_manager(scope, user_id, added_by, self.clock())

    async def remove_channel_manager(self, scope: Scope, user_id: str, removed_by: str) -> bool:
        """Take a person off a channel's managers (audited); False if they were not on it."""
        return await self.store.remove_channel_manager(scope, user_id, removed_by, self.clock())

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a person manages this channel, or every channel of its workspace."""
        return await self.store.is_channel_manager(scope, user_id)

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The managers of exactly this scope, in the order they were added."""
        return await self.store.channel_managers(scope)

    async def alerts_sent(self, scope: Scope) -> list[AlertSent]:
        """The budget alerts sent for a scope's workspace, newest first."""
        sent = await self.store.alerts_sent(scope.platform, scope.workspace_id)
        return sent[::-1]

    async def day_totals(self, scope: Scope, first: date, last: date) -> list[DayTotal]:
        """What a scope was billed on each day from `first` to `last`, in its timezone."""
        timezone = (await self.limits_for(_filter(scope))).timezone
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return await self.store.day_totals(scope, days, timezone)


def _filter(scope: Scope) -> Scope:
    """The ledger rows a scope's report covers: a role's or a person's scope is its workspace."""
    if scope.role_id is not None or scope.user_id is not None:
        return Scope(scope.platform, scope.workspace_id)
    return scope


def _role_scopes(actor: Actor) -> list[Scope]:
    return [Scope.role(actor.platform, actor.workspace_id, role) for role in actor.roles]
