"""Fixtures every test module may use."""

from collections.abc import AsyncIterator

import pytest

from tests.fakes.gateway import FakeGateway

pytest_plugins = ["tests.slackfixtures", "tests.storefixtures"]


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    """A fake image gateway on 127.0.0.1."""
    async with FakeGateway() as fake:
        yield fake
