"""ImagineHandler end to end in one process: a real local gateway, a real SQLite ledger."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.errors import (
    BadRequest,
    Busy,
    Cooldown,
    Disabled,
    InternalError,
    LimitReached,
    NotAllowed,
    OptionNotAllowed,
    ShuttingDown,
)
from bot.gateway.client import GatewayClient, build_http_client
from bot.gateway.errors import ContentBlocked
from bot.handler import ImagineHandler, utcnow
from bot.images import load_source
from bot.models import (
    Actor,
    ImageRequest,
    LedgerEntry,
    Options,
    Progress,
    Result,
    Scope,
)
from bot.reports import format_user_usage
from bot.store import Store, open_store
from bot.web.budgets import workspace_gauges
from bot.web.charts import Gauge
from tests.fakes.gateway import FakeGateway
from tests.support import Held, make_settings, picture, wait_until

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
PROMPT = "a red balloon on a wooden table"
NOT_CHARGED = "You were not charged."
WORKSPACE = Scope("discord", "guild1", "*")
CHANNEL = Scope("discord", "guild1", "general")


class Clock:
    """A settable clock for the handler."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def actor(user: str = "alice", channel: str = "general", admin: bool = False) -> Actor:
    return Actor("discord", "guild1", channel, user, is_admin=admin)


_keys = iter(range(1_000_000))


