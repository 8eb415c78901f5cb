"""calls_per_request_discord, calls_per_request_slack: platform calls one request costs.

The bot runs as `imagine-bot run` against the stand-ins, as in the ack group (bench/ack.py),
but with its production defaults (previews on, 8 gateway calls at once, the rest queued);
200 people send /imagine at once on each platform. Everything is counted at the fakes, from
after a warm-up request until they have been quiet for a while: every REST call the fake
Discord answered (the interaction callback, webhook edits and follow-ups, uploads among
them), and every Web API call the fake Slack answered plus the POSTs to its upload URLs
(files_upload_v2's middle step) and to response_urls. Calls that met a 429 count too. The total
over the burst, divided by 200, is the figure; the notes break it down by call. A full run
also measures with previews off (`..._no_previews`), as the ack group runs the bot.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.ack import check_ledger, discord_bot, slack_bot
from bench.common import emit, note
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.load import discord_burst, slack_burst, slack_commands

BURST = 200
QUIET_S = 2.0  # longer than Slack's progress interval: a late edit still counts
GOALS = {"discord": 3, "slack": 5}
NO_PREVIEWS = {"IMAGINE_STREAM_PREVIEWS": "false"}


async def settled(count: Callable[[], int]) -> None:
    """Wait until `count()` has not changed for QUIET_S seconds."""
    last, since = count(), time.monotonic()
    while time.monotonic() - since < QUIET_S:
        await asyncio.sleep(0.1)
        if (now := count()) != last:
            last, since = now, time.monotonic()


def discord_counts(fake: FakeDiscord) -> Counter[str]:
    """Every REST call so far by method and route (ids and tokens elided)."""
    counts: Counter[str] = Counter()
    for call in fake.calls:
        path = re.sub(r"/(interactions|webhooks)/\d+/[^/]+", r"/\1/{id}/{token}", call.path)
        name = f"{call.method} " + re.sub(r"/\d+", "/{id}", path)
        if path.endswith("/callback"):
            name += f" type {call.body['type']}"
        counts[name + (" with files" if call.files else "")] += 1
    return counts


def slack_counts(slack: FakeSlack) -> Counter[str]:
    """Every call so far: Web API methods by name, upload POSTs, response_url POSTs."""
    counts = Counter(call.method for call in slack.log)
    counts["POST upload URL"] = sum(1 for u in slack.uploads.values() if u.data)
    counts["POST upload URL"] += slack.refused_uploads
    counts["POST response_url"] = len(slack.responses)
    return counts


async def discord_calls(tmp: Path, settings: dict[str, str]) -> Counter[str]:
    """The calls of a burst on Discord, by route."""
    async with discord_bot(tmp, settings) as fake:
        await discord_burst(fake, 1)
        await settled(lambda: len(fake.calls))
        before = discord_counts(fake)
        await discord_burst(fake, BURST)
        await settled(lambda: len(fake.calls))
    await check_ledger(tmp, "discord", BURST + 1)
    return discord_counts(fake) - before


async def slack_calls(tmp: Path, settings: dict[str, str]) -> Counter[str]:
    """The calls of a burst on Slack, by method."""
    async with slack_bot(tmp, settings) as (slack, url):
        await slack_burst(slack, url, slack_commands(slack, 1, start=BURST))
        await settled(lambda: slack_counts(slack).total())
        before = slack_counts(slack)
        await slack_burst(slack, url, slack_commands(slack, BURST))
        await settled(lambda: slack_counts(slack).total())
    await check_ledger(tmp, "slack", BURST + 1)
    return slack_counts(slack) - before


async def measure(_url: str, tmp: Path, quick: bool) -> None:
    """Print calls_per_request_discord and calls_per_request_slack (and, in a full run, the
    same with previews off)."""
    passes = [("", {})] if quick else [("", {}), ("_no_previews", NO_PREVIEWS)]
    for suffix, settings in passes:
        for name, burst in (("discord", discord_calls), ("slack", slack_calls)):
            folder = tmp / f"{name}{suffix}"
            folder.mkdir()
            counts = await burst(folder, settings)
            note(f"{name}{suffix}: {BURST} at once, goal <= {GOALS[name]}; calls per request:")
            for call, n in counts.most_common():
                note(f"  {n / BURST:5.2f}  {call}")
            emit(f"calls_per_request_{name}{suffix}", counts.total() / BURST)
