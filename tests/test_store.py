"""The store suite: every test runs against every implementation in STORE_KINDS.

Real databases only (SQLite files in tmp_path); time is passed in as `now`, never read.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.errors import BadRequest, ConfigError, Cooldown, Disabled, Duplicate, LimitReached
from bot.models import LIMIT_KEYS, Limits, Options, Reservation, Scope, TokenUsage
from bot.store import Store, open_store
from bot.store.budgets import BUDGET_KEYS
from tests.storefixtures import NOW, actor, racers, reservation, store_url

CHANNEL = Scope("discord", "guild1", "general")
GUILD = Scope("discord", "guild1")
MIDNIGHT = datetime(2026, 3, 15, tzinfo=UTC)
LIMITS_5_8 = "user_daily_images=5,channel_daily_images=8"


async def granted(store: Store, limits: Limits, *requests: Reservation) -> list[object]:
    """Reserve each request at NOW; the entry or the exception, in order."""
    out: list[object] = []
    for req in requests:
        try:
            out.append(await store.reserve(req, limits, NOW))
        except Exception as exc:
            out.append(exc)
    return out


async def test_reserve_inserts_a_reserved_row(store: Store) -> None:
    req = reservation(n=2, cost=0.084)
    entry = await store.reserve(req, Limits(), NOW)
    assert entry == await store.get_entry(req.id)
    assert (entry.status, entry.n, entry.images_delivered, entry.est_cost_usd) == (
        "reserved",
        2,
        0,
        0.084,
    )
    assert entry.created_at == NOW and entry.created_at.tzinfo is not None
    assert entry.deadline == req.deadline
    assert entry.options == Options(n=2)
    assert await store.get_entry("missing") is None


async def test_user_daily_images(store: Store) -> None:
    limits = Limits(user_daily_images=4)
    first, second = await granted(store, limits, reservation(n=2), reservation(n=2))
    with pytest.raises(LimitReached) as refused:
        await store.reserve(reservation(n=1), limits, NOW)
    error = refused.value
    assert (error.limit, error.used, error.allowed, error.resets_at) == (
        "user_daily_images",
        4,
        4,
        MIDNIGHT,
    )
    assert error.message == (
        "You have used 4 of your 4 images today (user_daily_images); it resets at 00:00 UTC, "
        "in 12 h. You were not charged."
    )
    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    await store.reserve(reservation(actor("bob")), limits, NOW)


async def test_a_request_larger_than_what_is_left_is_refused(store: Store) -> None:
    limits = Limits(user_daily_images=3)
    await store.reserve(reservation(n=2), limits, NOW)
    with pytest.raises(LimitReached) as refused:
        await store.reserve(reservation(n=2), limits, NOW)
    assert (refused.value.used, refused.value.allowed) == (2, 3)
    await store.reserve(reservation(n=1), limits, NOW)


async def test_channel_daily_images_count_every_user(store: Store) -> None:
    limits = Limits(channel_daily_images=3)
    await granted(store, limits, *(reservation(actor(u)) for u in ("a", "b", "c")))
    with pytest.raises(LimitReached) as refused:
        await store.reserve(reservation(actor("d")), limits, NOW)
    assert refused.value.limit == "channel_daily_images"
    assert (
        "This channel has used 3 of its 3 images today (channel_daily_images)"
        in refused.value.message
    )
    await store.reserve(reservation(actor("d", channel="random")), limits, NOW)


async def test_user_daily_cost_allows_exactly_the_limit(store: Store) -> None:
    limits = Limits(user_daily_cost_usd=0.126)
    results = await granted(store, limits, *(reservation(cost=0.042) for _ in range(4)))
    assert [isinstance(r, LimitReached) for r in results] == [False, False, False, True]
    error = results[3]
    assert isinstance(error, LimitReached)
    assert error.limit == "user_daily_cost_usd"
    assert "You have spent $0.126 of your $0.126 today (user_daily_cost_usd)" in error.message


async def test_channel_daily_cost(store: Store) -> None:
    limits = Limits(channel_daily_cost_usd=0.5)
    await store.reserve(reservation(actor("a"), cost=0.25), limits, NOW)
    await store.reserve(reservation(actor("b"), cost=0.25), limits, NOW)
    with pytest.raises(LimitReached) as refused:
        await store.reserve(reservation(actor("c"), cost=0.011), limits, NOW)
    assert refused.value.limit == "channel_daily_cost_usd"
    assert (
        "This channel has spent $0.50 of its $0.50 today (channel_daily_cost_usd)"
        in refused.value.message
    )


async def test_cost_limit_uses_the_settled_cost(store: Store) -> None:
    limits = Limits(user_daily_cost_usd=0.3)
    first = await store.reserve(reservation(cost=0.25), limits, NOW)
    await store.settle_succeeded(first.id, 1, None, 0.05, NOW)
    await store.reserve(reservation(cost=0.25), limits, NOW)


async def test_disabled(store: Store) -> None:
    with pytest.raises(Disabled):
        await store.reserve(reservation(), Limits(enabled=False), NOW)
    await store.reserve(reservation(), Limits(enabled=True), NOW)


async def test_admins_exempt_only_when_set(store: Store) -> None:
    strict = Limits(enabled=False, user_daily_images=0, cooldown_s=60)
    admin = actor("root", admin=True)
    await store.reserve(reservation(admin), Limits(admins_exempt=True, user_daily_images=0), NOW)
    await store.reserve(reservation(admin), Limits(admins_exempt=True, enabled=False), NOW)
    with pytest.raises(Disabled):
        await store.reserve(reservation(admin), strict, NOW)
    with pytest.raises(Disabled):
        await store.reserve(
            reservation(actor("pleb")), Limits(admins_exempt=True, enabled=False), NOW
        )


async def test_cooldown(store: Store) -> None:
    limits = Limits(cooldown_s=60)
    await store.reserve(reservation(), limits, NOW)
    later = NOW + timedelta(seconds=20)
    with pytest.raises(Cooldown) as refused:
        await store.reserve(reservation(now=later), limits, later)
    assert refused.value.wait_s == 40
    await store.reserve(reservation(actor("bob"), now=later), limits, later)
    after = NOW + timedelta(seconds=60)
    await store.reserve(reservation(now=after), limits, after)


async def test_cooldown_ignores_failed_requests(store: Store) -> None:
    limits = Limits(cooldown_s=60)
    entry = await store.reserve(reservation(), limits, NOW)
    await store.settle_failed(entry.id, "moderation", NOW)
    await store.reserve(reservation(), limits, NOW + timedelta(seconds=1))


async def test_cooldown_crosses_midnight(store: Store) -> None:
    limits = Limits(cooldown_s=60)
    before = MIDNIGHT - timedelta(seconds=10)
    await store.reserve(reservation(now=before), limits, before)
    with pytest.raises(Cooldown):
        await store.reserve(reservation(now=MIDNIGHT), limits, MIDNIGHT)


async def test_day_resets_at_utc_midnight(store: Store) -> None:
    limits = Limits(user_daily_images=2)
    late = MIDNIGHT - timedelta(seconds=1)
    await store.reserve(reservation(n=2, now=late), limits, late)
    with pytest.raises(LimitReached) as refused:
        await store.reserve(reservation(now=late), limits, late)
    assert refused.value.resets_at == MIDNIGHT
    assert "it resets at 00:00 UTC, in 1 s." in refused.value.message
    await store.reserve(reservation(n=2, now=MIDNIGHT), limits, MIDNIGHT)


async def test_day_is_the_utc_day_whatever_the_offset_of_now(store: Store) -> None:
    limits = Limits(user_daily_images=1)
    entry = await store.reserve(reservation(), limits, NOW)
    await store.settle_succeeded(entry.id, 1, None, 0.042, NOW)
    # 01:30 on the 15th in UTC+2 is 23:30 on the 14th in UTC: the same day as NOW.
    east = datetime(2026, 3, 15, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(LimitReached):
        await store.reserve(reservation(now=east), limits, east)
    # 20:30 on the 14th in UTC-5 is 01:30 on the 15th in UTC: a new day.
    west = datetime(2026, 3, 14, 20, 30, tzinfo=timezone(timedelta(hours=-5)))
    await store.reserve(reservation(now=west), limits, west)


async def test_failed_and_abandoned_rows_count_nothing(store: Store) -> None:
    limits = Limits(user_daily_images=1, user_daily_cost_usd=0.05)
    failed = await store.reserve(reservation(), limits, NOW)
    await store.settle_failed(failed.id, "unavailable", NOW)
    entry = await store.get_entry(failed.id)
    assert entry is not None
    assert (entry.status, entry.est_cost_usd, entry.error_kind) == ("failed", 0.0, "unavailable")
    assert entry.settled_at == NOW
    await store.reserve(reservation(timeout=60), limits, NOW)
    later = NOW + timedelta(seconds=61)
    usage = await store.user_usage(CHANNEL, "alice", limits, later)
    assert (usage.images_today, usage.cost_today_usd, usage.images_remaining) == (0, 0.0, 1)
    await store.reserve(reservation(now=later), limits, later)


@pytest.mark.parametrize(
    ("limits", "refusal"),
    [
        (
            Limits(
                user_daily_images=1,
                channel_daily_images=1,
                user_daily_cost_usd=0.05,
                channel_daily_cost_usd=0.05,
            ),
            LimitReached,
        ),
        (Limits(cooldown_s=60), Cooldown),
    ],
    ids=["daily-limits", "cooldown"],
)
async def test_expired_reservation_counts_nothing_even_before_it_is_settled(
    store: Store, limits: Limits, refusal: type[Exception]
) -> None:
    await store.reserve(reservation(timeout=0.5), limits, NOW)
    soon = NOW + timedelta(seconds=0.6)
    await store.reserve(reservation(now=soon), limits, soon)
    with pytest.raises(refusal):
        await store.reserve(reservation(now=soon), limits, soon)


async def test_the_limit_check_agrees_with_the_report_after_every_outcome(store: Store) -> None:
    succeeded = await store.reserve(reservation(n=4, cost=0.4), Limits(), NOW)
    await store.settle_succeeded(succeeded.id, 2, None, 0.2, NOW)
    failed = await store.reserve(reservation(n=3, cost=0.3), Limits(), NOW)
    await store.settle_failed(failed.id, "moderation", NOW)
    await store.reserve(reservation(n=2, cost=0.2, timeout=30), Limits(), NOW)
    await store.reserve(reservation(actor("bob"), n=1, cost=0.1), Limits(), NOW)
    later = NOW + timedelta(seconds=31)
    usage = await store.user_usage(CHANNEL, "alice", Limits(), later)
    assert (usage.images_today, usage.channel_images_today) == (2, 3)
    assert usage.cost_today_usd == pytest.approx(0.2)
    assert usage.channel_cost_today_usd == pytest.approx(0.3)
    for limits in (
        Limits(user_daily_images=3),
        Limits(channel_daily_images=4),
        Limits(user_daily_cost_usd=0.3),
        Limits(channel_daily_cost_usd=0.4),
    ):
        extra = await store.reserve(reservation(n=1, cost=0.1, now=later), limits, later)
        with pytest.raises(LimitReached):
            await store.reserve(reservation(n=1, cost=0.1, now=later), limits, later)
        await store.settle_failed(extra.id, "unavailable", later)


async def test_expired_reservation_is_settled_abandoned(store: Store) -> None:
    entry = await store.reserve(reservation(timeout=60), Limits(), NOW)
    assert await store.settle_abandoned(NOW + timedelta(seconds=60)) == 0
    later = NOW + timedelta(seconds=61)
    await store.reserve(reservation(now=later), Limits(user_daily_images=1), later)
    row = await store.get_entry(entry.id)
    assert row is not None
    assert (row.status, row.settled_at, row.est_cost_usd) == ("abandoned", later, 0.0)


async def test_images_delivered_after_the_deadline_are_still_charged(store: Store) -> None:
    entry = await store.reserve(reservation(timeout=60), Limits(), NOW)
    later = NOW + timedelta(seconds=61)
    assert await store.settle_abandoned(later) == 1
    await store.settle_succeeded(entry.id, 1, None, 0.042, later)
    row = await store.get_entry(entry.id)
    assert row is not None and (row.status, row.images_delivered) == ("succeeded", 1)
    usage = await store.user_usage(CHANNEL, "alice", Limits(), later)
    assert (usage.images_today, usage.cost_today_usd) == (1, 0.042)


async def test_settle_abandoned_returns_the_count(store: Store) -> None:
    for timeout in (10, 20, 30):
        await store.reserve(reservation(timeout=timeout), Limits(), NOW)
    assert await store.settle_abandoned(NOW + timedelta(seconds=25)) == 2
    assert await store.settle_abandoned(NOW + timedelta(seconds=25)) == 0


async def test_partial_delivery_charges_what_was_delivered(store: Store) -> None:
    limits = Limits(user_daily_images=4)
    entry = await store.reserve(reservation(n=4, cost=0.168), limits, NOW)
    await store.settle_succeeded(entry.id, 2, TokenUsage(50, 8000), 0.084, NOW)
    row = await store.get_entry(entry.id)
    assert row is not None
    assert (row.status, row.images_delivered, row.input_tokens, row.output_tokens) == (
        "succeeded",
        2,
        50,
        8000,
    )
    assert (row.est_cost_usd, row.settled_at) == (0.084, NOW)
    usage = await store.user_usage(CHANNEL, "alice", limits, NOW)
    assert (usage.images_today, usage.cost_today_usd) == (2, 0.084)
    await store.reserve(reservation(n=2), limits, NOW)


async def test_settling_twice_keeps_the_first_outcome(store: Store) -> None:
    entry = await store.reserve(reservation(), Limits(), NOW)
    await store.settle_failed(entry.id, "timeout", NOW)
    await store.settle_succeeded(entry.id, 1, None, 0.042, NOW)
    row = await store.get_entry(entry.id)
    assert row is not None and (row.status, row.images_delivered) == ("failed", 0)


async def test_same_idempotency_key_twice_is_a_duplicate(store: Store) -> None:
    limits = Limits(user_daily_images=1)
    first = await store.reserve(reservation(key="interaction-1"), limits, NOW)
    with pytest.raises(Duplicate):
        await store.reserve(reservation(key="interaction-1"), limits, NOW)
    with pytest.raises(Duplicate):
        await store.reserve(reservation(key="interaction-1"), Limits(enabled=False), NOW)
    rows = [e async for e in store.export(NOW, NOW + timedelta(seconds=1))]
    assert [e.id for e in rows] == [first.id]


async def test_hundred_concurrent_reservations_grant_exactly_the_limit(store: Store) -> None:
    limits = Limits(user_daily_images=5)
    results = await asyncio.gather(
        *(store.reserve(reservation(), limits, NOW) for _ in range(100)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 5
    assert all(isinstance(r, LimitReached) for r in results if isinstance(r, BaseException))
    assert (await store.user_usage(CHANNEL, "alice", limits, NOW)).images_today == 5


async def test_two_store_objects_on_one_database_grant_exactly_the_limit(url: str) -> None:
    limits = Limits(user_daily_images=5, channel_daily_images=7)
    first, second = await open_store(url), await open_store(url)
    try:
        attempts = [
            s.reserve(reservation(actor(user)), limits, NOW)
            for _ in range(25)
            for s in (first, second)
            for user in ("alice", "bob")
        ]
        results = await asyncio.gather(*attempts, return_exceptions=True)
        assert sum(not isinstance(r, BaseException) for r in results) == 7
        alice = await second.user_usage(CHANNEL, "alice", limits, NOW)
        bob = await first.user_usage(CHANNEL, "bob", limits, NOW)
        assert alice.channel_images_today == 7
        assert alice.images_today + bob.images_today == 7
        assert max(alice.images_today, bob.images_today) <= 5
    finally:
        await first.close()
        await second.close()


async def test_os_processes_racing_on_one_database_end_exactly_at_the_limits(url: str) -> None:
    users = ["alice", "alice", "bob", "bob"]
    said = await racers([[url, "reserve", user, "25", LIMITS_5_8] for user in users])
    counts = [int(word) for word in said]
    assert sum(counts) == 8
    assert counts[0] + counts[1] <= 5 and counts[2] + counts[3] <= 5


async def test_limits_per_scope_and_audit_trail(store: Store) -> None:
    later = NOW + timedelta(hours=1)
    await store.set_limits(GUILD, {"user_daily_images": 10, "enabled": True}, "admin1", NOW)
    channel = await store.set_limits(
        CHANNEL,
        {"user_daily_images": 3, "allowed_sizes": ("1024x1024", "1536x1024"), "max_quality": "low"},
        "admin2",
        NOW,
    )
    assert channel == Limits(
        user_daily_images=3, allowed_sizes=("1024x1024", "1536x1024"), max_quality="low"
    )
    await store.set_limits(CHANNEL, {"user_daily_images": 3, "max_quality": None}, "admin1", later)
    assert await store.get_limits(CHANNEL) == Limits(
        user_daily_images=3, allowed_sizes=("1024x1024", "1536x1024")
    )
    assert await store.get_limits(GUILD) == Limits(user_daily_images=10, enabled=True)
    assert await store.get_limits(Scope("discord", "guild1", "random")) == Limits()
    assert await store.get_limits(Scope("slack", "guild1")) == Limits()
    trail = await store.limit_changes(CHANNEL)
    assert [(c.key, c.old_value, c.new_value, c.changed_by) for c in trail] == [
        ("user_daily_images", None, "3", "admin2"),
        ("allowed_sizes", None, "1024x1024,1536x1024", "admin2"),
        ("max_quality", None, "low", "admin2"),
        ("max_quality", "low", None, "admin1"),
    ]
    assert trail[-1].changed_at == later and trail[-1].scope == CHANNEL
    everything = await store.limit_changes()
    assert len(everything) == 6 and everything[0].scope == GUILD
    assert everything[1].new_value == "true"


async def test_set_limits_takes_every_key_and_round_trips(store: Store) -> None:
    values = Limits(
        True, 1, 2, 0.5, 1.5, 3, "medium", ("auto",), 30, False, True, ("bfl/flux-kontext-pro",), 9
    )
    budgets = {key: 7 if key.endswith("images") else 2.5 for key in BUDGET_KEYS}
    values = replace(
        values, **budgets, timezone="Europe/Paris", allow_low_moderation=True, allow_private=False
    )
    values = replace(values, alert_channel="C0ALERTS", alert_at=(50, 90), log_channel="123")
    assert await store.set_limits(CHANNEL, values.as_dict(), "me", NOW) == values
    assert await store.get_limits(CHANNEL) == values
    assert len(await store.limit_changes(CHANNEL)) == len(LIMIT_KEYS)
    cleared = await store.set_limits(CHANNEL, dict.fromkeys(LIMIT_KEYS), "me", NOW)
    assert cleared == Limits() == await store.get_limits(CHANNEL)


async def test_set_limits_stores_whole_dollars_as_numbers(store: Store) -> None:
    await store.set_limits(GUILD, {"user_daily_cost_usd": 2}, "me", NOW)
    assert (await store.get_limits(GUILD)).user_daily_cost_usd == 2.0


async def test_set_limits_refuses_unknown_keys_and_bad_values(store: Store) -> None:
    with pytest.raises(BadRequest) as refused:
        await store.set_limits(GUILD, {"daily_images": 3}, "me", NOW)
    assert "'daily_images'" in refused.value.message
    assert "user_daily_images" in refused.value.message and "cooldown_s" in refused.value.message
    for key, value in (
        ("user_daily_images", "3"),
        ("user_daily_images", -1),
        ("enabled", 1),
        ("max_quality", "ultra"),
        ("allowed_sizes", ("huge",)),
        ("allowed_models", ("a,b",)),
        ("max_pixels", -1),
        ("timezone", "Mars/Olympus_Mons"),
        ("workspace_monthly_images", 1.5),
        ("user_daily_cost_usd", True),
    ):
        with pytest.raises(BadRequest, match=key):
            await store.set_limits(GUILD, {key: value}, "me", NOW)
    assert await store.get_limits(GUILD) == Limits()
    assert await store.limit_changes() == []


async def test_user_usage_today_month_and_channel(store: Store) -> None:
    limits = Limits(user_daily_images=10, channel_daily_images=12, user_daily_cost_usd=1.0)
    earlier = NOW - timedelta(days=3)
    last_month = datetime(2026, 2, 28, 23, 59, tzinfo=UTC)
    for when, who, n in (
        (earlier, actor(), 2),
        (last_month, actor(), 5),
        (NOW, actor(), 3),
        (NOW, actor("bob"), 4),
        (NOW, actor(channel="random"), 1),
        (NOW, actor(workspace="guild2"), 6),
    ):
        entry = await store.reserve(reservation(who, n=n, cost=0.1 * n, now=when), Limits(), when)
        await store.settle_succeeded(entry.id, n, None, 0.1 * n, when)
    usage = await store.user_usage(CHANNEL, "alice", limits, NOW)
    assert (usage.images_today, usage.images_month, usage.channel_images_today) == (4, 6, 7)
    assert usage.cost_today_usd == pytest.approx(0.4)
    assert usage.cost_month_usd == pytest.approx(0.6)
    assert usage.channel_cost_today_usd == pytest.approx(0.7)
    assert usage.images_remaining == 5
    assert usage.cost_remaining_usd == pytest.approx(0.6)
    assert (usage.limits, usage.resets_at, usage.user_id) == (limits, MIDNIGHT, "alice")
    first_of_april = datetime(2026, 4, 1, tzinfo=UTC)
    april = await store.user_usage(CHANNEL, "alice", limits, first_of_april)
    assert (april.images_today, april.images_month) == (0, 0)


async def test_scope_usage_for_channel_workspace_and_platform(store: Store) -> None:
    for who, n in ((actor(), 1), (actor("bob"), 3), (actor("carol", channel="random"), 2)):
        entry = await store.reserve(reservation(who, n=n, cost=0.05 * n), Limits(), NOW)
        await store.settle_succeeded(entry.id, n, None, 0.05 * n, NOW)
    failed = await store.reserve(reservation(actor("dave")), Limits(), NOW)
    await store.settle_failed(failed.id, "moderation", NOW)
    await store.reserve(reservation(actor("erin", workspace="guild2"), n=4), Limits(), NOW)
    channel = await store.scope_usage(CHANNEL, NOW)
    assert (channel.images_today, channel.images_month, channel.requests_failed_today) == (4, 4, 1)
    assert [(u.user_id, u.images) for u in channel.top_users] == [("bob", 3), ("alice", 1)]
    assert channel.scope == CHANNEL and channel.resets_at == MIDNIGHT
    guild = await store.scope_usage(GUILD, NOW, top=2)
    assert guild.images_today == 6
    assert guild.cost_today_usd == pytest.approx(0.3)
    assert [u.user_id for u in guild.top_users] == ["bob", "carol"]
    platform = await store.scope_usage(Scope("discord"), NOW)
    assert platform.images_month == 10
    assert platform.top_users[0].user_id == "erin"


async def test_usage_counts_the_day_and_month_of_the_scopes_timezone(store: Store) -> None:
    # 23:30 UTC on 31 March is 12:30 on 1 April in Auckland (NZDT, UTC+13): a new local day
    # and month; 10:30 UTC that day is still 31 March there.
    auckland = Limits(user_daily_images=5, timezone="Pacific/Auckland")
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    for at in (datetime(2026, 3, 31, 10, 30, tzinfo=UTC), late):
        entry = await store.reserve(reservation(now=at, cost=0.05), auckland, at)
        await store.settle_succeeded(entry.id, 1, None, 0.05, at)
    local_midnight = datetime(2026, 4, 1, 11, 0, tzinfo=UTC)  # 00:00 NZDT on 2 April
    mine = await store.user_usage(CHANNEL, "alice", auckland, late)
    assert (mine.images_today, mine.images_month, mine.channel_images_today) == (1, 1, 1)
    assert (mine.images_remaining, mine.resets_at) == (4, local_midnight)
    scope = await store.scope_usage(GUILD, late, "Pacific/Auckland")
    assert (scope.images_today, scope.images_month) == (1, 1)
    assert scope.cost_month_usd == pytest.approx(0.05)
    assert [(u.user_id, u.images) for u in scope.top_users] == [("alice", 1)]
    assert scope.resets_at == local_midnight
    utc_day = await store.user_usage(CHANNEL, "alice", Limits(), late)
    assert (utc_day.images_today, utc_day.images_month) == (2, 2)
    assert utc_day.resets_at == datetime(2026, 4, 1, tzinfo=UTC)


async def test_export_is_oldest_first_within_a_half_open_range(store: Store) -> None:
    moments = [NOW + timedelta(minutes=m) for m in (30, 0, 10, 20, 40)]
    for moment in moments:
        await store.reserve(reservation(now=moment), Limits(), moment)
    since, until = NOW + timedelta(minutes=10), NOW + timedelta(minutes=40)
    rows = [e.created_at async for e in store.export(since, until)]
    assert rows == [NOW + timedelta(minutes=m) for m in (10, 20, 30)]


async def test_export_keeps_to_a_scope_and_a_user(store: Store) -> None:
    places = [
        ("guild1", "general", "alice"),
        ("guild1", "art", "bob"),
        ("guild2", "general", "alice"),
    ]
    for workspace, channel, user in places:
        await store.reserve(reservation(actor(user, channel, workspace)), Limits(), NOW)
    since, until = NOW, NOW + timedelta(seconds=1)

    async def exported(scope: Scope, user: str | None = None) -> list[tuple[str, str, str]]:
        rows = store.export(since, until, scope, user)
        return sorted([(e.workspace_id, e.channel_id, e.user_id) async for e in rows])

    assert await exported(Scope("*")) == sorted(places)
    assert await exported(GUILD) == [("guild1", "art", "bob"), ("guild1", "general", "alice")]
    assert await exported(CHANNEL) == [("guild1", "general", "alice")]
    assert await exported(Scope("discord", "*", "general")) == [
        ("guild1", "general", "alice"),
        ("guild2", "general", "alice"),
    ]
    assert await exported(Scope("*"), "bob") == [("guild1", "art", "bob")]
    assert await exported(Scope("slack")) == []


async def test_export_pages_through_many_rows_sharing_a_moment(store: Store) -> None:
    ids = set()
    for _ in range(1203):
        ids.add((await store.reserve(reservation(), Limits(), NOW)).id)
    seen = [e.id async for e in store.export(NOW, NOW + timedelta(seconds=1))]
    assert len(seen) == 1203 and set(seen) == ids


async def test_purge_prompts_before_a_moment(store: Store) -> None:
    cutoff = NOW - timedelta(days=30)
    old = await store.reserve(reservation(), Limits(), cutoff - timedelta(microseconds=1))
    new = await store.reserve(reservation(), Limits(), cutoff)
    assert await store.purge_prompts(cutoff) == 1
    assert await store.purge_prompts(cutoff) == 0
    purged, kept = await store.get_entry(old.id), await store.get_entry(new.id)
    assert purged is not None and purged.prompt is None
    assert kept is not None and kept.prompt == "a red balloon"


async def test_channel_managers(store: Store) -> None:
    assert not await store.is_channel_manager(CHANNEL, "u1")
    assert await store.add_channel_manager(CHANNEL, "u1", "owner", NOW)
    assert not await store.add_channel_manager(CHANNEL, "u1", "owner", NOW)
    await store.add_channel_manager(GUILD, "u2", "owner", NOW)
    assert await store.is_channel_manager(CHANNEL, "u1")
    assert await store.is_channel_manager(CHANNEL, "u2")
    assert not await store.is_channel_manager(Scope("discord", "guild1", "random"), "u1")
    assert await store.channel_managers(CHANNEL) == ["u1"]
    assert await store.remove_channel_manager(CHANNEL, "u1")
    assert not await store.remove_channel_manager(CHANNEL, "u1")
    assert await store.channel_managers(CHANNEL) == []


async def test_channel_manager_changes_are_audited(store: Store) -> None:
    later = NOW + timedelta(minutes=5)
    await store.add_channel_manager(CHANNEL, "u1", "owner", NOW)
    await store.add_channel_manager(CHANNEL, "u1", "owner", later)
    await store.add_channel_manager(CHANNEL, "u2", "owner", NOW)
    await store.add_channel_manager(GUILD, "u3", "admin", NOW)
    assert await store.remove_channel_manager(CHANNEL, "u1", "admin", later)
    assert not await store.remove_channel_manager(CHANNEL, "u1", "admin", later)
    assert await store.remove_channel_manager(CHANNEL, "u2")
    with pytest.raises(ValueError):
        await store.remove_channel_manager(GUILD, "u3", "admin")
    trail = await store.limit_changes(CHANNEL)
    assert [(c.key, c.old_value, c.new_value, c.changed_by, c.changed_at) for c in trail] == [
        ("channel_manager", None, "u1", "owner", NOW),
        ("channel_manager", None, "u2", "owner", NOW),
        ("channel_manager", "u1", None, "admin", later),
    ]
    assert [c.scope for c in await store.limit_changes()] == [CHANNEL, CHANNEL, GUILD, CHANNEL]
    assert await store.channel_managers(GUILD) == ["u3"]


async def test_ping(store: Store) -> None:
    await store.ping()


async def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url, made in (
        ("sqlite:///data/relative.db", tmp_path / "data" / "relative.db"),
        (f"sqlite:///{tmp_path}/absolute.db", tmp_path / "absolute.db"),
        ("sqlite:///:memory:", None),
    ):
        opened = await open_store(url)
        await opened.reserve(reservation(), Limits(), NOW)
        await opened.close()
        assert made is None or made.is_file()
    for bad in ("mysql://localhost/x", "sqlite://relative.db", "imagine.db"):
        with pytest.raises(ConfigError, match="IMAGINE_DATABASE_URL"):
            await open_store(bad)


def test_postgres_url_without_asyncpg_names_the_extra() -> None:
    script = (
        "import asyncio, sys\n"
        "sys.modules['asyncpg'] = None  # as if the postgres extra were not installed\n"
        "from bot.errors import ConfigError\n"
        "from bot.store.open import open_store\n"
        "try:\n"
        "    asyncio.run(open_store('postgresql://postgres@127.0.0.1/imagine'))\n"
        "except ConfigError as exc:\n"
        "    print(exc.message)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert ran.stdout == (
        "IMAGINE_DATABASE_URL: PostgreSQL needs the extra: pip install 'imagine-bot[postgres]'\n"
    )


async def test_limits_of_many_scopes_come_in_one_answer_in_their_order(store: Store) -> None:
    supporters = Scope.role("discord", "guild1", "R-supporters")
    alice = Scope.person("discord", "guild1", "alice")
    await store.set_limits(GUILD, {"user_daily_images": 10}, "admin1", NOW)
    await store.set_limits(supporters, {"user_monthly_images": 50}, "admin1", NOW)
    await store.set_limits(alice, {"enabled": False}, "admin1", NOW)
    unset = Scope("discord", "guild1", "random")
    found = await store.limits_of_many([alice, unset, GUILD, supporters, GUILD])
    assert found == [
        Limits(enabled=False),
        Limits(),
        Limits(user_daily_images=10),
        Limits(user_monthly_images=50),
        Limits(user_daily_images=10),
    ]
    assert found == [
        await store.get_limits(scope) for scope in (alice, unset, GUILD, supporters, GUILD)
    ]
    assert await store.limits_of_many([]) == []


async def test_sqlite_checkpoints_its_wal_every_4096_pages_not_every_kept_image(
    tmp_path: Path,
) -> None:
    opened = await open_store(store_url("sqlite", tmp_path))
    try:
        assert await opened.db.fetch("PRAGMA wal_autocheckpoint", {}) == [(4096,)]
    finally:
        await opened.close()
