"""Settings of requests: how many run at once, and the options a person gets by default."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.settings.base import SettingsGroup
from bot.sizes import parse_dims


class RequestSettings(SettingsGroup):
    """Concurrency, default options and the largest source image."""

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

    @field_validator("default_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if value != "auto" and parse_dims(value) is None:
            raise ValueError(f"{value!r} is not a size; write WxH, e.g. 1024x1024, or auto")
        return value
