"""Settings of the running process: logs, the HTTP server, shutdown."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, SecretStr

from bot.settings.base import SettingsGroup, setting


def webhook(value: object) -> object:
    """An http(s) URL; empty text is unset."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, str) and not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


Webhook = Annotated[SecretStr | None, BeforeValidator(webhook)]


class RunningSettings(SettingsGroup):
    """Logging, health and metrics, and the shutdown grace."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting("IMAGINE_LOG_LEVEL", "INFO")
    """DEBUG, INFO, WARNING or ERROR."""
    log_format: Literal["text", "json"] = setting("IMAGINE_LOG_FORMAT", "text")
    """text (readable) or json (one object per line)."""
    http_host: str = setting("IMAGINE_HTTP_HOST", "0.0.0.0")
    """Address of the HTTP server (health, metrics, Slack HTTP mode)."""
    http_port: int = setting("IMAGINE_HTTP_PORT", 8080, ge=0, le=65535)
    """Port of the HTTP server (0: do not serve)."""
    metrics_token: SecretStr | None = setting("IMAGINE_METRICS_TOKEN", None)
    """When set, /metrics requires it as a bearer token (Authorization: Bearer ...); others get 401."""
    shutdown_grace: float = setting("IMAGINE_SHUTDOWN_GRACE", 60.0, ge=0)
    """Seconds running requests may take to finish on shutdown; the rest are not charged."""
    alert_webhook: Webhook = setting("IMAGINE_ALERT_WEBHOOK", None)
    """An http(s) URL that also receives every budget alert as a JSON POST (the installation's own budgets too)."""
