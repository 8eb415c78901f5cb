"""Log lines never carry a secret from the settings, whatever logged it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.config import load_settings
from bot.entry.logs import setup_logging

SECRETS = {
    "IMAGINE_GATEWAY_KEY": "sk-proj-Zq3x9v7LmN2pQ8rT5wY1",
    "DISCORD_TOKEN": "MTA4OTk1NjQ3OTg1MzY2.GhXyZa.bC7dE9fG1hJ3kL5mN7pQ9rS1tU3vW5xY7zA9b",
    "SLACK_BOT_TOKEN": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
}


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_settings_secrets_and_the_database_password_are_redacted() -> None:
    url = "postgresql://imagine:s3cr%40t-pass@db.internal:5432/imagine"
    settings = load_settings(None, IMAGINE_DATABASE_URL=url, IMAGINE_LOG_LEVEL="DEBUG", **SECRETS)
    out = io.StringIO()
    setup_logging(settings, stream=out)
    log = logging.getLogger("anything")
    for secret in SECRETS.values():
        log.debug("sending %s", secret)
    log.info("connecting to %s", url)
    log.info("password is s3cr@t-pass")
    try:
        raise RuntimeError(f"auth failed: Bearer {SECRETS['IMAGINE_GATEWAY_KEY']}")
    except RuntimeError:
        log.exception("gateway call failed")

    text = out.getvalue()
    for secret in (*SECRETS.values(), "s3cr%40t-pass", "s3cr@t-pass"):
        assert secret not in text
    assert text.count("[redacted]") >= len(SECRETS) + 3
    assert "gateway call failed" in text and "RuntimeError" in text
