"""Settings of the web face: the dashboard and the Vary Region editor (docs/web.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from bot.settings.base import SettingsGroup, http_url


class WebSettings(SettingsGroup):
    """Where browsers reach the bot, and how its links are signed."""

    public_url: str | None = Field(
        None,
        validation_alias="IMAGINE_PUBLIC_URL",
        description="Address people's browsers reach the HTTP server at, e.g. https://bot.example.com; unset: no dashboard or editor.",
    )
    secret_key: SecretStr | None = Field(
        None,
        validation_alias="IMAGINE_SECRET_KEY",
        description="Signs the web face's links and sessions; unset: one is made once and kept in the database.",
    )
    link_ttl_minutes: int = Field(
        15,
        ge=1,
        validation_alias="IMAGINE_LINK_TTL_MINUTES",
        description="Minutes a dashboard or editor link stays valid (at least 1).",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)
