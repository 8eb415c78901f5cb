"""Settings of the chat platforms: Discord and Slack tokens and endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, SecretStr, ValidationInfo

from bot.settings.base import CommaList, ServiceUrl, SettingsGroup, setting


def shards(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    """Shard ids that DISCORD_SHARD_COUNT allows (read before them)."""
    count = info.data.get("discord_shard_count")
    if not value:
        return value
    if count is None:
        raise ValueError("set DISCORD_SHARD_COUNT too (the total number of shards)")
    if not all(shard.isdigit() for shard in value):
        raise ValueError("use numbers such as 0,1")
    if max(int(shard) for shard in value) >= count:
        raise ValueError(f"every id must be below DISCORD_SHARD_COUNT ({count})")
    return value


ShardIds = Annotated[CommaList, AfterValidator(shards)]


class DiscordSettings(SettingsGroup):
    """The Discord bot: its token, endpoints, test guilds and shards."""

    discord_token: SecretStr | None = setting("DISCORD_TOKEN", None)
    """Discord bot token; setting it starts the Discord adapter."""
    discord_api_base: ServiceUrl = setting("DISCORD_API_BASE", "https://discord.com/api/v10")
    """Discord REST base URL (a REST proxy, or a local Discord-compatible server)."""
    discord_gateway_url: str = setting("DISCORD_GATEWAY_URL", "wss://gateway.discord.gg/")
    """Discord gateway websocket URL."""
    discord_guild_ids: CommaList = setting("DISCORD_GUILD_IDS", ())
    """Guild ids (comma-separated) to sync commands to instantly, for testing."""
    discord_shard_count: int | None = setting("DISCORD_SHARD_COUNT", None, ge=1)
    """Total number of shards (large bots); empty: one connection."""
    discord_shard_ids: ShardIds = setting("DISCORD_SHARD_IDS", ())
    """Shards this process runs, comma-separated (with DISCORD_SHARD_COUNT)."""


class SlackSettings(SettingsGroup):
    """The Slack app: its tokens and Web API endpoint."""

    slack_bot_token: SecretStr | None = setting("SLACK_BOT_TOKEN", None)
    """Slack bot token (xoxb-...); setting it starts the Slack adapter."""
    slack_app_token: SecretStr | None = setting("SLACK_APP_TOKEN", None)
    """Slack app-level token (xapp-...) for Socket Mode; without it, HTTP mode."""
    slack_signing_secret: SecretStr | None = setting("SLACK_SIGNING_SECRET", None)
    """Slack signing secret, needed in HTTP mode."""
    slack_api_url: ServiceUrl = setting("SLACK_API_URL", "https://slack.com/api/")
    """Slack Web API base URL (GovSlack: https://slack-gov.com/api/)."""
