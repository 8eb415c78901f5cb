"""Settings of the image gateway: where it is, how to talk to it, which models to offer."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator

from bot.settings.base import CommaList, SettingsGroup, http_url, split_commas

DEFAULT_VARY_PROMPT = (
    "Create a variation of this image: keep its subject, composition and style, "
    "and change the details."
)
DEFAULT_SUBTLE_PROMPT = (
    "Make a subtle variation of this image: keep its subject, composition, colours and style "
    "exactly, and change only small details."
)
DEFAULT_STRONG_PROMPT = (
    "Make a strong variation of this image: keep its subject and style, and freely reimagine "
    "the composition, pose, lighting and details."
)


class GatewaySettings(SettingsGroup):
    """The image gateway and the models it serves."""

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
    vary_subtle_prompt: str = Field(
        DEFAULT_SUBTLE_PROMPT,
        validation_alias="IMAGINE_VARY_SUBTLE_PROMPT",
        description="Instruction sent with Vary (Subtle), with input fidelity high where the model takes it.",
    )
    vary_strong_prompt: str = Field(
        DEFAULT_STRONG_PROMPT,
        validation_alias="IMAGINE_VARY_STRONG_PROMPT",
        description="Instruction sent with Vary (Strong).",
    )
    offline: bool = Field(
        False,
        validation_alias="IMAGINE_OFFLINE",
        description="Draw labelled placeholders instead of calling the gateway: no key, no spending.",
    )

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        return split_commas(value)

    @field_validator("gateway_url")
    @classmethod
    def _gateway_url(cls, value: str) -> str:
        return http_url(value)

    def offered_models(self) -> tuple[str, ...]:
        """The models people may choose: IMAGINE_MODEL first, then IMAGINE_MODELS."""
        return tuple(dict.fromkeys((self.model, *self.models)))
