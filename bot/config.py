"""Settings from the environment and `.env`, validated once at start-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.models import QUALITIES, SIZES, Limits

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "low": {"1024x1024": 0.011, "1024x1536": 0.016, "1536x1024": 0.016},
    "medium": {"1024x1024": 0.042, "1024x1536": 0.063, "1536x1024": 0.063},
    "high": {"1024x1024": 0.167, "1024x1536": 0.25, "1536x1024": 0.25},
}
DEFAULT_VARY_PROMPT = (
    "Create a variation of this image: keep its subject, composition and style, "
    "and change the details."
)

CommaList = Annotated[tuple[str, ...], NoDecode]


def _env(name: str, *fallbacks: str) -> Any:
    return Field(validation_alias=AliasChoices(name, *fallbacks))


class Settings(BaseSettings):
    """Every setting of the bot; the environment variable is named in each field's alias."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=False
    )

    # Image gateway
    gateway_url: str = Field(
        "https://ai-gateway.vercel.sh/v1", validation_alias="IMAGINE_GATEWAY_URL"
    )
    gateway_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("IMAGINE_GATEWAY_KEY", "AI_GATEWAY_API_KEY")
    )
    gateway_protocol: Literal["openai", "opper"] = Field(
        "openai", validation_alias="IMAGINE_GATEWAY_PROTOCOL"
    )
    model: str = Field("openai/gpt-image-1", validation_alias="IMAGINE_MODEL", min_length=1)
    gateway_timeout: float = Field(600.0, gt=0, validation_alias="IMAGINE_GATEWAY_TIMEOUT")
    gateway_connect_timeout: float = Field(
        10.0, gt=0, validation_alias="IMAGINE_GATEWAY_CONNECT_TIMEOUT"
    )
    gateway_max_retries: int = Field(2, ge=0, le=10, validation_alias="IMAGINE_GATEWAY_MAX_RETRIES")
    stream_previews: bool = Field(True, validation_alias="IMAGINE_STREAM_PREVIEWS")
    vary_prompt: str = Field(DEFAULT_VARY_PROMPT, validation_alias="IMAGINE_VARY_PROMPT")
    offline: bool = Field(False, validation_alias="IMAGINE_OFFLINE")

    # Requests
    max_concurrent: int = Field(8, ge=1, le=1000, validation_alias="IMAGINE_MAX_CONCURRENT")
    per_user_concurrent: int = Field(1, ge=0, validation_alias="IMAGINE_PER_USER_CONCURRENT")
    default_size: Literal["1024x1024", "1536x1024", "1024x1536", "auto"] = Field(
        "1024x1024", validation_alias="IMAGINE_DEFAULT_SIZE"
    )
    default_quality: Literal["low", "medium", "high", "auto"] = Field(
        "medium", validation_alias="IMAGINE_DEFAULT_QUALITY"
    )
    max_source_bytes: int = Field(
        25 * 1024 * 1024, gt=0, validation_alias="IMAGINE_MAX_SOURCE_BYTES"
    )

    # Money
    prices: dict[str, dict[str, float]] = Field(DEFAULT_PRICES, validation_alias="IMAGINE_PRICES")
    price_text_input_per_m: float = Field(
        5.0, ge=0, validation_alias="IMAGINE_PRICE_TEXT_INPUT_PER_M"
    )
    price_image_input_per_m: float = Field(
        10.0, ge=0, validation_alias="IMAGINE_PRICE_IMAGE_INPUT_PER_M"
    )
    price_image_output_per_m: float = Field(
        40.0, ge=0, validation_alias="IMAGINE_PRICE_IMAGE_OUTPUT_PER_M"
    )

    # Default limits (channel settings override workspace settings override these)
    enabled: bool = Field(True, validation_alias="IMAGINE_ENABLED")
    user_daily_images: int | None = Field(None, ge=0, validation_alias="IMAGINE_USER_DAILY_IMAGES")
    channel_daily_images: int | None = Field(
        None, ge=0, validation_alias="IMAGINE_CHANNEL_DAILY_IMAGES"
    )
    user_daily_cost_usd: float | None = Field(
        None, ge=0, validation_alias="IMAGINE_USER_DAILY_COST_USD"
    )
    channel_daily_cost_usd: float | None = Field(
        None, ge=0, validation_alias="IMAGINE_CHANNEL_DAILY_COST_USD"
    )
    max_n: int = Field(4, ge=1, le=10, validation_alias="IMAGINE_MAX_N")
    max_quality: Literal["low", "medium", "high", "auto"] = Field(
        "high", validation_alias="IMAGINE_MAX_QUALITY"
    )
    allowed_sizes: CommaList = Field(SIZES, validation_alias="IMAGINE_ALLOWED_SIZES")
    cooldown_s: int = Field(0, ge=0, validation_alias="IMAGINE_COOLDOWN_S")
    admins_exempt: bool = Field(False, validation_alias="IMAGINE_ADMINS_EXEMPT")
    others_can_vary: bool = Field(True, validation_alias="IMAGINE_OTHERS_CAN_VARY")

    # Storage
    database_url: str = Field("sqlite:///imagine.db", validation_alias="IMAGINE_DATABASE_URL")
    prompt_retention_days: int = Field(30, ge=0, validation_alias="IMAGINE_PROMPT_RETENTION_DAYS")

    # Running
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="IMAGINE_LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field("text", validation_alias="IMAGINE_LOG_FORMAT")
    http_host: str = Field("0.0.0.0", validation_alias="IMAGINE_HTTP_HOST")
    http_port: int = Field(8080, ge=0, le=65535, validation_alias="IMAGINE_HTTP_PORT")
    shutdown_grace: float = Field(60.0, ge=0, validation_alias="IMAGINE_SHUTDOWN_GRACE")

    # Discord
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_api_base: str = Field(
        "https://discord.com/api/v10", validation_alias="DISCORD_API_BASE"
    )
    discord_gateway_url: str = Field(
        "wss://gateway.discord.gg/", validation_alias="DISCORD_GATEWAY_URL"
    )
    discord_guild_ids: CommaList = Field((), validation_alias="DISCORD_GUILD_IDS")
    discord_shard_count: int | None = Field(None, ge=1, validation_alias="DISCORD_SHARD_COUNT")
    discord_shard_ids: CommaList = Field((), validation_alias="DISCORD_SHARD_IDS")

    # Slack
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    @field_validator("allowed_sizes", "discord_guild_ids", "discord_shard_ids", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_sizes")
    @classmethod
    def _known_sizes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [size for size in value if size not in SIZES]
        if unknown:
            raise ValueError(f"unknown size {unknown[0]!r}; use {', '.join(SIZES)}")
        return value

    @field_validator("gateway_url", "discord_api_base", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("prices")
    @classmethod
    def _price_table(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for quality, row in value.items():
            if quality not in QUALITIES:
                raise ValueError(f"unknown quality {quality!r}")
            if any(price < 0 for price in row.values()):
                raise ValueError("prices cannot be negative")
        return value

    def default_limits(self) -> Limits:
        """The configured defaults, the widest layer of limits."""
        return Limits(
            enabled=self.enabled,
            user_daily_images=self.user_daily_images,
            channel_daily_images=self.channel_daily_images,
            user_daily_cost_usd=self.user_daily_cost_usd,
            channel_daily_cost_usd=self.channel_daily_cost_usd,
            max_n=self.max_n,
            max_quality=self.max_quality,
            allowed_sizes=self.allowed_sizes,
            cooldown_s=self.cooldown_s,
            admins_exempt=self.admins_exempt,
            others_can_vary=self.others_can_vary,
        )


def env_name(field_name: str) -> str:
    """The environment variable that sets a field."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return str(alias or field_name)


def load_settings(env_file: str | None = ".env", **overrides: Any) -> Settings:
    """Read and validate settings; a problem becomes one readable ConfigError line."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = error["loc"][0] if error["loc"] else ""
    name = env_name(str(loc)) if str(loc) in Settings.model_fields else str(loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"Invalid setting {name}: {message}"
