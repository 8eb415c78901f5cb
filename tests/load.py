"""Bursts of requests against the stand-ins, shared by the load tests and `python -m bench`.

    payloads = await discord_burst(fake, 500)     # 500 /imagine from 500 people, at once
    acks = discord_acks_ms(fake, payloads)         # dispatch -> first answer, per request

    acks = await slack_burst(slack, send, 500)     # send(i): one signed slash command

The bot may run in this process (the tests' fixtures) or as `imagine-bot run` (the bench);
either way these wait until every request has its result (the Discord edit with buttons,
the Slack upload).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

import httpx

from bot.transport import AiohttpTransport
from tests.fakes.discord import APP_ID, FakeDiscord, Json, member
from tests.fakes.discord_bot import opt
from tests.fakes.slack import FakeSlack

FIRST_USER = 710000000000000000
SLACK_ACK_DEADLINE = 3.0  # seconds Slack waits for the HTTP 200 of a slash command
# no previews (each would be one more upload); enough gateway calls at once for a burst
SETTINGS = {"IMAGINE_STREAM_PREVIEWS": False, "IMAGINE_MAX_CONCURRENT": 64}
RESULT = re.compile(rf"/webhooks/{APP_ID}/([^/]+)/messages/@original")
CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback")


async def until(done: Callable[[], bool], timeout: float) -> None:
    """Poll until `done()`; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("the burst did not finish in time")
        await asyncio.sleep(0.05)


def discord_results(fake: FakeDiscord) -> set[str]:
    """Interaction tokens whose response was edited into a result (with buttons)."""
    return {
        hit[1]
        for c in fake.calls
        if c.method == "PATCH"
        and c.status == 200
        and isinstance(c.body, dict)
        and c.body.get("components")
        and (hit := RESULT.fullmatch(c.path))
    }


async def discord_burst(fake: FakeDiscord, n: int, *, timeout: float = 120) -> list[Json]:
    """Dispatch `n` /imagine interactions from `n` people back to back; wait for every result."""
    payloads = [
        fake.slash("imagine", [opt("prompt", f"balloon {i}")], who=member(FIRST_USER + i, f"u{i}"))
        for i in range(n)
    ]
    for payload in payloads:
        await fake.dispatch("INTERACTION_CREATE", payload)
    tokens = {p["token"] for p in payloads}
    await until(lambda: tokens <= discord_results(fake), timeout)
    return payloads


def discord_acks_ms(fake: FakeDiscord, payloads: list[Json]) -> list[float]:
    """Per interaction, milliseconds from its dispatch to the arrival of its first answer."""
    first: dict[str, float] = {}
    for call in fake.calls:
        if hit := CALLBACK.fullmatch(call.path):
            first.setdefault(hit[1], call.at)
    return [(first[p["id"]] - fake.dispatched_at[p["id"]]) * 1000 for p in payloads]


def slack_sender() -> httpx.AsyncClient:
    """A client for a burst: a connection per command, cut off after Slack's 3 s."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    return httpx.AsyncClient(timeout=SLACK_ACK_DEADLINE, transport=AiohttpTransport(limits))


async def slack_burst(
    slack: FakeSlack, send: Callable[[int], Awaitable[object]], n: int, *, timeout: float = 120
) -> list[float]:
    """Send commands 0..n-1 at once (`send(i)` raises unless Slack would see its 200 ack);
    wait for every upload. The milliseconds each command took to be acknowledged."""

    async def one(i: int) -> float:
        started = time.perf_counter()
        await send(i)
        return (time.perf_counter() - started) * 1000

    acks = await asyncio.gather(*(one(i) for i in range(n)))
    await until(lambda: len(slack.calls("files.completeUploadExternal")) >= n, timeout)
    return list(acks)
