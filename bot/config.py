"""Settings from the environment and `.env`, validated once at start-up.

`Settings` joins one group per concern (bot/settings/): the gateway, requests, the default
limits, storage, the running process, Discord and Slack.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, ValidationError

from bot.errors import ConfigError
from bot.settings.gateway import DEFAULT_STRONG_PROMPT as DEFAULT_STRONG_PROMPT
from bot.settings.gateway import DEFAULT_SUBTLE_PROMPT as DEFAULT_SUBTLE_PROMPT
from bot.settings.gateway import DEFAULT_VARY_PROMPT as DEFAULT_VARY_PROMPT
from bot.settings.gateway import GatewaySettings
from bot.settings.limits import LimitDefaults
from bot.settings.platforms import DiscordSettings, SlackSettings
from bot.settings.requests import RequestSettings
from bot.settings.running import RunningSettings
from bot.settings.storage import StorageSettings
from bot.settings.web import WebSettings


# pydantic lists the fields of the last base first: this reads as gateway ... Slack
class Settings(
    WebSettings,
    SlackSettings,
    DiscordSettings,
    RunningSettings,
    StorageSettings,
    LimitDefaults,
    RequestSettings,
    GatewaySettings,
):
    """Every setting of the bot; the environment variable is named in each field's alias."""


def env_name(field_name: str) -> str:
    """The environment variable that sets a field."""
    return env_names(field_name)[0]


def env_names(field_name: str) -> tuple[str, ...]:
    """Every environment variable that sets a field, the documented one first."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(choice for choice in alias.choices if isinstance(choice, str))
    return (alias if isinstance(alias, str) else field_name,)


def load_settings(env_file: str | None = ".env", **overrides: Any) -> Settings:
    """Read and validate settings; a problem becomes one readable ConfigError line."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Cannot read {env_file}: not UTF-8 text at byte {exc.start}.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {env_file}: {exc.strerror or exc}.") from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    field = loc[0] if loc else ""
    name = env_name(field) if field in Settings.model_fields else field
    where = f" at {'.'.join(loc[1:])}" if len(loc) > 1 else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"Invalid setting {name}{where}: {message}"
