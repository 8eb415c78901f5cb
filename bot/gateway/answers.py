"""Reading the gateway's answers: a whole JSON body or a stream of server-sent events, each
image as base64, a data: URL or a link fetched with the key only from the gateway's origin;
and an error's body, capped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from bot.errors import UserFacingError
from bot.fetch import TooLarge, read_capped
from bot.gateway import decoding
from bot.gateway.errors import BadGatewayResponse, GatewayUnavailable
from bot.gateway.failures import unreachable_cause
from bot.gateway.imagebody import ImageBody, linked_image
from bot.gateway.wire import (
    MAX_WARNINGS,
    add_usage,
    parse_cost,
    parse_usage,
    parse_warnings,
    sse_events,
)
from bot.models import GatewayResult, PartialCallback, TokenUsage
from bot.wording import human_size

log = logging.getLogger("bot.gateway.client")  # one logger for the whole exchange

ANSWER_MARGIN = 16 * 1024  # an answer's JSON around its base64: usage, metadata
MAX_ERROR_BYTES = 1024 * 1024
StreamError = Callable[[Any, str | None], Awaitable[UserFacingError]]


@dataclass(frozen=True)
class Answers:
    """Reads answers of one gateway (its origin and key, for linked images)."""

    http: httpx.AsyncClient
    base_url: str
    api_key: str | None
    timeouts: httpx.Timeout
    max_image_bytes: int
    host: str

    async def body(self, response: httpx.Response, n: int, request_id: str | None) -> ImageBody:
        """The JSON answer, fed to ImageBody as it streams; refused past n images' base64."""
        limit = n * self.max_image_bytes * 4 // 3 + ANSWER_MARGIN
        claimed = response.headers.get("content-length", "")
        body = ImageBody()
        if claimed.isdigit() and int(claimed) > limit:
            raise BadGatewayResponse(f"an answer larger than {human_size(limit)}", request_id)
        async for chunk in response.aiter_bytes():
            body.feed(chunk)
            if len(body) > limit:
                raise BadGatewayResponse(f"an answer larger than {human_size(limit)}", request_id)
        return body

    async def result(self, payload: Any, request_id: str | None) -> GatewayResult:
        """The images, usage, cost and warnings of a whole JSON answer."""
        if not isinstance(payload, dict):
            raise BadGatewayResponse("malformed JSON", request_id)
        data = payload.get("data")
        if not isinstance(data, list) or not data:
            raise BadGatewayResponse("no images", request_id)
        images = tuple([await self.image(item, request_id) for item in data])
        revised = data[0].get("revised_prompt") if isinstance(data[0], dict) else None
        return GatewayResult(
            images=images,
            usage=parse_usage(payload.get("usage")),
            cost_usd=parse_cost(payload),
            revised_prompt=revised if isinstance(revised, str) else None,
            request_id=request_id,
            warnings=parse_warnings(payload, self.api_key),
        )

    async def image(self, item: Any, request_id: str | None) -> bytes:
        """One image of an answer: base64, a data: URL, or a link fetched from the gateway."""
        if not isinstance(item, dict):
            raise BadGatewayResponse("malformed JSON", request_id)
        b64, url = item.get("b64_json"), item.get("url")
        if isinstance(b64, bytes) and b64:
            return b64
        if isinstance(b64, str) and b64:
            return await decoding.b64decode(b64, request_id)
        if isinstance(url, str) and url.startswith("data:"):
            return await decoding.data_url(url, request_id)
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return await linked_image(
                self.http,
                url,
                base_url=self.base_url,
                api_key=self.api_key,
                timeout=self.timeouts,
                request_id=request_id,
            )
        raise BadGatewayResponse("an image without data", request_id)

    async def stream(
        self,
        response: httpx.Response,
        on_partial: PartialCallback | None,
        request_id: str | None,
        stream_error: StreamError,
    ) -> GatewayResult:
        """The images of a server-sent event stream; partial images go to `on_partial`."""
        images: list[bytes] = []
        usage: TokenUsage | None = None
        cost: Decimal | None = None
        warnings: tuple[str, ...] = ()
        seen = False
        most = self.max_image_bytes * 4 // 3 + ANSWER_MARGIN  # one event: one image's base64
        try:
            async for event, data in sse_events(response, most):
                seen = True
                payload = await decoding.loads(data.encode(), request_id)
                if not isinstance(payload, dict):
                    raise BadGatewayResponse("malformed JSON", request_id)
                if payload.get("error"):
                    raise await stream_error(payload["error"], request_id)
                kind = event or str(payload.get("type", ""))
                if kind.endswith(".partial_image") and on_partial is not None:
                    await _deliver(on_partial, await self.image(payload, request_id))
                elif kind.endswith(".completed"):
                    images.append(await self.image(payload, request_id))
                    usage = add_usage(usage, parse_usage(payload.get("usage")))
                if (reported := parse_cost(payload)) is not None:
                    cost = reported  # the final event's figure covers the whole request
                warnings += parse_warnings(payload, self.api_key)
        except TooLarge as exc:
            detail = f"a stream event larger than {human_size(most)}"
            raise BadGatewayResponse(detail, request_id) from exc
        except httpx.TransportError as exc:
            if not seen or isinstance(exc, httpx.TimeoutException):
                raise
            log.warning("gateway %s: the stream broke off (%s)", self.host, unreachable_cause(exc))
            raise GatewayUnavailable(request_id) from exc
        if not images:
            raise BadGatewayResponse("no images", request_id)
        return GatewayResult(
            images=tuple(images),
            usage=usage,
            cost_usd=cost,
            request_id=request_id,
            warnings=tuple(dict.fromkeys(warnings))[:MAX_WARNINGS],
        )


async def error_body(response: httpx.Response) -> bytes:
    """An error answer's body, at most MAX_ERROR_BYTES; b"" (only the status to go by) past it."""
    try:
        return await read_capped(response, MAX_ERROR_BYTES)
    except TooLarge:
        return b""


async def _deliver(on_partial: PartialCallback, image: bytes) -> None:
    try:
        await on_partial(image)
    except Exception:
        log.warning("a partial preview could not be delivered", exc_info=True)
