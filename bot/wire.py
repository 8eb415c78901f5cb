"""Pure pieces of the images wire protocol: error bodies, retry hints, usage, SSE events."""

from __future__ import annotations

import email.utils
import json
import math
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.errors import NOT_CHARGED
from bot.models import TokenUsage

MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class ErrorInfo:
    """The fields of an `{"error": {...}}` body; all None when the body was not one."""

    code: str | None = None
    type: str | None = None
    message: str | None = None
    param: str | None = None


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """Server-sent events as (event name, data) pairs."""
    event, data = "", []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line and data:
            if data != ["[DONE]"]:
                yield event, "\n".join(data)
            event, data = "", []
    if data and data != ["[DONE]"]:
        yield event, "\n".join(data)


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a URL, to tell the gateway's own origin from others."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def json_or_none(body: bytes) -> Any:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def error_info(payload: Any) -> ErrorInfo:
    """The fields of an OpenAI-style error body, whatever shape it came in."""
    if not isinstance(payload, dict):
        return ErrorInfo()
    error = payload.get("error")
    if isinstance(error, str):
        return ErrorInfo(message=error)
    if not isinstance(error, dict):
        detail = payload.get("message") or payload.get("detail")
        return ErrorInfo(message=detail if isinstance(detail, str) else None)
    texts = {key: error.get(key) for key in ("code", "type", "message", "param")}
    return ErrorInfo(**{key: v if isinstance(v, str) else None for key, v in texts.items()})


def rejection(info: ErrorInfo, status: int, secret: str | None) -> str:
    """A BadRequest message from a provider's error: named parameter, capped text."""
    detail = " ".join((info.message or f"HTTP {status}").split())
    if secret:
        detail = detail.replace(secret, "[redacted]")
    if len(detail) > 200:
        detail = detail[:199].rstrip() + "…"
    elif not detail.endswith((".", "!", "?")):
        detail += "."
    where = f" (parameter: {info.param[:60]})" if info.param else ""
    return (
        f"The image service rejected the request{where}: {detail} "
        f"{NOT_CHARGED} Check the options and try again."
    )


def should_retry(status: int, headers: httpx.Headers) -> bool:
    """Whether a status is worth another try, as the official client decides."""
    flag = str(headers.get("x-should-retry", "")).lower()
    if flag in ("true", "false"):
        return flag == "true"
    return status in (408, 409, 429) or status >= 500


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, then retry-after), capped."""
    seconds = _number(headers.get("retry-after-ms"), 1000.0)
    if seconds is None:
        seconds = _number(headers.get("retry-after"), 1.0)
    if seconds is None:
        seconds = _date_delay(headers.get("retry-after"))
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _number(value: str | None, divisor: float) -> float | None:
    try:
        return float(value) / divisor if value is not None else None
    except ValueError:
        return None


def _date_delay(value: str | None) -> float | None:
    parsed = email.utils.parsedate_tz(value) if value else None
    return email.utils.mktime_tz(parsed) - time.time() if parsed else None


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` when the server named none: exponential, with jitter."""
    return min(0.5 * 2.0**attempt, 8.0) * (1 - 0.25 * random.random())


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def parse_usage(raw: Any) -> TokenUsage | None:
    """Token counts from a response's `usage`, if it has them."""
    if not isinstance(raw, dict) or not ({"input_tokens", "output_tokens"} & raw.keys()):
        return None
    details = raw.get("input_tokens_details")
    details = details if isinstance(details, dict) else {}
    made = raw.get("output_tokens_details")
    made = made if isinstance(made, dict) else {}
    return TokenUsage(
        input_tokens=_int(raw.get("input_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        input_text_tokens=_int(details.get("text_tokens")),
        input_image_tokens=_int(details.get("image_tokens")),
        output_text_tokens=_int(made.get("text_tokens")),
        output_image_tokens=_int(made.get("image_tokens")),
    )


def add_usage(total: TokenUsage | None, more: TokenUsage | None) -> TokenUsage | None:
    """The sum of two token counts (streamed images report one each)."""
    if total is None or more is None:
        return total or more
    return TokenUsage(
        input_tokens=total.input_tokens + more.input_tokens,
        output_tokens=total.output_tokens + more.output_tokens,
        input_text_tokens=total.input_text_tokens + more.input_text_tokens,
        input_image_tokens=total.input_image_tokens + more.input_image_tokens,
        output_text_tokens=total.output_text_tokens + more.output_text_tokens,
        output_image_tokens=total.output_image_tokens + more.output_image_tokens,
    )


def parse_cost(raw: Any) -> float | None:
    """Opper's `usage.cost` in USD, if it is a finite number."""
    cost = raw.get("cost") if isinstance(raw, dict) else None
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost):
        return None
    return float(cost)
