"""Under load: 500 requests at once on each platform, every one acknowledged, delivered and
charged exactly once.

Discord: the real discord.py client receives 500 INTERACTION_CREATE from the fake gateway
websocket; the fake refuses a defer that comes after Discord's 3 s (404 Unknown interaction),
so every callback answered 200 means every one was acknowledged in time. Slack: 500 signed
slash commands over HTTP to the bolt app, each POST cut off after Slack's 3 s. Correctness
only; `python -m bench` reports how fast (bench/ack.py).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.discordfixtures import fake as fake
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_bot import running_bot
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_app import running_bot as running_slack_bot
from tests.load import SETTINGS, discord_burst, discord_results, slack_burst, slack_commands

N = 500


async def test_500_interactions_at_once_are_each_deferred_delivered_and_charged_once(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway, **SETTINGS) as bot:
        payloads = await discord_burst(fake, N)
        entries = await bot.entries()
    callbacks = [c for c in fake.calls if re.fullmatch(r"/interactions/\d+/[^/]+/callback", c.path)]
    assert Counter((c.status, c.body["type"]) for c in callbacks) == {(200, 5): N}
    assert {c.path.split("/")[2] for c in callbacks} == {p["id"] for p in payloads}
    assert discord_results(fake) == {p["token"] for p in payloads}
    assert len(gateway.image_requests) == N
    assert Counter(e.status for e in entries) == {"succeeded": N}
    assert {e.idempotency_key for e in entries} == {f"discord:ix:{p['id']}" for p in payloads}
    assert {e.user_id for e in entries} == {p["member"]["user"]["id"] for p in payloads}
    assert sum(e.images_delivered for e in entries) == N


async def test_500_slash_commands_at_once_are_each_acked_delivered_and_charged_once(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    async with running_slack_bot(tmp_path / "imagine.db", slack, gateway, **SETTINGS) as bot:
        commands = slack_commands(slack, N)
        acks = await slack_burst(slack, bot.url, commands)
        entries = await bot.entries()
    forms = [c.form for c in commands]
    assert len(acks) == N  # every POST answered 200 within Slack's 3 s
    assert len(slack.calls("files.completeUploadExternal")) == N
    assert len(gateway.image_requests) == N
    assert Counter(e.status for e in entries) == {"succeeded": N}
    keys = {f"slack:command:{form['trigger_id']}" for form in forms}
    assert {e.idempotency_key for e in entries} == keys
    assert {e.user_id for e in entries} == {form["user_id"] for form in forms}
    assert sum(e.images_delivered for e in entries) == N
