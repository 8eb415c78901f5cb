"""Logging: readable text or JSON lines, with every secret redacted on the way out."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from bot.config import Settings

SECRET_PATTERNS = re.compile(
    r"(?i)(bearer\s+)[^\s'\"]+"
    r"|\b(xox[abposr]-|xapp-|sk-)[A-Za-z0-9-_]+"
    r"|\b[MN][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"
)
REDACTED = "[redacted]"


class Redactor(logging.Filter):
    """Replaces known secrets and token-shaped strings in every record's final text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with secrets replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return SECRET_PATTERNS.sub(_keep_prefix, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message now, redacted, so no formatter sees the raw arguments."""
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _keep_prefix(match: re.Match[str]) -> str:
    prefix = match.group(1) or match.group(2) or ""
    return f"{prefix}{REDACTED}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON with time, level, logger and message."""
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings."""
    values = [
        settings.gateway_key,
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.alert_webhook,
    ]
    found = [v.get_secret_value() for v in values if v is not None]
    password = urlsplit(settings.database_url).password
    return found + ([password, unquote(password)] if password else [])


def setup_logging(
    settings: Settings, stream: object = None, level: str | None = None
) -> logging.Handler:
    """Send all logs to stderr (or `stream`) in the configured format, redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.addFilter(Redactor(secrets_of(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or settings.log_level)
    if (level or settings.log_level) != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
