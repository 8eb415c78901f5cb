"""Settings of storage: the database, and how long prompts and kept images stay."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from bot.settings.base import SettingsGroup


class StorageSettings(SettingsGroup):
    """The ledger's database and its retention."""

    database_url: str = Field(
        "sqlite:///imagine.db",
        validation_alias="IMAGINE_DATABASE_URL",
        description="sqlite:///path/to/file.db (default: imagine.db here) or postgresql://user@host/db.",
    )
    prompt_retention_days: int = Field(
        30,
        ge=0,
        validation_alias="IMAGINE_PROMPT_RETENTION_DAYS",
        description="Days prompts are kept for Re-roll before they are deleted (0 keeps none).",
    )
    result_retention_hours: float = Field(
        48.0,
        gt=0,
        validation_alias="IMAGINE_RESULT_RETENTION_HOURS",
        description="Hours made images that could not be delivered are kept for Deliver again.",
    )
    delivery_retry_seconds: float = Field(
        60.0,
        ge=0,
        validation_alias="IMAGINE_DELIVERY_RETRY_SECONDS",
        description="Seconds a failing upload is retried, with backoff, before Deliver again is offered.",
    )

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        _ = urlsplit(value).port  # raises ValueError on a bad host or port
        return value
