"""Settings of storage: the database, and how long prompts and kept images stay."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from bot.settings.base import SettingsGroup, setting


def parsable_url(value: str) -> str:
    """A URL whose host and port can be read."""
    _ = urlsplit(value).port  # raises ValueError on a bad host or port
    return value


DatabaseUrl = Annotated[str, AfterValidator(parsable_url)]


class StorageSettings(SettingsGroup):
    """The ledger's database and its retention."""

    database_url: DatabaseUrl = setting("IMAGINE_DATABASE_URL", "sqlite:///imagine.db")
    """sqlite:///path/to/file.db (default: imagine.db here) or postgresql://user@host/db."""
    prompt_retention_days: int = setting("IMAGINE_PROMPT_RETENTION_DAYS", 30, ge=0)
    """Days prompts are kept for Re-roll before they are deleted (0 keeps none)."""
    result_retention_hours: float = setting("IMAGINE_RESULT_RETENTION_HOURS", 48.0, gt=0)
    """Hours made images that could not be delivered are kept for Deliver again."""
    delivery_retry_seconds: float = setting("IMAGINE_DELIVERY_RETRY_SECONDS", 60.0, ge=0)
    """Seconds a failing upload is retried, with backoff, before Deliver again is offered."""
