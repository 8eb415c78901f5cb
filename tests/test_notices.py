"""Budget alerts, the log channel and the remaining-budget footer (issue 14, items 4 and 5):
the runner with a real handler and store (SQLite and PostgreSQL), the offline backend, a
recording `Channels`, and a webhook served by aiohttp on 127.0.0.1."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.config import load_settings
from bot.entry.logs import setup_logging
from bot.errors import ConfigError
from bot.handler import ImagineHandler
from bot.models import Actor, Result, Scope
from bot.offline import OfflineBackend
from bot.requests import Ask, Failure, Headline, Pace, Runner
from bot.requests.notices import Notices, alert_text
from bot.store import Store, open_store
from bot.store.budgets import BudgetUse
from tests.storefixtures import raced
from tests.support import KEY, cli_env, run_cli

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
GUILD = Scope("discord", "guild1")
ALERTS = "C0ALERTS"
WORKSPACE_80 = (
    "Budget alert (80 %): This workspace has used 4 of its 5 images this month "
    "(workspace_monthly_images); it resets on Wed 1 Apr 00:00 UTC."
)
WORKSPACE_100 = (
    "Budget alert (100 %): This workspace has used 5 of its 5 images this month "
    "(workspace_monthly_images); it resets on Wed 1 Apr 00:00 UTC."
)


def person(user: str) -> Actor:
    return Actor("discord", "guild1", "general", user)


@dataclass
class Posted:
    """A `Channels` that records every post (and can refuse them)."""

    posts: list[tuple[str, str, str]] = field(default_factory=list)
    broken: bool = False

    async def post(self, workspace_id: str, channel_id: str, text: str) -> None:
        if self.broken:
            raise ConnectionError("the platform is down")
        self.posts.append((workspace_id, channel_id, text))

    def texts(self, channel: str) -> list[str]:
        return [text for _, where, text in self.posts if where == channel]


@dataclass
class Shown:
    """A surface that keeps the results it is given."""

    pace: Pace | None = None
    results: list[Result] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    async def acknowledge(self, headline: Headline) -> bool:
        return True

    async def progress(self, text: str, preview: bytes | None) -> None:
        return None

    async def deliver(self, result: Result) -> str:
        self.results.append(result)
        return f"https://chat.example/results/{result.request_id[:8]}"

    async def fail(self, failure: Failure) -> None:
        self.failures.append(failure)

    async def drop(self, text: str | None = None) -> None:
        return None

    def again(self, request_id: str) -> str:
        return ""


class Hook:
    """A webhook on 127.0.0.1 that records the JSON it receives (or answers `status`)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def receive(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response(status=self.status)

    async def __aenter__(self) -> Hook:
        app = web.Application()
        app.router.add_post("/hooks/s3cr3t-token", self.receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hooks/s3cr3t-token"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class Bot:
    handler: ImagineHandler
    runner: Runner
    channels: Posted

    async def ask(self, user: str, key: str, text: str = "a red kite") -> Shown:
        surface = Shown()
        await self.runner.submit(Ask("generate", person(user), key, text=text), surface)
        return surface


def bot_of(store: Store, http: Any = None, **env: str) -> Bot:
    settings = load_settings(None, IMAGINE_GATEWAY_KEY=KEY, **env)
    handler = ImagineHandler(settings, store, OfflineBackend(), clock=lambda: NOW)
    notices = Notices(handler, http)
    channels = Posted()
    notices.register("discord", channels)
    return Bot(handler, Runner(handler, notices), channels)


async def test_crossing_80_then_100_percent_posts_two_alerts_in_the_alert_channel(
    store: Store,
) -> None:
    bot = bot_of(store)
    limits = {"workspace_monthly_images": "5", "alert_channel": ALERTS}
    await bot.handler.set_limits(GUILD, limits, "admin")
    for i in range(3):
        await bot.ask(f"user{i}", f"ix-{i}")
    assert bot.channels.texts(ALERTS) == []
    await bot.ask("user3", "ix-3")
    assert bot.channels.texts(ALERTS) == [WORKSPACE_80]
    shown = await bot.ask("user4", "ix-4")
    assert len(shown.results) == 1
    assert bot.channels.texts(ALERTS) == [WORKSPACE_80, WORKSPACE_100]
    refused = await bot.ask("user5", "ix-5")
    assert refused.results == [] and len(refused.failures) == 1
    assert bot.channels.texts(ALERTS) == [WORKSPACE_80, WORKSPACE_100]
    sent = await store.alerts_sent("discord", "guild1")
    assert [(a.limit_key, a.threshold) for a in sent] == [
        ("workspace_monthly_images", 80),
        ("workspace_monthly_images", 100),
    ]
    assert {where for where, _, _ in bot.channels.posts} == {"guild1"}


async def test_the_webhook_receives_the_same_alerts_and_the_installations_own(
    store: Store,
) -> None:
    async with Hook() as hook, _client() as http:
        bot = bot_of(store, http, IMAGINE_ALERT_WEBHOOK=hook.url, IMAGINE_ALERT_AT="50")
        await bot.handler.set_limits(GUILD, {"channel_daily_images": "2"}, "admin")
        await bot.handler.set_limits(GUILD, {"alert_channel": ALERTS}, "admin")
        await bot.handler.set_limits(Scope("*"), {"bot_monthly_images": "2"}, "admin")
        await bot.ask("alice", "ix-1")
    texts = [body["text"] for body in hook.bodies]
    channel = (
        "Budget alert (50 %): This channel has used 1 of its 2 images today "
        "(channel_daily_images); it resets on Sun 15 Mar 00:00 UTC."
    )
    installation = (
        "Budget alert (50 %): The bot has used 1 of its 2 images this month "
        "(bot_monthly_images); it resets on Wed 1 Apr 00:00 UTC."
    )
    assert sorted(texts) == sorted([channel, installation])
    assert bot.channels.texts(ALERTS) == [channel]  # the installation's go to the webhook
    [body] = [body for body in hook.bodies if body["limit"] == "bot_monthly_images"]
    assert body == {
        "text": installation,
        "platform": "discord",
        "workspace_id": "guild1",
        "channel_id": "general",
        "holder": "bot",
        "period": "monthly",
        "limit": "bot_monthly_images",
        "threshold": 50,
        "used": 1,
        "allowed": 2,
        "resets_at": "2026-04-01T00:00:00+00:00",
    }


async def test_a_failing_webhook_and_channel_never_stop_the_result_nor_leak_the_url(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Hook(status=500) as hook, _client() as http:
        bot = bot_of(store, http, IMAGINE_ALERT_WEBHOOK=hook.url, IMAGINE_ALERT_AT="1")
        await bot.handler.set_limits(
            GUILD, {"workspace_daily_images": "2", "alert_channel": ALERTS}, "admin"
        )
        bot.channels.broken = True
        shown = await bot.ask("alice", "ix-1")
    assert len(shown.results) == 1 and shown.failures == []
    assert len(hook.bodies) == 1
    ours = ours_of(caplog)
    assert "the alert webhook answered HTTP 500" in ours
    assert "could not post in discord channel C0ALERTS: ConnectionError" in ours
    assert "s3cr3t" not in ours
    [entry] = [e async for e in store.export(datetime(2000, 1, 1, tzinfo=UTC), NOW.replace(2100))]
    assert (entry.status, entry.delivery) == ("succeeded", "delivered")


async def test_an_unreachable_webhook_is_logged_by_kind_only(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    async with _client() as http:
        dead = "http://127.0.0.1:9/hooks/s3cr3t-token"
        bot = bot_of(store, http, IMAGINE_ALERT_WEBHOOK=dead, IMAGINE_ALERT_AT="1")
        await bot.handler.set_limits(GUILD, {"workspace_daily_images": "2"}, "admin")
        shown = await bot.ask("alice", "ix-1")
    assert len(shown.results) == 1
    ours = ours_of(caplog)
    assert "the alert webhook failed: ConnectError" in ours
    assert "s3cr3t" not in ours


def test_the_webhook_address_is_redacted_from_every_log_line() -> None:
    hook = "https://hooks.example/services/s3cr3t-token"
    settings = load_settings(None, IMAGINE_ALERT_WEBHOOK=hook)
    stream = io.StringIO()
    handler = setup_logging(settings, stream, level="DEBUG")
    try:
        logging.getLogger("httpx").info("HTTP Request: POST %s", hook)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "s3cr3t" not in stream.getvalue() and "HTTP Request: POST" in stream.getvalue()


def ours_of(caplog: pytest.LogCaptureFixture) -> str:
    """What the bot's own loggers wrote (the test's server and client log on their own)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))


async def test_every_delivered_result_is_one_line_in_the_log_channel(store: Store) -> None:
    bot = bot_of(store)
    await bot.handler.set_limits(GUILD, {"log_channel": "C0LOG"}, "admin")
    first = await bot.ask("alice", "ix-1", "a red kite")
    second = await bot.ask("bob", "ix-2", "a blue boat --n 2")
    await bot.ask("bob", "ix-2", "a blue boat --n 2")  # a redelivered event: nothing new
    ids = [shown.results[0].request_id[:8] for shown in (first, second)]
    model = bot.handler.settings.model
    assert bot.channels.texts("C0LOG") == [
        f"alice made 1 image (generate, {model}, $0.00), request {ids[0]}: "
        f'https://chat.example/results/{ids[0]} — "a red kite"',
        f"bob made 2 images (generate, {model}, $0.00), request {ids[1]}: "
        f'https://chat.example/results/{ids[1]} — "a blue boat"',
    ]


async def test_the_log_channel_shows_no_prompt_when_prompts_are_not_kept(store: Store) -> None:
    bot = bot_of(store, IMAGINE_PROMPT_RETENTION_DAYS="0")
    await bot.handler.set_limits(GUILD, {"log_channel": "C0LOG"}, "admin")
    shown = await bot.ask("alice", "ix-1", "a secret garden")
    [line] = bot.channels.texts("C0LOG")
    assert "secret garden" not in line
    assert line.endswith(f"https://chat.example/results/{shown.results[0].request_id[:8]}")


async def test_the_result_carries_the_persons_remaining_budget(store: Store) -> None:
    bot = bot_of(store)
    await bot.handler.set_limits(GUILD, {"user_monthly_images": "20"}, "admin")
    shown = await bot.ask("alice", "ix-1", "a kite --n 3")
    assert shown.results[0].remaining == "17 of 20 images left this month"
    other = await bot.ask("bob", "ix-2")
    assert other.results[0].remaining == "19 of 20 images left this month"


async def test_no_footer_without_a_budget_of_ones_own(store: Store) -> None:
    bot = bot_of(store)
    await bot.handler.set_limits(GUILD, {"workspace_monthly_images": "20"}, "admin")
    shown = await bot.ask("alice", "ix-1")
    assert shown.results[0].remaining is None


async def test_the_cli_shows_the_remaining_budget_on_its_stderr_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path, IMAGINE_USER_MONTHLY_IMAGES="5")
    ran = await run_cli(
        "generate", "a kite", "--offline", "--out", str(tmp_path / "out"), env=env, cwd=tmp_path
    )
    assert ran.code == 0, ran.err
    assert ran.err.strip().endswith("; 4 of 5 images left this month")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ftp://hooks.example/x", "must start with http:// or https://"),
        ("hooks.example/x", "must start with http:// or https://"),
    ],
)
def test_a_bad_alert_webhook_is_named(value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, IMAGINE_ALERT_WEBHOOK=value)
    assert caught.value.message.startswith(f"Invalid setting IMAGINE_ALERT_WEBHOOK: {reason}")


async def test_ten_processes_racing_post_exactly_two_alerts(url: str) -> None:
    await _limits(url)
    worker = Path(__file__).with_name("alertworker.py")
    outputs = await raced(worker, [[url, f"user{i}"] for i in range(10)])
    lines = [json.loads(line) for out in outputs for line in out.splitlines()[:-1]]
    posts = [line["text"] for line in lines if "text" in line]
    refused = [line for line in lines if "failed" in line]
    assert len(refused) == 5
    assert sorted(post.split(":")[0] for post in posts) == [
        "Budget alert (100 %)",
        "Budget alert (80 %)",
    ]
    assert all(line["channel"] == ALERTS for line in lines if "text" in line)


async def _limits(url: str) -> None:
    store = await open_store(url)
    try:
        limits = {"workspace_monthly_images": 5, "alert_channel": ALERTS}
        await store.set_limits(GUILD, limits, "admin", NOW)
    finally:
        await store.close()


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient()


async def test_an_alert_channel_set_after_a_threshold_still_gets_its_alert(store: Store) -> None:
    bot = bot_of(store)
    await bot.handler.set_limits(GUILD, {"workspace_monthly_images": "5"}, "admin")
    for i in range(4):
        await bot.ask(f"user{i}", f"ix-{i}")
    assert await store.alerts_sent("discord", "guild1") == []
    await bot.handler.set_limits(GUILD, {"alert_channel": ALERTS}, "admin")
    await bot.ask("user4", "ix-4")
    late_80 = WORKSPACE_100.replace("(100 %)", "(80 %)")  # the figure is today's: 5 of 5
    assert bot.channels.texts(ALERTS) == [late_80, WORKSPACE_100]


def test_a_dollar_alert_names_the_spend_and_the_local_reset() -> None:
    resets_at = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)  # Monday 00:00 in Paris
    use = BudgetUse("channel_weekly_cost_usd", "weekly:...", 0.8, 1.0, resets_at)
    assert alert_text(use, 80, "Europe/Paris") == (
        "Budget alert (80 %): This channel has spent $0.80 of its $1.00 this week "
        "(channel_weekly_cost_usd); it resets on Mon 16 Mar 00:00 CET."
    )
