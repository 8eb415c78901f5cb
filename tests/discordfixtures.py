"""Fixtures shared by the Discord tests: the fake Discord, the fake gateway, a running bot;
and `refused`, the words of a private answer given at once.

A test module takes them with `from tests.discordfixtures import bot as bot, ...`: the
`as` marks the names as re-exported, so ruff does not call them unused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.discord import FakeDiscord, Json
from tests.fakes.discord_bot import DiscordBot, running_bot
from tests.fakes.gateway import FakeGateway


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The fake Discord REST API and gateway, listening on 127.0.0.1."""
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway) -> AsyncIterator[DiscordBot]:
    """The adapter connected to `fake`, its handler calling `gateway`, on a fresh SQLite file."""
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as bot:
        yield bot


async def refused(bot: DiscordBot, ix: Json) -> str:
    """The words of the private message an interaction was answered with at once (a refusal
    or a dropped press: never deferred, never public)."""
    answer = (await bot.callback(ix)).body
    data = answer.get("data") or {}
    assert (answer["type"], data.get("flags")) == (4, 64), f"not a private answer: {answer}"
    return str(data["content"])
