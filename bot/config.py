"""Settings from the environment and `.env`, validated once at start-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.models import Limits
from bot.sizes import parse_dims

DEFAULT_VARY_PROMPT = (
    "Create a variation of this image: keep its subject, composition and style, "
    "and change the details."
)

CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """Every setting of the bot; the environment variable is named in each field's alias."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=False
    )

    # Image gateway
    gateway_url: str = Field(
        "https://ai-gateway.vercel.sh/v1",
        validation_alias="IMAGINE_GATEWAY_URL",
        description="Base URL of the OpenAI-compatible image gateway (OpenAI direct: https://api.openai.com/v1; Opper: https://api.opper.ai/v3).",
    )
    gateway_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("IMAGINE_GATEWAY_KEY", "AI_GATEWAY_API_KEY"),
        description="API key of the image gateway, sent as a Bearer token; AI_GATEWAY_API_KEY works too.",
    )
    gateway_protocol: Literal["openai", "opper"] = Field(
        "openai",
        validation_alias="IMAGINE_GATEWAY_PROTOCOL",
        description="Wire protocol of the gateway: openai (OpenAI, Vercel AI Gateway) or opper.",
    )
    model: str = Field(
        "openai/gpt-image-2",
        validation_alias="IMAGINE_MODEL",
        min_length=1,
        description="Default model, as the gateway names it (OpenAI direct: gpt-image-2); see `imagine-bot models`.",
    )
    models: CommaList = Field(
        (),
        validation_alias="IMAGINE_MODELS",
        description="Models people may choose with --model, comma-separated (empty: only IMAGINE_MODEL).",
    )
    models_file: str | None = Field(
        None,
        validation_alias="IMAGINE_MODELS_FILE",
        description="JSON file of model entries that add to or override the shipped catalog (sizes, prices, status).",
    )
    opper_store: bool = Field(
        False,
        validation_alias="IMAGINE_OPPER_STORE",
        description="Opper only: keep every image in Opper's Files with a shareable link (sent as store).",
    )
    gateway_timeout: float = Field(
        600.0,
        gt=0,
        validation_alias="IMAGINE_GATEWAY_TIMEOUT",
        description="Seconds one gateway call may take, retries included; high-quality images take minutes.",
    )
    gateway_connect_timeout: float = Field(
        10.0,
        gt=0,
        validation_alias="IMAGINE_GATEWAY_CONNECT_TIMEOUT",
        description="Seconds to wait for a connection to the gateway.",
    )
    gateway_max_retries: int = Field(
        2,
        ge=0,
        le=10,
        validation_alias="IMAGINE_GATEWAY_MAX_RETRIES",
        description="Retries after a 429, a 5xx or a connection error (never after a safety block or an empty account).",
    )
    stream_previews: bool = Field(
        True,
        validation_alias="IMAGINE_STREAM_PREVIEWS",
        description="Ask the gateway for partial previews and show them while an image is made.",
    )
    vary_prompt: str = Field(
        DEFAULT_VARY_PROMPT,
        validation_alias="IMAGINE_VARY_PROMPT",
        description="Instruction sent with Vary (a variation is an edit of the chosen image).",
    )
    offline: bool = Field(
        False,
        validation_alias="IMAGINE_OFFLINE",
        description="Draw labelled placeholders instead of calling the gateway: no key, no spending.",
    )

    # Requests
    max_concurrent: int = Field(
        8,
        ge=1,
        le=1000,
        validation_alias="IMAGINE_MAX_CONCURRENT",
        description="Gateway calls running at once in this process; the rest wait in a queue.",
    )
    per_user_concurrent: int = Field(
        1,
        ge=0,
        validation_alias="IMAGINE_PER_USER_CONCURRENT",
        description="Requests one person may have running at once (0: no cap).",
    )
    default_size: str = Field(
        "1024x1024",
        validation_alias="IMAGINE_DEFAULT_SIZE",
        description="Size when a person asks for none (WxH or auto); a model that cannot make it uses its nearest.",
    )
    default_quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] = Field(
        "medium",
        validation_alias="IMAGINE_DEFAULT_QUALITY",
        description="Quality when a person asks for none: low, medium, high, xhigh, max or auto (as the model allows).",
    )
    max_source_bytes: int = Field(
        25 * 1024 * 1024,
        gt=0,
        validation_alias="IMAGINE_MAX_SOURCE_BYTES",
        description="Largest image a person may give to edit or vary, in bytes.",
    )

    # Default limits (channel settings override workspace settings override these)
    enabled: bool = Field(
        True,
        validation_alias="IMAGINE_ENABLED",
        description="Default limit: image generation is on.",
    )
    user_daily_images: int | None = Field(
        None,
        ge=0,
        validation_alias="IMAGINE_USER_DAILY_IMAGES",
        description="Default limit: images one person may make per UTC day in a workspace (empty: no limit).",
    )
    channel_daily_images: int | None = Field(
        None,
        ge=0,
        validation_alias="IMAGINE_CHANNEL_DAILY_IMAGES",
        description="Default limit: images per channel per UTC day (empty: no limit).",
    )
    user_daily_cost_usd: float | None = Field(
        None,
        ge=0,
        validation_alias="IMAGINE_USER_DAILY_COST_USD",
        description="Default limit: USD one person may spend per UTC day in a workspace (empty: no limit).",
    )
    channel_daily_cost_usd: float | None = Field(
        None,
        ge=0,
        validation_alias="IMAGINE_CHANNEL_DAILY_COST_USD",
        description="Default limit: USD per channel per UTC day (empty: no limit).",
    )
    max_n: int = Field(
        4,
        ge=1,
        le=10,
        validation_alias="IMAGINE_MAX_N",
        description="Default limit: images per request (1-10).",
    )
    max_quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] = Field(
        "high",
        validation_alias="IMAGINE_MAX_QUALITY",
        description="Default limit: the highest quality people may ask for.",
    )
    allowed_sizes: CommaList = Field(
        (),
        validation_alias="IMAGINE_ALLOWED_SIZES",
        description="Default limit: the exact sizes people may ask for, comma-separated (empty: every size the model makes).",
    )
    max_pixels: int | None = Field(
        None,
        ge=1,
        validation_alias="IMAGINE_MAX_PIXELS",
        description="Default limit: the largest image area in pixels (width x height), e.g. 2359296 (empty: no cap).",
    )
    cooldown_s: int = Field(
        0,
        ge=0,
        validation_alias="IMAGINE_COOLDOWN_S",
        description="Default limit: seconds a person waits between requests.",
    )
    admins_exempt: bool = Field(
        False,
        validation_alias="IMAGINE_ADMINS_EXEMPT",
        description="Default limit: admins are not held to limits.",
    )
    others_can_vary: bool = Field(
        True,
        validation_alias="IMAGINE_OTHERS_CAN_VARY",
        description="Default limit: anyone may Vary or Re-roll another person's result (charged to themselves).",
    )

    # Storage
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

    # Running
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

    # Web face (docs/web.md)
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

    # Discord
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

    # Slack
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

    @field_validator(
        "models", "allowed_sizes", "discord_guild_ids", "discord_shard_ids", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

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

    @field_validator("allowed_sizes")
    @classmethod
    def _known_sizes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [size for size in value if size != "auto" and parse_dims(size) is None]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a size; write WxH, e.g. 1024x1024")
        return value

    @field_validator("default_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if value != "auto" and parse_dims(value) is None:
            raise ValueError(f"{value!r} is not a size; write WxH, e.g. 1024x1024, or auto")
        return value

    @field_validator("gateway_url", "discord_api_base", "slack_api_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if "@" in urlsplit(value).netloc:  # it would be echoed in reports and logs
            raise ValueError(
                "must not carry a user name or password; keys and tokens have their own settings"
            )
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        _ = urlsplit(value).port  # raises ValueError on a bad host or port
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
            allowed_sizes=self.allowed_sizes or None,
            cooldown_s=self.cooldown_s,
            admins_exempt=self.admins_exempt,
            others_can_vary=self.others_can_vary,
            max_pixels=self.max_pixels,
        )

    def offered_models(self) -> tuple[str, ...]:
        """The models people may choose: IMAGINE_MODEL first, then IMAGINE_MODELS."""
        return tuple(dict.fromkeys((self.model, *self.models)))


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
