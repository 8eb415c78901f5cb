"""Bursts of requests against the stand-ins, shared by the load tests and `python -m bench`.

    payloads = await discord_burst(fake, 500)     # 500 /imagine from 500 people, at once
    acks = discord_acks_ms(fake, payloads)         # dispatch -> first answer, per request

    commands = slack_commands(slack, 500)          # signed /imagine from 500 people
    acks = await slack_burst(slack, url, commands)  # POSTed at once to the bot's events URL

The bot may run in this process (the tests' fixtures) or as `imagine-bot run` (the bench);
either way these wait until every request has its result (the Discord edit with buttons,
the Slack upload).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from tests.fakes.discord import APP_ID, FakeDiscord, Json, member
from tests.fakes.discord_bot import opt
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import signed_headers

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


@dataclass(frozen=True)
class SignedCommand:
    """One /imagine as Slack POSTs it: the form, its encoded body and signed headers."""

    form: dict[str, str]
    body: str
    headers: dict[str, str]


def slack_commands(slack: FakeSlack, n: int, *, start: int = 0) -> list[SignedCommand]:
    """`n` signed slash commands from `n` people in one channel, built before the clock runs."""
    commands = []
    for i in range(start, start + n):
        form = {
            "token": "legacy", "team_id": TEAM, "team_domain": "fake", "channel_id": "C1",
            "channel_name": "general", "user_id": f"U{i:05d}", "user_name": f"u{i}",
            "command": "/imagine", "text": f"a red balloon {i}", "api_app_id": "A0FAKE",
            "response_url": slack.response_url(), "trigger_id": f"load-{i}",
        }  # fmt: skip
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
        commands.append(SignedCommand(form, body, headers))
    return commands


async def slack_burst(
    slack: FakeSlack, url: str, commands: list[SignedCommand], *, timeout: float = 120
) -> list[float]:
    """POST every command at once, a connection each; each must get its 200 within Slack's
    3 s. Wait for every upload; the milliseconds each command took to be acknowledged."""
    uploads = len(slack.calls("files.completeUploadExternal"))
    connector = aiohttp.TCPConnector(limit=0)
    limit = aiohttp.ClientTimeout(total=SLACK_ACK_DEADLINE)
    async with aiohttp.ClientSession(connector=connector, timeout=limit) as session:

        async def one(command: SignedCommand) -> float:
            started = time.perf_counter()
            async with session.post(url, data=command.body, headers=command.headers) as answer:
                text = await answer.text()
            assert answer.status == 200, text
            return (time.perf_counter() - started) * 1000

        acks = await asyncio.gather(*(one(c) for c in commands))
    done = uploads + len(commands)
    await until(lambda: len(slack.calls("files.completeUploadExternal")) >= done, timeout)
    return list(acks)
