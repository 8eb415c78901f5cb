"""Pure pieces of the images wire protocol: error bodies, retry hints, usage, cost, warnings."""

from __future__ import annotations

import email.utils
import json
import math
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from bot.errors import BadRequest
from bot.fetch import TooLarge
from bot.models import TokenUsage

MAX_RETRY_AFTER = 60.0
MAX_WARNING = 200  # characters of one warning shown to a person
MAX_WARNINGS = 3


@dataclass(frozen=True)
class ErrorInfo:
    """The fields of an error body; all None when the body was not one.

    `param` is OpenAI's parameter name; where Vercel's gateway sends an object instead, its
    `ruleId` (a `forbidden` answer's team rule) lands in `rule_id`.
    """

    code: str | None = None
    type: str | None = None
    message: str | None = None
    param: str | None = None
    rule_id: str | None = None

    @property
    def kinds(self) -> frozenset[str]:
        """The code and type, lower-cased: where OpenAI, Vercel and Opper put the error's kind."""
        return frozenset(k.lower() for k in (self.code, self.type) if k)


async def sse_events(
    response: httpx.Response, max_event_bytes: int
) -> AsyncIterator[tuple[str, str]]:
    """Server-sent events as (event name, data) pairs; TooLarge when one passes the cap."""
    event, data, size = "", [], 0
    async for line in _lines(response, max_event_bytes):
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
            size += len(line)
            if size > max_event_bytes:
                raise TooLarge(max_event_bytes)
        elif not line and data:
            if data != ["[DONE]"]:
                yield event, "\n".join(data)
            event, data, size = "", [], 0
    if data and data != ["[DONE]"]:
        yield event, "\n".join(data)


async def _lines(response: httpx.Response, max_line_bytes: int) -> AsyncIterator[str]:
    """The body's lines (ended by CRLF, CR or LF), none buffered past `max_line_bytes`."""
    pending, start = bytearray(), 0
    async for chunk in response.aiter_bytes():
        pending += chunk
        while (end := _line_end(pending, start)) >= 0:
            if pending[end] == 13 and end + 1 == len(pending):
                break  # a CR ending the chunk may be half of a CRLF
            cut = end + 2 if pending[end : end + 2] == b"\r\n" else end + 1
            yield pending[:end].decode("utf-8", "replace")
            del pending[:cut]
            start = 0
        else:
            start = len(pending)
        if len(pending) > max_line_bytes:
            raise TooLarge(max_line_bytes)
    for line in pending.decode("utf-8", "replace").splitlines():
        yield line


def _line_end(pending: bytearray, start: int) -> int:
    ends = [i for i in (pending.find(b"\n", start), pending.find(b"\r", start)) if i >= 0]
    return min(ends, default=-1)


def json_or_none(body: bytes) -> Any:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def error_info(payload: Any) -> ErrorInfo:
    """The fields of an error body: OpenAI's and Vercel's `{"error": {...}}`, Opper's v3
    `{"error": {"code", "message", "details"}}` or its older `{"type", "message", "detail"}`."""
    if not isinstance(payload, dict):
        return ErrorInfo()
    error = payload.get("error")
    if isinstance(error, str):
        return ErrorInfo(message=error)
    if not isinstance(error, dict):
        message = _text(payload.get("message")) or _text(payload.get("detail"))
        return ErrorInfo(type=_text(payload.get("type")), message=message)
    param = error.get("param")
    rule = _text(param.get("ruleId")) if isinstance(param, dict) else None
    return ErrorInfo(
        code=_text(error.get("code")),
        type=_text(error.get("type")),
        message=_text(error.get("message")),
        param=_text(param),
        rule_id=rule[:60] if rule else None,
    )


def rejection(info: ErrorInfo, status: int, secret: str | None) -> BadRequest:
    """A BadRequest from a provider's error: named parameter, capped text."""
    detail = " ".join((info.message or f"HTTP {status}").split())
    if secret:
        detail = detail.replace(secret, "[redacted]")
    if len(detail) > 200:
        detail = detail[:199].rstrip() + "…"
    elif not detail.endswith((".", "!", "?")):
        detail += "."
    where = f" (parameter: {info.param[:60]})" if info.param else ""
    return BadRequest(
        f"The image service rejected the request{where}: {detail}",
        then="Check the options and try again.",
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


def _details(raw: dict[str, Any], key: str) -> dict[str, Any]:
    details = raw.get(key)
    return details if isinstance(details, dict) else {}


def parse_usage(raw: Any) -> TokenUsage | None:
    """Token counts from a response's `usage`, with the text/image splits where given."""
    if not isinstance(raw, dict) or not ({"input_tokens", "output_tokens"} & raw.keys()):
        return None
    given, made = _details(raw, "input_tokens_details"), _details(raw, "output_tokens_details")
    return TokenUsage(
        input_tokens=_int(raw.get("input_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        input_text_tokens=_int(given.get("text_tokens")),
        input_image_tokens=_int(given.get("image_tokens")),
        output_text_tokens=_int(made.get("text_tokens")),
        output_image_tokens=_int(made.get("image_tokens")),
    )


def add_usage(total: TokenUsage | None, more: TokenUsage | None) -> TokenUsage | None:
    """The sum of two token counts (streamed images report one each)."""
    if total is None or more is None:
        return total or more
    sums = {f.name: getattr(total, f.name) + getattr(more, f.name) for f in fields(TokenUsage)}
    return TokenUsage(**sums)


def _dollars(value: Any) -> Decimal | None:
    """A non-negative finite amount from a decimal string or a JSON number, exactly."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def parse_cost(payload: Any) -> Decimal | None:
    """The gateway's own cost in USD: Vercel's `provider_metadata.gateway.cost` (a decimal
    string), else Opper's `usage.cost`; None when the answer carries neither."""
    if not isinstance(payload, dict):
        return None
    metadata = payload.get("provider_metadata", payload.get("providerMetadata"))
    gateway = metadata.get("gateway") if isinstance(metadata, dict) else None
    if isinstance(gateway, dict) and (cost := _dollars(gateway.get("cost"))) is not None:
        return cost
    usage = payload.get("usage")
    return _dollars(usage.get("cost")) if isinstance(usage, dict) else None


def _warning(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, dict):
        return None
    text = _text(raw.get("message")) or _text(raw.get("details"))
    setting = _text(raw.get("setting"))
    if setting and not text:
        text = f"the model does not support the '{setting}' setting"
    return text


def parse_warnings(payload: Any, secret: str | None) -> tuple[str, ...]:
    """The answer's `warnings` (e.g. a model that ignored the mask), each one short line."""
    raw = payload.get("warnings") if isinstance(payload, dict) else None
    found: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        text = " ".join((_warning(item) or "").split())
        if secret:
            text = text.replace(secret, "[redacted]")
        if len(text) > MAX_WARNING:
            text = text[: MAX_WARNING - 1].rstrip() + "…"
        if text and text not in found:
            found.append(text)
    return tuple(found[:MAX_WARNINGS])


def offered_models(payload: Any) -> tuple[str, ...]:
    """The image models a `GET /models` answer lists: those typed `image` (Vercel), or,
    when the list has no types (OpenAI), the ids that name an image model."""
    data = payload.get("data") if isinstance(payload, dict) else None
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    ids = [(e["id"], e.get("type")) for e in entries if _text(e.get("id"))]
    if any(kind is not None for _, kind in ids):
        return tuple(sorted(name for name, kind in ids if kind == "image"))
    return tuple(sorted(name for name, _ in ids if "image" in name))
