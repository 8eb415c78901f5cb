"""Turning a gateway's text into images and back: JSON, base64 and data URLs, large ones
off the event loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

import pybase64

from bot.gateway.errors import BadGatewayResponse
from bot.gateway.imagebody import ImageBody
from bot.models import SourceImage

T = TypeVar("T")
LARGE = 256 * 1024


async def off_loop(large: bool, func: Callable[[], T]) -> T:
    """Run `func` inline when its input is small, in a worker thread when it is large."""
    return await asyncio.to_thread(func) if large else func()


async def loads(body: bytes, request_id: str | None) -> Any:
    """The body as JSON; BadGatewayResponse when it is not."""
    try:
        return await off_loop(len(body) > LARGE, lambda: json.loads(body))
    except ValueError as exc:
        raise BadGatewayResponse("malformed JSON", request_id) from exc


async def parse_body(body: ImageBody, request_id: str | None) -> Any:
    """The response JSON, its base64 images already decoded while the body streamed in."""
    try:
        return await off_loop(not body.cheap and len(body) > LARGE, body.parse)
    except ValueError as exc:
        raise BadGatewayResponse("malformed JSON", request_id) from exc


async def b64decode(text: str, request_id: str | None) -> bytes:
    """Image bytes from base64; BadGatewayResponse when they are not base64 or empty."""
    try:
        data = await off_loop(len(text) > LARGE, lambda: pybase64.b64decode(text, validate=True))
    except ValueError as exc:
        raise BadGatewayResponse("undecodable image data", request_id) from exc
    if not isinstance(data, bytes) or not data:
        raise BadGatewayResponse("undecodable image data", request_id)
    return data


async def data_url(url: str, request_id: str | None) -> bytes:
    """The bytes of a data: URL (base64 or percent-encoded)."""
    header, comma, payload = url.removeprefix("data:").partition(",")
    if not comma:
        raise BadGatewayResponse("undecodable image data", request_id)
    if header.endswith(";base64"):
        return await b64decode(payload, request_id)
    return unquote_to_bytes(payload)


async def data_uri(image: SourceImage) -> str:
    """A source image as a base64 data: URI."""
    encoded = await off_loop(len(image.data) > LARGE, lambda: pybase64.b64encode(image.data))
    return f"data:{image.content_type};base64,{encoded.decode('ascii')}"
