"""Settings of the web face: the dashboard and the Vary Region editor (docs/web.md)."""

from __future__ import annotations

from pydantic import SecretStr

from bot.settings.base import ServiceUrl, SettingsGroup, setting


class WebSettings(SettingsGroup):
    """Where browsers reach the bot, and how its links are signed."""

    public_url: ServiceUrl | None = setting("IMAGINE_PUBLIC_URL", None)
    """Address people's browsers reach the HTTP server at, e.g. https://bot.example.com; unset: no dashboard or editor."""
    secret_key: SecretStr | None = setting("IMAGINE_SECRET_KEY", None)
    """Signs the web face's links and sessions; unset: one is made once and kept in the database."""
    link_ttl_minutes: int = setting("IMAGINE_LINK_TTL_MINUTES", 15, ge=1)
    """Minutes a dashboard or editor link stays valid (at least 1)."""
