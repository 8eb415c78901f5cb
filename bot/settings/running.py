"""Settings of the running process: logs, the HTTP server, shutdown."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.settings.base import SettingsGroup


class RunningSettings(SettingsGroup):
    """Logging, health and metrics, and the shutdown grace."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="IMAGINE_LOG_LEVEL", description="DEBUG, INFO, WARNING or ERROR."
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        validation_alias="IMAGINE_LOG_FORMAT",
        description="text (readable) or json (one object per line).",
    )
    http_host: str = Field(
        "0.0.0.0",
        validation_alias="IMAGINE_HTTP_HOST",
        description="Address of the HTTP server (health, metrics, Slack HTTP mode).",
    )
    http_port: int = Field(
        8080,
        ge=0,
        le=65535,
        validation_alias="IMAGINE_HTTP_PORT",
        description="Port of the HTTP server (0: do not serve).",
    )
    metrics_token: SecretStr | None = Field(
        None,
        validation_alias="IMAGINE_METRICS_TOKEN",
        description="When set, /metrics requires it as a bearer token (Authorization: Bearer ...); others get 401.",
    )
    shutdown_grace: float = Field(
        60.0,
        ge=0,
        validation_alias="IMAGINE_SHUTDOWN_GRACE",
        description="Seconds running requests may take to finish on shutdown; the rest are not charged.",
    )
    alert_webhook: SecretStr | None = Field(
        None,
        validation_alias="IMAGINE_ALERT_WEBHOOK",
        description="An http(s) URL that also receives every budget alert as a JSON POST (the installation's own budgets too).",
    )

    @field_validator("alert_webhook", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value