def request(who: Actor | None = None, **options: Any) -> ImageRequest:
    return ImageRequest(
        kind="generate",
        prompt=PROMPT,
        actor=who or actor(),
        idempotency_key=f"interaction-{next(_keys)}",
        options=Options(**options),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


@asynccontextmanager
async def running(
    tmp_path: Path,
    fake: FakeGateway,
    *,
    clock: Callable[[], datetime] = utcnow,
    backend_env: dict[str, Any] | None = None,
    **env: Any,
) -> AsyncIterator[ImagineHandler]:
    """A handler wired like `open_app` does it, with settings from IMAGINE_* names
    (`backend_env` changes only those its gateway client is built from)."""
    settings = make_settings(tmp_path, IMAGINE_GATEWAY_URL=fake.url, **env)
    wired = make_settings(tmp_path, IMAGINE_GATEWAY_URL=fake.url, **(env | (backend_env or {})))
    store = await open_store(settings.database_url)
    try:
        async with build_http_client(wired) as http:
            backend = GatewayClient.from_settings(http, wired)
            yield ImagineHandler(settings, store, backend, clock=clock)
    finally:
        await store.close()


async def rows(store: Store) -> list[LedgerEntry]:
    return [
        entry
        async for entry in store.export(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    ]


def limit_text(used: str, key: str, resets: str) -> str:
    return f"{used} ({key}); it resets at 00:00 UTC, in {resets}. {NOT_CHARGED}"


async def test_progress_reports_queue_position_start_previews_and_done(
    tmp_path: Path, fake: FakeGateway
) -> None:
    seen: dict[str, list[Progress]] = {"a": [], "b": [], "c": []}
    gate = asyncio.Event()

    def reporter(name: str) -> Callable[[Progress], Any]:
        async def report(progress: Progress) -> None:
            seen[name].append(progress)
            if name == "a" and progress.stage == "started":
                await gate.wait()  # a holds the only slot until b and c are queued

        return report

    async with running(tmp_path, fake, IMAGINE_MAX_CONCURRENT=1) as handler:
        a = asyncio.create_task(handler.generate(request(actor("a")), reporter("a")))
        await wait_until(lambda: len(seen["a"]) == 1)
        b = asyncio.create_task(handler.generate(request(actor("b")), reporter("b")))
        await wait_until(lambda: len(seen["b"]) == 1)
        c = asyncio.create_task(handler.generate(request(actor("c")), reporter("c")))
        await wait_until(lambda: len(seen["c"]) == 1)
        assert handler.queued == 2
        gate.set()
        results = await asyncio.gather(a, b, c)

    stages = {name: [(p.stage, p.position) for p in got] for name, got in seen.items()}
    streamed = [("started", 0), ("partial", 0), ("partial", 0), ("done", 0)]
    assert stages == {
        "a": streamed,
        "b": [("queued", 1), *streamed],
        "c": [("queued", 2), *streamed],
    }
    previews = [p.preview for got in seen.values() for p in got if p.stage == "partial"]
    assert len(previews) == 6
    assert all(p is not None and picture(p) == ("PNG", (1024, 1024)) for p in previews)
    assert [len(r.images) for r in results] == [1, 1, 1]
    fields = [r.json for r in fake.image_requests]
    assert all(f["stream"] is True and f["partial_images"] == 2 for f in fields)


@pytest.mark.parametrize("who", ["one user", "distinct users"])
async def test_a_hundred_requests_at_once_against_a_limit_of_five(
    tmp_path: Path, fake: FakeGateway, who: str
) -> None:
    same = who == "one user"
    env: dict[str, Any] = (
        {"IMAGINE_PER_USER_CONCURRENT": 0, "IMAGINE_USER_DAILY_IMAGES": 5}
        if same
        else {"IMAGINE_CHANNEL_DAILY_IMAGES": 5}
    )
    async with running(tmp_path, fake, clock=Clock(NOW), **env) as handler:
        requests = [request(actor("alice" if same else f"user{i}")) for i in range(100)]
        outcomes = await asyncio.gather(
            *(handler.generate(r) for r in requests), return_exceptions=True
        )
        usage = await handler.scope_usage(CHANNEL)
        ledger = await rows(handler.store)

    succeeded = [o for o in outcomes if isinstance(o, Result)]
    refused = [o for o in outcomes if isinstance(o, LimitReached)]
    assert (len(succeeded), len(refused)) == (5, 95)
    key = "user_daily_images" if same else "channel_daily_images"
    used = "You have used 5 of your" if same else "This channel has used 5 of its"
    assert {(r.limit, r.used, r.allowed) for r in refused} == {(key, 5, 5)}
    assert {r.message for r in refused} == {limit_text(f"{used} 5 images today", key, "12 h")}
    assert len(fake.image_requests) == 5
    assert usage.images_today == 5
    assert sorted(e.status for e in ledger) == ["succeeded"] * 5


async def test_limits_resolve_channel_over_workspace_over_platform_over_defaults(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env: dict[str, Any] = {
        "IMAGINE_MAX_N": 4,
        "IMAGINE_COOLDOWN_S": 5,
        "IMAGINE_USER_DAILY_IMAGES": 50,
    }
    async with running(tmp_path, fake, clock=Clock(NOW), **env) as handler:
        platform = Scope("discord")
        await handler.set_limits(
            platform, {"user_daily_images": "30", "max_n": "3", "max_quality": "medium"}, "root"
        )
        await handler.set_limits(WORKSPACE, {"user_daily_images": "20", "max_n": "2"}, "owner")
        await handler.set_limits(CHANNEL, {"user_daily_images": "1"}, "mod")

        in_channel = await handler.limits_for(CHANNEL)
        other_channel = await handler.limits_for(Scope("discord", "guild1", "random"))
        other_guild = await handler.limits_for(Scope("discord", "guild2", "general"))
        other_platform = await handler.limits_for(Scope("slack", "T1", "C1"))

        with pytest.raises(LimitReached) as daily:  # the channel's 1 beats the workspace's 20
            await handler.generate(request(n=2))
        with pytest.raises(OptionNotAllowed) as too_many:  # the workspace's 2 beats 3 and 4
            await handler.generate(request(actor(channel="random"), n=3))
        three = Actor("discord", "guild2", "general", "alice")  # the platform's 3 applies
        made = await handler.generate(request(three, n=3, quality="low"))

        await handler.set_limits(CHANNEL, {"user_daily_images": ""}, "mod")
        cleared = await handler.limits_for(CHANNEL)
        changes = await handler.store.limit_changes(CHANNEL)

    assert (in_channel.user_daily_images, in_channel.max_n, in_channel.max_quality) == (
        1,
        2,
        "medium",
    )
    assert in_channel.cooldown_s == 5
    assert (other_channel.user_daily_images, other_channel.max_n) == (20, 2)
    assert (other_guild.user_daily_images, other_guild.max_n, other_guild.max_quality) == (
        30,
        3,
        "medium",
    )
    assert other_platform == handler.settings.default_limits()
    assert (other_platform.user_daily_images, other_platform.max_n) == (50, 4)
    assert daily.value.message == limit_text(
        "You have used 0 of your 1 image today", "user_daily_images", "12 h"
    )
    assert too_many.value.message == (
        f"Not allowed here: at most 2 images per request (max_n). {NOT_CHARGED}"
    )
    assert len(made.images) == 3
    assert cleared.user_daily_images == 20
    assert [(c.key, c.old_value, c.new_value, c.changed_by) for c in changes] == [
        ("user_daily_images", None, "1", "mod"),
        ("user_daily_images", "1", None, "mod"),
    ]


@pytest.mark.parametrize(
    ("limit", "value", "options", "message"),
    [
        ("max_n", "2", {"n": 3}, "at most 2 images per request (max_n)"),
        (
            "max_quality",
            "medium",
            {"quality": "high"},
            "quality high; use low or medium (max_quality)",
        ),
        ("max_quality", "low", {"quality": "auto"}, "quality auto; use low (max_quality)"),
        (
            "allowed_sizes",
            "1024x1024,1024x1536",
            {"size": "1536x1024"},
            "size 1536x1024; use 1024x1024, 1024x1536 (allowed_sizes)",
        ),
    ],
)
async def test_option_limits_refuse_before_anything_is_reserved(
    tmp_path: Path,
    fake: FakeGateway,
    limit: str,
    value: str,
    options: dict[str, Any],
    message: str,
) -> None:
    async with running(tmp_path, fake) as handler:
        await handler.set_limits(CHANNEL, {limit: value}, "mod")
        with pytest.raises(OptionNotAllowed) as refused:
            await handler.generate(request(**options))
        elsewhere = await handler.generate(request(actor(channel="random"), **options))
        ledger = await rows(handler.store)

    assert refused.value.message == f"Not allowed here: {message}. {NOT_CHARGED}"
    assert (refused.value.kind, refused.value.limit, refused.value.charged) == (
        "limit",
        limit,
        False,
    )
    assert len(elsewhere.images) == options.get("n", 1)
    assert len(fake.image_requests) == 1
    assert [e.channel_id for e in ledger] == ["random"]


async def test_a_disabled_channel_refuses(tmp_path: Path, fake: FakeGateway) -> None:
    async with running(tmp_path, fake) as handler:
        await handler.set_limits(CHANNEL, {"enabled": "false"}, "mod")
        with pytest.raises(Disabled) as refused:
            await handler.generate(request())
        ledger = await rows(handler.store)

    assert refused.value.message == (
        "Image generation is turned off in this channel. "
        f"Ask an admin to enable it, or try another channel. {NOT_CHARGED}"
    )
    assert ledger == [] and fake.image_requests == []


async def test_admins_are_exempt_only_where_that_is_set(tmp_path: Path, fake: FakeGateway) -> None:
    env: dict[str, Any] = {
        "IMAGINE_USER_DAILY_IMAGES": 1,
        "IMAGINE_MAX_N": 1,
        "IMAGINE_MAX_QUALITY": "low",
    }
    async with running(tmp_path, fake, clock=Clock(NOW), **env) as handler:
        await handler.set_limits(CHANNEL, {"admins_exempt": "true"}, "owner")
        admin = actor("boss", admin=True)
        first = await handler.generate(request(admin, n=2, quality="medium"))
        second = await handler.generate(request(admin, n=2, quality="medium"))
        with pytest.raises(OptionNotAllowed) as pleb_n:
            await handler.generate(request(actor("pleb"), n=2, quality="low"))
        await handler.generate(request(actor("pleb"), quality="low"))
        with pytest.raises(LimitReached) as pleb:
            await handler.generate(request(actor("pleb"), quality="low"))
        strict = actor("boss", channel="random", admin=True)
        with pytest.raises(OptionNotAllowed) as boss_quality:
            await handler.generate(request(strict, quality="medium"))
        with pytest.raises(LimitReached) as boss:
            await handler.generate(request(strict, quality="low"))
        usage = await handler.usage(admin)

    assert len(first.images) == len(second.images) == 2
    assert pleb_n.value.message == (
        f"Not allowed here: at most 1 image per request (max_n). {NOT_CHARGED}"
    )
    assert boss_quality.value.message == (
        f"Not allowed here: quality medium; use low (max_quality). {NOT_CHARGED}"
    )
    assert pleb.value.message == limit_text(
        "You have used 1 of your 1 image today", "user_daily_images", "12 h"
    )
    assert boss.value.message == limit_text(
        "You have used 4 of your 1 image today", "user_daily_images", "12 h"
    )
    assert usage.images_today == 4


async def test_cooldown_between_requests(tmp_path: Path, fake: FakeGateway) -> None:
    clock = Clock(NOW)
    async with running(tmp_path, fake, clock=clock, IMAGINE_COOLDOWN_S=60) as handler:
        await handler.generate(request())
        clock.now = NOW + timedelta(seconds=15)
        with pytest.raises(Cooldown) as early:
            await handler.generate(request())
        await handler.generate(request(actor("bob")))
        clock.now = NOW + timedelta(seconds=61)
        later = await handler.generate(request())

    assert early.value.message == (
        f"Slow down: you can ask again in 45 s (cooldown_s). {NOT_CHARGED}"
    )
    assert len(later.images) == 1


async def test_daily_limits_reset_at_midnight_utc(tmp_path: Path, fake: FakeGateway) -> None:
    plus_two = timezone(timedelta(hours=2))
    clock = Clock(datetime(2026, 4, 1, 1, 30, tzinfo=plus_two))  # 23:30 UTC on 31 March
    async with running(tmp_path, fake, clock=clock, IMAGINE_USER_DAILY_IMAGES=2) as handler:
        await handler.generate(request(n=2))
        with pytest.raises(LimitReached) as refused:
            await handler.generate(request())
        before = await handler.usage(actor())
        clock.now = datetime(2026, 4, 1, 2, 0, 1, tzinfo=plus_two)  # 00:00:01 UTC on 1 April
        after_midnight = await handler.generate(request(n=2))
        after = await handler.usage(actor())

    assert refused.value.message == limit_text(
        "You have used 2 of your 2 images today", "user_daily_images", "30 min"
    )
    assert refused.value.resets_at == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    assert (before.images_today, before.images_month) == (2, 2)
    assert len(after_midnight.images) == 2
    assert (after.images_today, after.images_month) == (2, 2)  # a new day, and a new month


async def test_one_request_per_user_at_a_time(tmp_path: Path, fake: FakeGateway) -> None:
    hold = Held()
    async with running(tmp_path, fake) as handler:
        first = asyncio.create_task(handler.generate(request(), hold))
        await hold.started.wait()
        with pytest.raises(Busy) as busy:
            await handler.generate(request())
        other = await handler.generate(request(actor("bob")))
        hold.release()
        done = await first
        again = await handler.generate(request())
        ledger = await rows(handler.store)

    assert busy.value.message == (
        "You already have an image in progress. Wait for it to finish, then try again. "
        f"{NOT_CHARGED}"
    )
    assert [len(r.images) for r in (done, other, again)] == [1, 1, 1]
    assert len(ledger) == 3 and {e.status for e in ledger} == {"succeeded"}


async def test_reroll_repeats_the_prompt_until_it_is_purged(
    tmp_path: Path, fake: FakeGateway
) -> None:
    clock = Clock(NOW)
    async with running(tmp_path, fake, clock=clock) as handler:
        original = await handler.generate(request(quality="low", size="1536x1024"))
        rerolled = await handler.reroll(original.request_id, actor("bob"), "button-1")
        copy = await handler.entry(rerolled.request_id)
        clock.now = NOW + timedelta(days=31)
        await handler.housekeeping()
        with pytest.raises(BadRequest) as purged:
            await handler.reroll(original.request_id, actor("bob"), "button-2")
        with pytest.raises(BadRequest) as unknown:
            await handler.reroll("no-such-id", actor("bob"), "button-3")

    first, second = (r.json for r in fake.image_requests)
    assert second["prompt"] == first["prompt"] == PROMPT
    assert (second["quality"], second["size"]) == ("low", "1536x1024")
    assert (copy.user_id, copy.parent_id, copy.status) == ("bob", original.request_id, "succeeded")
    assert rerolled.prompt == PROMPT
    assert purged.value.message == (
        "This result cannot be re-rolled: its prompt is not kept (prompts are kept 30 days). "
        f"Start a new /imagine instead. {NOT_CHARGED}"
    )
    assert unknown.value.message == (
        "That result is no longer known to the bot; start a new /imagine. You were not charged."
    )
    assert len(fake.image_requests) == 2


async def test_reroll_cleans_a_prompt_kept_before_prompts_were_cleaned(
    tmp_path: Path, fake: FakeGateway
) -> None:
    async with running(tmp_path, fake) as handler:
        kept = replace(request(), prompt="a red\u202e balloon\x07 on a table")
        original = await handler.generate(kept)
        rerolled = await handler.reroll(original.request_id, actor("bob"), "button-1")
        copy = await handler.entry(rerolled.request_id)

    assert fake.image_requests[1].json["prompt"] == "a red balloon on a table"
    assert copy.prompt == rerolled.prompt == "a red balloon on a table"


async def test_others_cannot_vary_or_reroll_where_it_is_off(
    tmp_path: Path, fake: FakeGateway
) -> None:
    async with running(tmp_path, fake) as handler:
        await handler.set_limits(CHANNEL, {"others_can_vary": "false"}, "mod")
        original = await handler.generate(request())
        image = original.images[0]
        source = (await load_source(image.data, filename=image.filename, max_bytes=10**7),)
        with pytest.raises(NotAllowed) as reroll:
            await handler.reroll(original.request_id, actor("bob"), "button-1")
        vary = ImageRequest(
            "vary", "", actor("bob"), "button-2", sources=source, parent_id=original.request_id
        )
        with pytest.raises(NotAllowed) as varied:
            await handler.vary(vary)
        own = await handler.vary(
            ImageRequest(
                "vary", "", actor(), "button-3", sources=source, parent_id=original.request_id
            )
        )
        ledger = await rows(handler.store)

    expected = (
        "In this channel only the person who made an image can vary or re-roll it. "
        f"Start your own with /imagine. {NOT_CHARGED}"
    )
    assert reroll.value.message == varied.value.message == expected
    assert len(own.images) == 1
    assert [(e.user_id, e.kind) for e in ledger] == [("alice", "generate"), ("alice", "vary")]


async def test_a_request_stopped_by_shutdown_is_not_charged_and_no_new_one_starts(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.fail("hang")
    async with running(tmp_path, fake) as handler:
        task = asyncio.create_task(handler.generate(request()))
        await wait_until(lambda: fake.in_flight == 1)
        handler.close_intake()
        task.cancel()
        with pytest.raises(ShuttingDown) as shutting:
            await task
        with pytest.raises(ShuttingDown) as refused:
            await handler.generate(request(actor("bob")))
        [entry] = await rows(handler.store)
        usage = await handler.usage(actor())

    assert shutting.value.message == (
        f"The bot restarted before your image was finished. {NOT_CHARGED} Try again in a minute."
    )
    assert refused.value.message == (
        f"The bot is restarting and cannot take new requests right now. {NOT_CHARGED} "
        "Try again in a minute."
    )
    assert (entry.status, entry.error_kind, entry.images_delivered, entry.est_cost_usd) == (
        "failed",
        "shutdown",
        0,
        0,
    )
    assert usage.images_today == 0 and usage.cost_today_usd == 0


async def test_an_unexpected_error_shows_only_the_request_id(
    tmp_path: Path, fake: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(progress: Progress) -> None:
        if progress.stage == "started":
            raise RuntimeError("the adapter's message was deleted")

    async with running(tmp_path, fake, IMAGINE_MAX_CONCURRENT=1) as handler:
        with (
            caplog.at_level(logging.ERROR, logger="bot.handler"),
            pytest.raises(InternalError) as failed,
        ):
            await handler.generate(request(), broken)
        [entry] = await rows(handler.store)
        after = await handler.generate(request())  # the slot was given back

    assert failed.value.message == (
        f"Something went wrong inside the bot. {NOT_CHARGED} "
        "The error was logged; tell the bot's admin if it keeps happening."
    )
    assert failed.value.entry_id == entry.id
    assert "adapter" not in failed.value.message
    assert (entry.status, entry.error_kind, entry.images_delivered) == ("failed", "internal", 0)
    assert f"request {entry.id} failed inside the bot" in caplog.text
    assert "RuntimeError: the adapter's message was deleted" in caplog.text
    assert len(after.images) == 1


async def test_metrics_count_successes_refusals_and_failures(
    tmp_path: Path, fake: FakeGateway
) -> None:
    async with running(tmp_path, fake, IMAGINE_USER_DAILY_IMAGES="1") as handler:
        await handler.generate(request())
        with pytest.raises(LimitReached):
            await handler.generate(request())
        fake.fail("moderation_blocked")
        with pytest.raises(ContentBlocked):
            await handler.generate(request(actor("bob")))
        lines = handler.metrics.render()[0].decode().splitlines()

    for outcome in ("succeeded", "limit", "moderation"):
        labels = f'kind="generate",outcome="{outcome}",platform="discord"'
        assert f"imagine_requests_total{{{labels}}} 1.0" in lines
    assert 'imagine_images_total{platform="discord"} 1.0' in lines
    assert "imagine_gateway_seconds_count 2.0" in lines


async def test_a_request_that_gets_no_slot_in_time_is_told_the_bot_is_busy(
    tmp_path: Path, fake: FakeGateway
) -> None:
    hold = Held()
    env = {"IMAGINE_MAX_CONCURRENT": 1, "IMAGINE_GATEWAY_TIMEOUT": 0.2}  # the wait for a slot
    patient = {"IMAGINE_GATEWAY_TIMEOUT": 60}  # alice's own call may be slow on a busy machine
    async with running(tmp_path, fake, backend_env=patient, **env) as handler:
        first = asyncio.create_task(handler.generate(request(), hold))
        await hold.started.wait()
        with pytest.raises(Busy) as busy:
            await handler.generate(request(actor("bob")))
        hold.release()
        await first
        ledger = await rows(handler.store)

    assert busy.value.message == (
        "The bot is busy with other people's images and yours did not get a turn. "
        f"{NOT_CHARGED} Try again in a few minutes."
    )
    assert {(e.user_id, e.status) for e in ledger} == {("alice", "succeeded"), ("bob", "failed")}


async def test_usage_reports_count_the_local_day_and_say_its_reset(
    tmp_path: Path, fake: FakeGateway
) -> None:
    # 10:30 UTC on 14 March is 23:30 there in Auckland (NZDT, UTC+13); 23:30 UTC is 12:30 on
    # the 15th, a new local day that resets at 00:00 NZDT on the 16th (11:00 UTC on the 15th).
    clock = Clock(datetime(2026, 3, 14, 10, 30, tzinfo=UTC))
    async with running(tmp_path, fake, clock=clock) as handler:
        limits = {"user_daily_images": "1", "timezone": "Pacific/Auckland"}
        await handler.set_limits(WORKSPACE, limits, "admin1")
        await handler.generate(request())
        clock.now = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
        await handler.generate(request())
        usage = await handler.usage(actor())
        channel = await handler.scope_usage(CHANNEL)
        refusal = await handler.would_refuse(actor())
        today = [e for e in await rows(handler.store) if e.created_at == clock.now]
        gauges = await workspace_gauges(handler, WORKSPACE, today, clock.now)
    assert (usage.images_today, usage.images_month, usage.images_remaining) == (1, 2, 0)
    assert usage.resets_at == datetime(2026, 3, 15, 11, 0, tzinfo=UTC)
    assert format_user_usage(usage, clock.now).endswith(
        "Images left today: 0\nDaily limits reset in 11 h 30 min (00:00 NZDT)."
    )
    assert (channel.images_today, channel.images_month) == (1, 2)
    assert refusal == (
        "You have reached your limit here, so a new image would be refused. Limits reset in "
        f"11 h 30 min (00:00 NZDT). {NOT_CHARGED} Ask an admin if you need more."
    )
    assert gauges == [
        Gauge("Images a day", "person alice", 1.0, 1.0, "images", "00:00 NZDT, in 11 h 30 min")
    ]
