"""Settings of requests: how many run at once, and the options a person gets by default."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator

from bot.settings.base import SettingsGroup, setting
from bot.sizes import parse_dims


def size(value: str) -> str:
    """WxH or auto."""
    if value != "auto" and parse_dims(value) is None:
        raise ValueError(f"{value!r} is not a size; write WxH, e.g. 1024x1024, or auto")
    return value


Size = Annotated[str, AfterValidator(size)]
Quality = Literal["low", "medium", "high", "xhigh", "max", "auto"]


class RequestSettings(SettingsGroup):
    """Concurrency, default options and the largest source image."""

    max_concurrent: int = setting("IMAGINE_MAX_CONCURRENT", 8, ge=1, le=1000)
    """Gateway calls running at once in this process; the rest wait in a queue."""
    per_user_concurrent: int = setting("IMAGINE_PER_USER_CONCURRENT", 1, ge=0)
    """Requests one person may have running at once (0: no cap)."""
    default_size: Size = setting("IMAGINE_DEFAULT_SIZE", "1024x1024")
    """Size when a person asks for none (WxH or auto); a model that cannot make it uses its nearest."""
    default_quality: Quality = setting("IMAGINE_DEFAULT_QUALITY", "medium")
    """Quality when a person asks for none: low, medium, high, xhigh, max or auto (as the model allows)."""
    max_source_bytes: int = setting("IMAGINE_MAX_SOURCE_BYTES", 25 * 1024 * 1024, gt=0)
    """Largest image a person may give to edit or vary, in bytes."""
