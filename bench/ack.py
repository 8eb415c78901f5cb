"""ack_p99_ms_discord, ack_p99_ms_slack: how fast 500 requests at once are acknowledged.

The bot runs as `imagine-bot run`, its own process, as in production; this process plays
the platforms and the image service with the test stand-ins (tests/fakes: the fake
Discord's REST and gateway websocket, the fake Slack Web API, the fake gateway answering
at once with a small PNG). Discord: 500 INTERACTION_CREATE from 500 people sent back to
back; a figure is the time from sending one to the arrival of its defer. Slack: 500 signed
slash commands from 500 people (signed before the clock runs) POSTed at once, one
connection each; a figure is the time to the HTTP 200.
One request goes first and is finished before each burst: the figures are for a bot that
is already running, not one still making its first connections. This process's collector
is quieted before each burst (`quiet_collector`), so its pauses are not the bot's figures.
Every request must end delivered and in the ledger once, or the group fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.common import emit, note, percentile, quiet_collector
from bot.store import open_store
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_bot import TOKEN
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.load import SETTINGS, discord_acks_ms, discord_burst, slack_burst, slack_commands
from tests.runbot import base_env, bot_process, free_port, slack_env, wait_ready

BURST = 500
FAR = datetime(2100, 1, 1, tzinfo=UTC)
ENV = {name: str(value).lower() for name, value in SETTINGS.items()}


@asynccontextmanager
async def running(tmp: Path, env: dict[str, str], port: int) -> AsyncIterator[None]:
    """`imagine-bot run` with `env`, until its /readyz answers 200; stopped afterwards."""
    async with bot_process(tmp, env) as process, httpx.AsyncClient(timeout=2) as http:
        await wait_ready(http, f"http://127.0.0.1:{port}/readyz", process)
        yield


@asynccontextmanager
async def discord_bot(tmp: Path, settings: dict[str, str]) -> AsyncIterator[FakeDiscord]:
    """`imagine-bot run` with `settings` on the fake Discord and the fake gateway; yields the
    fake Discord."""
    port = free_port()
    async with FakeDiscord() as fake, FakeGateway() as gateway:
        env = base_env(
            tmp, DISCORD_TOKEN=TOKEN, DISCORD_API_BASE=fake.api_base,
            DISCORD_GATEWAY_URL=fake.gateway_url, IMAGINE_GATEWAY_URL=gateway.url,
            IMAGINE_GATEWAY_KEY="gateway-key", IMAGINE_HTTP_HOST="127.0.0.1",
            IMAGINE_HTTP_PORT=str(port),
        )  # fmt: skip
        async with running(tmp, env | settings, port):
            yield fake


@asynccontextmanager
async def slack_bot(tmp: Path, settings: dict[str, str]) -> AsyncIterator[tuple[FakeSlack, str]]:
    """`imagine-bot run` with `settings` on the fake Slack (HTTP mode) and the fake gateway;
    yields the fake Slack and the bot's events URL."""
    port = free_port()
    async with FakeSlack() as slack, FakeGateway() as gateway:
        env = slack_env(tmp, slack, gateway, port) | settings
        async with running(tmp, env, port):
            yield slack, f"http://127.0.0.1:{port}/slack/events"


async def check_ledger(tmp: Path, platform: str, requests: int) -> None:
    """Every one of `requests` requests is in the bot's ledger once, succeeded."""
    store = await open_store(f"sqlite:///{tmp / 'imagine.db'}")
    try:
        rows = [e async for e in store.export(datetime(2000, 1, 1, tzinfo=UTC), FAR)]
    finally:
        await store.close()
    keys = {e.idempotency_key for e in rows if e.status == "succeeded"}
    if len(rows) != requests or len(keys) != requests:
        raise SystemExit(f"{platform}: {len(rows)} ledger rows, {len(keys)} succeeded")


async def discord_round(tmp: Path) -> list[float]:
    """One burst on Discord; the ack times in ms."""
    async with discord_bot(tmp, ENV) as fake:
        await discord_burst(fake, 1)
        quiet_collector()
        payloads = await discord_burst(fake, BURST)
    await check_ledger(tmp, "discord", BURST + 1)
    return discord_acks_ms(fake, payloads)


async def slack_round(tmp: Path) -> list[float]:
    """One burst on Slack; the ack times in ms."""
    async with slack_bot(tmp, ENV) as (slack, url):
        await slack_burst(slack, url, slack_commands(slack, 1, start=BURST))
        commands = slack_commands(slack, BURST)
        quiet_collector()
        acks = await slack_burst(slack, url, commands)
    await check_ledger(tmp, "slack", BURST + 1)
    return acks


async def measure(_url: str, tmp: Path, quick: bool) -> None:
    """Print ack_p99_ms_discord and ack_p99_ms_slack (over one round each, or three)."""
    rounds = 1 if quick else 3
    for name, one in (("discord", discord_round), ("slack", slack_round)):
        acks: list[float] = []
        for i in range(rounds):
            folder = tmp / f"{name}-{i}"
            folder.mkdir()
            acks += await one(folder)
        note(
            f"{name}: {rounds} x {BURST} at once, all delivered and in the ledger once; "
            f"p50 {percentile(acks, 50):.1f} ms, worst {max(acks):.1f} ms"
        )
        emit(f"ack_p99_ms_{name}", percentile(acks, 99))
