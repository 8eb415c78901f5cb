"""Settings of the image gateway: where it is, how to talk to it, which models to offer."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from bot.settings.base import CommaList, ServiceUrl, SettingsGroup, setting

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

    gateway_url: ServiceUrl = setting("IMAGINE_GATEWAY_URL", "https://ai-gateway.vercel.sh/v1")
    """Base URL of the OpenAI-compatible image gateway (OpenAI direct: https://api.openai.com/v1; Opper: https://api.opper.ai/v3)."""
    gateway_key: SecretStr | None = setting("IMAGINE_GATEWAY_KEY", None, "AI_GATEWAY_API_KEY")
    """API key of the image gateway, sent as a Bearer token; AI_GATEWAY_API_KEY works too."""
    gateway_protocol: Literal["openai", "opper"] = setting("IMAGINE_GATEWAY_PROTOCOL", "openai")
    """Wire protocol of the gateway: openai (OpenAI, Vercel AI Gateway) or opper."""
    model: str = setting("IMAGINE_MODEL", "openai/gpt-image-2", min_length=1)
    """Default model, as the gateway names it (OpenAI direct: gpt-image-2); see `imagine-bot models`."""
    models: CommaList = setting("IMAGINE_MODELS", ())
    """Models people may choose with --model, comma-separated (empty: only IMAGINE_MODEL)."""
    models_file: str | None = setting("IMAGINE_MODELS_FILE", None)
    """JSON file of model entries that add to or override the shipped catalog (sizes, prices, status)."""
    opper_store: bool = setting("IMAGINE_OPPER_STORE", False)
    """Opper only: keep every image in Opper's Files with a shareable link (sent as store)."""
    gateway_timeout: float = setting("IMAGINE_GATEWAY_TIMEOUT", 600.0, gt=0)
    """Seconds one gateway call may take, retries included; high-quality images take minutes."""
    gateway_connect_timeout: float = setting("IMAGINE_GATEWAY_CONNECT_TIMEOUT", 10.0, gt=0)
    """Seconds to wait for a connection to the gateway."""
    gateway_max_retries: int = setting("IMAGINE_GATEWAY_MAX_RETRIES", 2, ge=0, le=10)
    """Retries after a 429, a 5xx or a connection error (never after a safety block or an empty account)."""
    stream_previews: bool = setting("IMAGINE_STREAM_PREVIEWS", True)
    """Ask the gateway for partial previews and show them while an image is made."""
    vary_prompt: str = setting("IMAGINE_VARY_PROMPT", DEFAULT_VARY_PROMPT)
    """Instruction sent with Vary (a variation is an edit of the chosen image)."""
    vary_subtle_prompt: str = setting("IMAGINE_VARY_SUBTLE_PROMPT", DEFAULT_SUBTLE_PROMPT)
    """Instruction sent with Vary (Subtle), with input fidelity high where the model takes it."""
    vary_strong_prompt: str = setting("IMAGINE_VARY_STRONG_PROMPT", DEFAULT_STRONG_PROMPT)
    """Instruction sent with Vary (Strong)."""
    offline: bool = setting("IMAGINE_OFFLINE", False)
    """Draw labelled placeholders instead of calling the gateway: no key, no spending."""

    def offered_models(self) -> tuple[str, ...]:
        """The models people may choose: IMAGINE_MODEL first, then IMAGINE_MODELS."""
        return tuple(dict.fromkeys((self.model, *self.models)))
