"""What a person, a channel or a workspace has used, for reports and the result footer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.models import Limits, Scope


@dataclass(frozen=True, kw_only=True)
class Totals:
    """Images and dollars counted today and this month, in the scope's timezone."""

    images_today: int = 0
    cost_today_usd: float = 0.0
    images_month: int = 0
    cost_month_usd: float = 0.0


@dataclass(frozen=True, kw_only=True)
class UserUsage(Totals):
    """One user's usage in a scope (their own totals), with what remains under each limit."""

    user_id: str
    channel_images_today: int
    channel_cost_today_usd: float
    limits: Limits
    resets_at: datetime

    @property
    def images_remaining(self) -> int | None:
        """Images left today under the tighter of the user and channel limits."""
        left = _least_left(
            (self.limits.user_daily_images, self.images_today),
            (self.limits.channel_daily_images, self.channel_images_today),
        )
        return None if left is None else int(left)

    @property
    def cost_remaining_usd(self) -> float | None:
        """Dollars left today under the tighter of the user and channel limits."""
        return _least_left(
            (self.limits.user_daily_cost_usd, self.cost_today_usd),
            (self.limits.channel_daily_cost_usd, self.channel_cost_today_usd),
        )


def _least_left(*budgets: tuple[float | None, float]) -> float | None:
    """What is left under the tightest of (allowed, used) budgets, never below 0; None when
    none is set."""
    left = [allowed - used for allowed, used in budgets if allowed is not None]
    return max(0.0, min(left)) if left else None


@dataclass(frozen=True)
class UserTotal:
    """One line of a scope report."""

    user_id: str
    images: int
    cost_usd: float


@dataclass(frozen=True)
class ModelTotal:
    """What one model made this month, by where its cost figures came from."""

    model: str
    cost_source: str
    images: int
    cost_usd: float


@dataclass(frozen=True, kw_only=True)
class ScopeUsage(Totals):
    """Totals for a scope, its top users and its models this month; `undelivered`, what of
    its totals was made and billed but never received."""

    scope: Scope
    requests_failed_today: int
    top_users: tuple[UserTotal, ...]
    resets_at: datetime
    undelivered: Totals = field(default_factory=Totals)
    by_model: tuple[ModelTotal, ...] = ()
