"""Usage today, this week and this month (issue 14, item 6): the figures, the forecast, the
footer, and `usage --json` through the real CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import LimitReached
from bot.models import LedgerEntry, Limits, Options
from bot.periods import period_report, remaining_text, windows
from tests.fakes.gateway import FakeGateway
from tests.support import cli_env, ledger_rows, run_cli

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday


def entry(
    at: datetime, user: str, channel: str, model: str, cost: float, **kw: object
) -> LedgerEntry:
    values: dict[str, object] = {
        "id": f"{user}-{at.isoformat()}", "idempotency_key": f"k-{user}-{at.isoformat()}",
        "platform": "discord", "workspace_id": "G1", "channel_id": channel, "user_id": user,
        "kind": "generate", "model": model, "size": "1024x1024", "quality": "medium", "n": 1,
        "status": "succeeded", "images_delivered": 1, "input_tokens": 0, "output_tokens": 0,
        "est_cost_usd": cost, "error_kind": None, "prompt": None, "options": Options(),
        "created_at": at, "settled_at": at, "deadline": at, "delivery": "delivered",
    } | kw  # fmt: skip
    return LedgerEntry(**values)  # type: ignore[arg-type]


async def rows(entries: Iterable[LedgerEntry]) -> AsyncIterator[LedgerEntry]:
    for one in entries:
        yield one


async def test_a_report_counts_each_period_the_month_by_channel_and_the_forecast() -> None:
    ledger = [
        entry(datetime(2026, 3, 1, 9, tzinfo=UTC), "ann", "C1", "m/a", 0.50),  # the month
        entry(datetime(2026, 3, 16, 9, tzinfo=UTC), "bob", "C2", "m/b", 0.25),  # this week
        entry(datetime(2026, 3, 18, 8, tzinfo=UTC), "ann", "C2", "m/a", 0.10),  # today
        entry(datetime(2026, 3, 18, 9, tzinfo=UTC), "ann", "C2", "m/a", 0.10, status="failed"),
        entry(
            datetime(2026, 3, 18, 10, tzinfo=UTC), "cy", "C1", "m/a", 0.40, delivery="undelivered"
        ),
        entry(
            datetime(2026, 3, 18, 11, tzinfo=UTC), "cy", "C1", "m/b", 0.20, status="reserved", n=2
        ),
    ]
    report = await period_report(rows(ledger), NOW)

    shown = {p: (t.images, round(t.cost_usd, 2)) for p, t in report.periods.items()}
    assert shown == {"daily": (3, 0.3), "weekly": (4, 0.55), "monthly": (5, 1.05)}
    assert [(k, t.images) for k, t in report.by_channel] == [("C1", 3), ("C2", 2)]
    # 17.5 days of March gone: $1.05 at that pace over 31 days
    assert round(report.forecast_month_usd, 4) == round(1.05 * 31 / 17.5, 4)


def test_weeks_start_on_monday_and_months_on_the_first_in_the_scopes_timezone() -> None:
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # already 1 April in Paris
    paris = windows(late, "Europe/Paris")
    assert paris.starts["monthly"] == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert paris.starts["weekly"] == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert paris.month_ends == datetime(2026, 4, 30, 22, 0, tzinfo=UTC)
    utc = windows(late)
    assert utc.starts["monthly"] == datetime(2026, 3, 1, tzinfo=UTC)
    assert utc.starts["weekly"] == utc.starts["daily"] - timedelta(days=1)


async def test_the_footer_shows_the_tightest_of_a_persons_own_budgets() -> None:
    ledger = [entry(NOW - timedelta(hours=h), "ann", "C1", "m/a", 0.5) for h in range(3)]
    periods = (await period_report(rows(ledger), NOW)).periods
    assert remaining_text(Limits(user_daily_images=10), periods) == "7 of 10 images left today"
    both = Limits(user_daily_images=10, user_daily_cost_usd=2.0)
    assert remaining_text(both, periods) == "$0.50 of $2.00 left today"
    assert remaining_text(Limits(channel_daily_images=1), periods) is None


async def test_usage_json_adds_the_week_and_for_scopes_the_forecast(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=gateway.url)
    for user in ("alice", "alice", "bob"):
        ran = await run_cli("generate", "a kite", "--user", user, env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
    scope = (await run_cli("usage", "--json", env=env, cwd=tmp_path)).json()
    assert (scope["images_today"], scope["images_week"], scope["images_month"]) == (3, 3, 3)
    assert scope["cost_week_usd"] == scope["cost_month_usd"] > 0
    assert scope["forecast_month_usd"] >= scope["cost_month_usd"]
    assert [u["user_id"] for u in scope["top_users"]] == ["alice", "bob"]
    assert [c["channel_id"] for c in scope["month_by_channel"]] == ["local"]
    mine = (await run_cli("usage", "--user", "alice", "--json", env=env, cwd=tmp_path)).json()
    assert (mine["images_today"], mine["images_week"], mine["images_month"]) == (2, 2, 2)
    text = (await run_cli("usage", env=env, cwd=tmp_path)).out
    lines = text.splitlines()
    assert lines[1].startswith("This week (from Monday): 3 images ($")
    assert lines[3].startswith("Forecast this month at this pace: $")
    assert "By channel this month:" in lines and "  local: 3 images" in " ".join(lines)
    [row, *_] = await ledger_rows(env=env, cwd=tmp_path)
    assert row["model"] == "openai/gpt-image-2" and row["cost_source"] in (
        "gateway",
        "tokens",
        "table",
    )


# a budget's key, used and allowed, unit, reset, the scope's timezone: what a person reads
# fmt: off
REFUSALS = [
    ("user_monthly_images", 2, 2, "images", datetime(2027, 1, 1, tzinfo=UTC), None,
     "You have used 2 of your 2 images this month (user_monthly_images); it resets on "
     "Fri 1 Jan 00:00 UTC. You were not charged."),
    ("workspace_weekly_cost_usd", 4.5, 5, "usd", datetime(2027, 1, 3, 23, tzinfo=UTC),
     "Europe/Paris",
     "This workspace has spent $4.50 of its $5.00 this week (workspace_weekly_cost_usd); "
     "it resets on Mon 4 Jan 00:00 CET. You were not charged."),
    ("bot_daily_cost_usd", 50, 50, "usd", datetime(2026, 12, 31, tzinfo=UTC), None,
     "The bot has spent $50.00 of its $50.00 today (bot_daily_cost_usd); it resets at "
     "00:00 UTC, in 12 h. You were not charged."),
]
# fmt: on


@pytest.mark.parametrize(
    ("limit", "used", "allowed", "unit", "resets_at", "timezone", "message"), REFUSALS
)
def test_a_budget_refusal_names_the_limit_n_of_m_and_the_local_reset_time(
    limit: str,
    used: float,
    allowed: float,
    unit: str,
    resets_at: datetime,
    timezone: str | None,
    message: str,
) -> None:
    now = datetime(2026, 12, 30, 12, tzinfo=UTC)
    refused = LimitReached(
        limit, "a label for the logs", used, allowed, unit, resets_at, now, timezone
    )
    assert refused.message == message
