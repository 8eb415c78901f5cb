"""The limits' side of the store: limits per scope, their audit trail, channel managers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.models import LimitChange, Limits, Scope
from bot.store.common import changed_limits, checked_limit_changes, manager_change, utc
from bot.store.dialect import Database, Params, Session
from bot.store.sql import (
    ADD_MANAGER,
    INSERT_LIMIT_CHANGE,
    IS_MANAGER,
    LIMIT_CHANGES,
    LOCK_LIMITS,
    MANAGERS,
    REMOVE_MANAGER,
    SCOPE_EXACT,
    SELECT_LIMITS,
    SELECT_TIERS,
    UPSERT_LIMITS,
    change_from_row,
    change_params,
    limit_values,
    limits_from_rows,
    many_scopes,
    scope_params,
)


class LimitStore:
    """Limits, their audit trail and channel managers; `Store` (store.py) is one."""

    db: Database

    async def get_limits(self, scope: Scope) -> Limits:
        """The limits set for exactly this scope (unset keys are None)."""
        return limits_from_rows(await self.db.fetch(SELECT_LIMITS, scope_params(scope)))

    async def limits_of_many(self, scopes: Sequence[Scope]) -> list[Limits]:
        """The limits set for exactly each of `scopes`, in their order, in one query."""
        if not scopes:
            return []
        sql, params = many_scopes(scopes)
        found = {
            Scope(*row[:3]): limits_from_rows([row[3:]]) for row in await self.db.fetch(sql, params)
        }
        return [found.get(scope, Limits()) for scope in scopes]

    async def tiers(self, platform: str, workspace_id: str) -> list[tuple[Scope, Limits]]:
        """The role tiers and person overrides of a workspace that set any key, by scope."""
        rows = await self.db.fetch(
            SELECT_TIERS, {"platform": platform, "workspace_id": workspace_id}
        )
        found = [
            (Scope(platform, workspace_id, row[0]), limits_from_rows([row[1:]])) for row in rows
        ]
        return [(scope, limits) for scope, limits in found if limits != Limits()]

    async def set_limits(
        self, scope: Scope, changes: Mapping[str, object], changed_by: str, now: datetime
    ) -> Limits:
        """Set (or clear, with None) limit keys for a scope and audit each change."""
        checked = checked_limit_changes(changes)

        async def body(session: Session) -> Limits:
            where = scope_params(scope)
            await session.execute(LOCK_LIMITS, where)
            old = limits_from_rows(await session.fetch(SELECT_LIMITS, where))
            new, audit = changed_limits(old, checked, scope, changed_by, now)
            if audit:
                await session.execute(UPSERT_LIMITS, where | limit_values(new))
                await session.executemany(INSERT_LIMIT_CHANGE, [change_params(c) for c in audit])
            return new

        return await self.db.transaction(body)

    async def limit_changes(self, scope: Scope | None = None) -> list[LimitChange]:
        """The audit trail, oldest first; for one scope or all."""
        where, params = ("TRUE", {}) if scope is None else (SCOPE_EXACT, scope_params(scope))
        rows = await self.db.fetch(LIMIT_CHANGES.format(where=where), params)
        return [change_from_row(row, self.db.moment) for row in rows]

    async def add_channel_manager(
        self, scope: Scope, user_id: str, added_by: str, now: datetime
    ) -> bool:
        """Allow a user to manage a channel's limits; False if they already could.

        An addition is audited in `limit_changes` (key 'channel_manager', None -> user id).
        """
        params = scope_params(scope) | {"user_id": user_id, "added_by": added_by, "now": utc(now)}
        audit = manager_change(scope, user_id, True, added_by, now)
        return await self._change_managers(ADD_MANAGER, params, audit)

    async def remove_channel_manager(
        self,
        scope: Scope,
        user_id: str,
        removed_by: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Take a user off a channel's managers; False if they were not on it.

        With `removed_by` (and `now`) the removal is audited (user id -> None).
        """
        audit = manager_change(scope, user_id, False, removed_by, now)
        params = scope_params(scope) | {"user_id": user_id}
        return await self._change_managers(REMOVE_MANAGER, params, audit)

    async def _change_managers(self, sql: str, params: Params, audit: LimitChange | None) -> bool:
        """Add or remove a manager and, in the same transaction, audit it if anything changed."""

        async def body(session: Session) -> bool:
            changed = await session.execute(sql, params) > 0
            if changed and audit is not None:
                await session.execute(INSERT_LIMIT_CHANGE, change_params(audit))
            return changed

        return await self.db.transaction(body)

    async def is_channel_manager(self, scope: Scope, user_id: str) -> bool:
        """Whether a user manages this channel, or every channel of its workspace ('*')."""
        return bool(await self.db.fetch(IS_MANAGER, scope_params(scope) | {"user_id": user_id}))

    async def channel_managers(self, scope: Scope) -> list[str]:
        """The users listed as managers of exactly this scope, in the order they were added."""
        return [str(row[0]) for row in await self.db.fetch(MANAGERS, scope_params(scope))]
