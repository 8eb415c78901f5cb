"""Rules every store implementation shares: UTC windows, quota checks, limit values.

Nothing here speaks SQL; the SQLite and PostgreSQL stores gather the numbers and call
these functions, so both refuse the same requests with the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.errors import BadSetting
from bot.limit_types import Invalid
from bot.models import (
    LIMIT_KEYS,
    LIMITS,
    LedgerEntry,
    LimitChange,
    Limits,
    Reservation,
    Scope,
)

COST_EPSILON = 1e-9
ABANDON_EVERY = timedelta(seconds=1)
MANAGER_KEY = "channel_manager"


def utc(moment: datetime) -> datetime:
    """The same moment in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def abandon_due(last: datetime | None, now: datetime) -> bool:
    """Whether a store that last settled expired reservations at `last` should again at `now`
    (at most once per second of `now`; a clock that went back makes it due)."""
    return last is None or not timedelta(0) <= now - last < ABANDON_EVERY


def is_exempt(reservation: Reservation, limits: Limits) -> bool:
    """Whether the limits do not apply to this actor (an admin, when admins are exempt)."""
    return bool(limits.admins_exempt) and reservation.actor.is_admin


def reserved_entry(reservation: Reservation, now: datetime) -> LedgerEntry:
    """The ledger row a reservation becomes."""
    actor, options = reservation.actor, reservation.options
    return LedgerEntry(
        id=reservation.id,
        idempotency_key=reservation.idempotency_key,
        platform=actor.platform,
        workspace_id=actor.workspace_id,
        channel_id=actor.channel_id,
        user_id=actor.user_id,
        kind=reservation.kind,
        model=reservation.model,
        size=options.size,
        quality=options.quality or "",
        n=options.n,
        status="reserved",
        images_delivered=0,
        input_tokens=0,
        output_tokens=0,
        est_cost_usd=reservation.est_cost_usd,
        error_kind=None,
        prompt=reservation.prompt,
        options=options,
        created_at=utc(now),
        settled_at=None,
        deadline=utc(reservation.deadline),
        parent_id=reservation.parent_id,
    )


def checked_limit_changes(changes: Mapping[str, object]) -> dict[str, object]:
    """Validate keys and typed values of a limits change; raises BadSetting naming the key."""
    checked: dict[str, object] = {}
    for key, value in changes.items():
        spec = LIMITS.get(key)
        if spec is None:
            raise BadSetting(f"Unknown limit {key!r}. Valid limits: {', '.join(LIMIT_KEYS)}.")
        try:
            checked[key] = None if value is None else spec.type.checked(value)
        except Invalid as exc:
            raise BadSetting(f"Invalid value {value!r} for limit {key!r}: {exc}.") from None
    return checked


def changed_limits(
    old: Limits, changes: Mapping[str, Any], scope: Scope, changed_by: str, now: datetime
) -> tuple[Limits, list[LimitChange]]:
    """The limits after checked `changes`, and an audit entry for each key whose value moved."""
    new = replace(old, **changes)
    audit = [
        LimitChange(
            scope,
            key,
            limit_text(key, getattr(old, key)),
            limit_text(key, getattr(new, key)),
            changed_by,
            utc(now),
        )
        for key in changes
        if getattr(old, key) != getattr(new, key)
    ]
    return new, audit


def manager_change(
    scope: Scope, user_id: str, added: bool, by: str | None, now: datetime | None
) -> LimitChange | None:
    """The audit entry of adding or removing a channel manager; None when nobody is named."""
    if by is None:
        return None
    if now is None:
        raise ValueError("a channel manager change names who made it and when")
    old, new = (None, user_id) if added else (user_id, None)
    return LimitChange(scope, MANAGER_KEY, old, new, by, utc(now))


def limit_text(key: str, value: object) -> str | None:
    """A limit value as the text the audit trail (and `limits set`) uses."""
    return None if value is None else str(LIMITS[key].type.text(value))


def limits_from_columns(values: Mapping[str, object]) -> Limits:
    """Limits from column values: booleans or 0/1, sizes as comma text (missing keys: None)."""
    decoded: dict[str, Any] = {
        key: None if values.get(key) is None else spec.type.decode(values[key])
        for key, spec in LIMITS.items()
    }
    return Limits(**decoded)
