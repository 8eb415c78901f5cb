"""Settings of the chat platforms: Discord and Slack tokens and endpoints."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from bot.settings.base import CommaList, SettingsGroup, http_url, split_commas


class DiscordSettings(SettingsGroup):
    """The Discord bot: its token, endpoints, test guilds and shards."""

    discord_token: SecretStr | None = Field(
        None,
        validation_alias="DISCORD_TOKEN",
        description="Discord bot token; setting it starts the Discord adapter.",
    )
    discord_api_base: str = Field(
        "https://discord.com/api/v10",
        validation_alias="DISCORD_API_BASE",
        description="Discord REST base URL (a REST proxy, or a local Discord-compatible server).",
    )
    discord_gateway_url: str = Field(
        "wss://gateway.discord.gg/",
        validation_alias="DISCORD_GATEWAY_URL",
        description="Discord gateway websocket URL.",
    )
    discord_guild_ids: CommaList = Field(
        (),
        validation_alias="DISCORD_GUILD_IDS",
        description="Guild ids (comma-separated) to sync commands to instantly, for testing.",
    )
    discord_shard_count: int | None = Field(
        None,
        ge=1,
        validation_alias="DISCORD_SHARD_COUNT",
        description="Total number of shards (large bots); empty: one connection.",
    )
    discord_shard_ids: CommaList = Field(
        (),
        validation_alias="DISCORD_SHARD_IDS",
        description="Shards this process runs, comma-separated (with DISCORD_SHARD_COUNT).",
    )

    @field_validator("discord_guild_ids", "discord_shard_ids", mode="before")
    @classmethod
    def _split_discord_ids(cls, value: object) -> object:
        return split_commas(value)

    @field_validator("discord_shard_ids")
    @classmethod
    def _shards(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
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

    @field_validator("discord_api_base")
    @classmethod
    def _discord_url(cls, value: str) -> str:
        return http_url(value)


class SlackSettings(SettingsGroup):
    """The Slack app: its tokens and Web API endpoint."""

    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias="SLACK_BOT_TOKEN",
        description="Slack bot token (xoxb-...); setting it starts the Slack adapter.",
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias="SLACK_APP_TOKEN",
        description="Slack app-level token (xapp-...) for Socket Mode; without it, HTTP mode.",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias="SLACK_SIGNING_SECRET",
        description="Slack signing secret, needed in HTTP mode.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias="SLACK_API_URL",
        description="Slack Web API base URL (GovSlack: https://slack-gov.com/api/).",
    )

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url(cls, value: str) -> str:
        return http_url(value)
