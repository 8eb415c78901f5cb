"""Fixtures of the Slack tests (a pytest plugin, listed in tests/conftest.py).

`slack` is a running fake Slack Web API, `gateway` a running fake image gateway, `slack_bot`
the adapter in HTTP mode on both. A test module may override `slack` to prepare it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack Web API on 127.0.0.1."""
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def slack_bot(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> AsyncIterator[SlackBot]:
    """The Slack adapter in HTTP mode against both fakes, with a SQLite file in tmp_path."""
    async with running_bot(tmp_path / "imagine.db", slack, gateway) as running:
        yield running
