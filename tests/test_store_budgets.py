"""Budgets by holder and period on every store implementation: weeks and months in a
scope's timezone, workspace and installation ceilings, exact across processes, alerts
claimed once, and limits for roles and people.

Real databases only; time is passed in as `now`, never read.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import BadRequest, LimitReached
from bot.models import Actor, Limits, Scope
from bot.store import Store, open_store
from tests.storefixtures import NOW, actor, racers, reservation

TOKYO = "Asia/Tokyo"  # UTC+9, no summer time
NEW_YORK = "America/New_York"


async def refusal(
    store: Store, limits: Limits, who: Actor, now: datetime, cost: float = 0.042
) -> LimitReached:
    """The LimitReached a reservation at `now` meets (fails the test if it is granted)."""
    with pytest.raises(LimitReached) as refused:
        await store.reserve(reservation(who, cost=cost, now=now), limits, now)
    return refused.value


async def made(
    store: Store, limits: Limits, who: Actor, now: datetime, cost: float = 0.042
) -> None:
    """A request at `now` that made and delivered one image (so its hold never expires)."""
    entry = await store.reserve(reservation(who, cost=cost, now=now), limits, now)
    await store.settle_succeeded(entry.id, 1, None, cost, now)


async def test_user_monthly_images_refuse_the_third_with_the_first_of_next_month(
    store: Store,
) -> None:
    limits = Limits(user_monthly_images=2)
    early = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    await made(store, limits, actor(), early)
    await made(store, limits, actor(channel="random"), NOW)
    error = await refusal(store, limits, actor(), NOW)
    assert (error.limit, error.used, error.allowed) == ("user_monthly_images", 2, 2)
    assert error.resets_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert error.message == (
        "You have used 2 of your 2 images this month (user_monthly_images); it resets on "
        "Wed 1 Apr 00:00 UTC. You were not charged."
    )
    await store.reserve(reservation(actor("bob"), now=NOW), limits, NOW)
    april = datetime(2026, 4, 1, tzinfo=UTC)
    await store.reserve(reservation(now=april), limits, april)


async def test_workspace_daily_cost_holds_across_two_channels_and_two_people(
    store: Store,
) -> None:
    limits = Limits(workspace_daily_cost_usd=0.2)
    for who in (actor("alice"), actor("bob", "random"), actor("alice", "random")):
        await store.reserve(reservation(who, cost=0.05, now=NOW), limits, NOW)
    error = await refusal(store, limits, actor("bob"), NOW, cost=0.06)
    assert (error.limit, error.used, error.allowed) == ("workspace_daily_cost_usd", 0.15, 0.2)
    assert error.message.startswith(
        "This workspace has spent $0.15 of its $0.20 today (workspace_daily_cost_usd); "
    )
    await store.reserve(reservation(actor("bob"), cost=0.05, now=NOW), limits, NOW)
    await refusal(store, limits, actor("carol", "art"), NOW, cost=0.01)
    await store.reserve(reservation(actor("bob", workspace="guild2"), cost=0.2), limits, NOW)


async def test_a_settled_cost_frees_the_workspace_budget(store: Store) -> None:
    limits = Limits(workspace_daily_cost_usd=0.1)
    first = await store.reserve(reservation(cost=0.08), limits, NOW)
    await refusal(store, limits, actor("bob", "random"), NOW, cost=0.05)
    await store.settle_succeeded(first.id, 1, None, 0.04, NOW)
    await store.reserve(reservation(actor("bob", "random"), cost=0.05), limits, NOW)
    failed = await store.reserve(reservation(actor("carol"), cost=0.01), limits, NOW)
    await store.settle_failed(failed.id, "moderation", NOW)
    await store.reserve(reservation(actor("dave"), cost=0.01), limits, NOW)


async def test_bot_monthly_cost_holds_across_platforms(store: Store) -> None:
    limits = Limits(bot_monthly_cost_usd=0.1)
    await store.reserve(reservation(cost=0.05), limits, NOW)
    slack = Actor("slack", "T1", "C1", "U1")
    await store.reserve(reservation(slack, cost=0.05), limits, NOW)
    cli = Actor("cli", "local", "cli", "me")
    error = await refusal(store, limits, cli, NOW, cost=0.01)
    assert error.limit == "bot_monthly_cost_usd"
    assert error.message == (
        "The bot has spent $0.10 of its $0.10 this month (bot_monthly_cost_usd); it resets on "
        "Wed 1 Apr 00:00 UTC. You were not charged."
    )


async def test_weeks_start_on_monday_in_the_scopes_timezone(store: Store) -> None:
    limits = Limits(channel_weekly_images=1, timezone=TOKYO)
    # Sunday 15 March 23:30 in Tokyo is 14:30 UTC; Monday 00:30 in Tokyo is Sunday 15:30 UTC.
    sunday = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
    monday = datetime(2026, 3, 15, 15, 30, tzinfo=UTC)
    await made(store, limits, actor(), sunday)
    error = await refusal(store, limits, actor("bob"), sunday + timedelta(minutes=29))
    assert error.resets_at == datetime(2026, 3, 15, 15, 0, tzinfo=UTC)
    assert "; it resets on Mon 16 Mar 00:00 JST. " in error.message
    await store.reserve(reservation(actor("bob"), now=monday), limits, monday)
    await refusal(store, limits, actor("carol"), monday)
    in_utc = Limits(channel_weekly_images=1)
    await refusal(store, in_utc, actor("carol"), monday)


async def test_months_start_on_the_first_in_the_scopes_timezone(store: Store) -> None:
    limits = Limits(workspace_monthly_images=1, timezone=NEW_YORK)
    # 31 March 23:30 in New York (summer time, UTC-4) is 1 April 03:30 UTC: still March there.
    march = datetime(2026, 4, 1, 3, 30, tzinfo=UTC)
    await made(store, limits, actor(), march)
    error = await refusal(store, limits, actor("bob", "random"), march)
    assert error.resets_at == datetime(2026, 4, 1, 4, 0, tzinfo=UTC)
    april = datetime(2026, 4, 1, 4, 0, tzinfo=UTC)
    await store.reserve(reservation(actor("bob", "random"), now=april), limits, april)
    daily = Limits(user_daily_images=1, timezone=NEW_YORK)
    await refusal(store, daily, actor(), march)


async def test_budget_use_shows_every_holder_and_period(store: Store) -> None:
    limits = Limits(user_monthly_images=20, workspace_weekly_cost_usd=1.0, timezone=TOKYO)
    for who, n in ((actor(), 3), (actor("bob"), 2), (actor(channel="random"), 4)):
        entry = await store.reserve(reservation(who, n=n, cost=0.1 * n), limits, NOW)
        await store.settle_succeeded(entry.id, n, None, 0.1 * n, NOW)
    use = {u.key: u for u in await store.budget_use(actor(), limits, NOW)}
    assert (use["user_monthly_images"].used, use["user_monthly_images"].allowed) == (7, 20)
    assert use["user_monthly_images"].resets_at == datetime(2026, 3, 31, 15, tzinfo=UTC)
    assert use["channel_daily_images"].used == 5 and use["channel_daily_images"].allowed is None
    assert use["workspace_weekly_cost_usd"].used == pytest.approx(0.9)
    assert use["workspace_weekly_cost_usd"].percent == pytest.approx(90)
    assert use["bot_monthly_images"].used == 9
    assert use["bot_daily_images"].resets_at == datetime(2026, 3, 15, tzinfo=UTC)


async def test_ten_processes_against_three_workspace_images_a_month_charge_exactly_three(
    url: str,
) -> None:
    limits = "workspace_monthly_images=3"
    argvs = [[url, "reserve", "*@*", "5", limits] for _ in range(10)]
    granted = [int(word) for word in await racers(argvs)]
    assert sum(granted) == 3
    store = await open_store(url)
    try:
        rows = [e async for e in store.export(NOW, NOW + timedelta(seconds=1))]
        use = {u.key: u.used for u in await store.budget_use(actor(), Limits(), NOW)}
    finally:
        await store.close()
    assert len(rows) == 3 and use["workspace_monthly_images"] == 3


async def test_an_alert_raced_by_ten_processes_is_claimed_once(url: str) -> None:
    budget = "workspace_monthly_images=5"
    argvs = [[url, "alert", "workspace_monthly_images", "80", budget] for _ in range(10)]
    assert sorted(await racers(argvs)) == ["False"] * 9 + ["True"]
    store = await open_store(url)
    try:
        limits = Limits(workspace_monthly_images=5)
        key = "workspace_monthly_images"
        assert await store.claim_alert(actor("bob"), key, 100, limits, NOW)
        assert not await store.claim_alert(actor("bob", "random"), key, 80, limits, NOW)
        april = datetime(2026, 4, 1, tzinfo=UTC)
        assert await store.claim_alert(actor(), key, 80, limits, april)
        assert not await store.claim_alert(actor(), key, 80, limits, april)
        assert await store.claim_alert(actor(workspace="guild2"), key, 80, limits, NOW)
        sent = await store.alerts_sent("discord", "guild1")
        assert [(a.limit_key, a.threshold, a.sent_at) for a in sent] == [
            (key, 80, NOW),
            (key, 100, NOW),
            (key, 80, april),
        ]
        assert sent[0].counter == "monthly:2026-03-01:workspace:discord:guild1"
    finally:
        await store.close()


async def test_limits_for_a_role_and_a_person_are_stored_and_audited(store: Store) -> None:
    supporters = Scope.role("discord", "guild1", "123456")
    alice = Scope.person("discord", "guild1", "alice")
    await store.set_limits(supporters, {"user_monthly_images": 50}, "owner", NOW)
    await store.set_limits(alice, {"enabled": False, "user_monthly_cost_usd": 5}, "owner", NOW)
    assert await store.get_limits(supporters) == Limits(user_monthly_images=50)
    assert await store.get_limits(alice) == Limits(enabled=False, user_monthly_cost_usd=5.0)
    assert await store.get_limits(Scope.person("discord", "guild1", "bob")) == Limits()
    assert await store.get_limits(Scope.role("discord", "guild2", "123456")) == Limits()
    trail = await store.limit_changes(alice)
    assert [(c.key, c.new_value) for c in trail] == [
        ("enabled", "false"),
        ("user_monthly_cost_usd", "5.0"),
    ]
    await store.set_limits(Scope.role("discord", "guild1", "999"), {"enabled": None}, "o", NOW)
    assert await store.tiers("discord", "guild1") == [
        (supporters, Limits(user_monthly_images=50)),
        (alice, Limits(enabled=False, user_monthly_cost_usd=5.0)),
    ]
    assert await store.tiers("discord", "guild2") == []


async def test_a_timezone_limit_must_name_a_real_zone(store: Store) -> None:
    await store.set_limits(actor().scope, {"timezone": TOKYO}, "owner", NOW)
    with pytest.raises(BadRequest) as refused:
        await store.set_limits(actor().scope, {"timezone": "Tokyo"}, "owner", NOW)
    assert refused.value.message == (
        "Invalid value 'Tokyo' for limit 'timezone': "
        "use an IANA timezone name such as Europe/Paris or UTC."
    )
    assert (await store.get_limits(actor().scope)).timezone == TOKYO


async def test_many_reservations_at_once_fill_every_layer_exactly(store: Store) -> None:
    limits = Limits(
        user_daily_images=50,
        channel_weekly_images=40,
        workspace_monthly_images=30,
        bot_daily_images=20,
    )
    who = [actor(f"user{i % 7}", f"channel{i % 3}") for i in range(60)]
    results = await asyncio.gather(
        *(store.reserve(reservation(w), limits, NOW) for w in who), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(results) - len(refused) == 20
    assert {r.limit for r in refused if isinstance(r, LimitReached)} == {"bot_daily_images"}
    assert len(refused) == 40
