"""The image gateway client: OpenAI's Images API or Opper's, over one shared httpx client.

    generate / edit / vary -> _send (key check, overall deadline, retries)
                           -> _attempt (one HTTP exchange) -> _result | _read_stream

Every failure leaves as a `bot.errors` type whose message is safe to show; the API key is
sent only to the gateway's own origin and never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import unquote_to_bytes

import httpx
import pybase64

from bot.config import DEFAULT_VARY_PROMPT, Settings
from bot.errors import (
    NOT_CHARGED,
    BadGatewayResponse,
    BadRequest,
    ContentBlocked,
    EditUnsupported,
    GatewayError,
    GatewayMisconfigured,
    GatewayRateLimited,
    GatewayTimeout,
    GatewayUnavailable,
    QuotaExhausted,
    UserFacingError,
)
from bot.imagebody import ImageBody
from bot.models import GatewayResult, Options, PartialCallback, SourceImage, TokenUsage
from bot.transport import AiohttpTransport
from bot.wire import (
    ErrorInfo,
    add_usage,
    backoff,
    error_info,
    json_or_none,
    origin,
    parse_cost,
    parse_usage,
    rejection,
    retry_after,
    should_retry,
    sse_events,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
WireProtocol = Literal["openai", "opper"]
LARGE = 256 * 1024
PARTIAL_IMAGES = 2
OPPER_MAX_N = 4
BLOCKED = frozenset({"moderation_blocked", "content_policy_violation"})
NO_RETRY = (ContentBlocked, QuotaExhausted, GatewayMisconfigured, EditUnsupported)
FileField = tuple[str, tuple[str, bytes, str]]


def build_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client the bot shares, with the gateway's timeouts; the caller closes it."""
    timeout = httpx.Timeout(settings.gateway_timeout, connect=settings.gateway_connect_timeout)
    limits = httpx.Limits(max_connections=max(100, 2 * settings.max_concurrent))
    return httpx.AsyncClient(timeout=timeout, transport=AiohttpTransport(limits))


@dataclass(frozen=True)
class _Call:
    """One gateway operation, rebuilt into a fresh HTTP request on every attempt."""

    path: str
    json_body: bytes | None = None
    form: dict[str, str] | None = None
    files: list[FileField] | None = None
    edit: bool = False
    stream: bool = False


class _Retry(Exception):
    """An attempt failed in a way worth another try; `error` is raised when tries run out."""

    def __init__(self, error: GatewayError | BadRequest, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.delay = delay


class GatewayClient:
    """Generate, edit and vary images through the configured gateway."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        protocol: WireProtocol = "openai",
        max_retries: int = 2,
        timeout: float = 600.0,
        vary_prompt: str = DEFAULT_VARY_PROMPT,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        self._http = http
        self._on_retry = on_retry
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.protocol = protocol
        self.max_retries = max_retries
        self.timeout = timeout
        self.vary_prompt = vary_prompt
        self._timeouts = httpx.Timeout(timeout, connect=http.timeout.connect)

    @classmethod
    def from_settings(
        cls,
        http: httpx.AsyncClient,
        settings: Settings,
        *,
        on_retry: Callable[[], None] | None = None,
    ) -> GatewayClient:
        """A client configured from the bot's settings; `on_retry` counts retried attempts."""
        key = settings.gateway_key.get_secret_value() if settings.gateway_key else None
        return cls(
            http,
            base_url=settings.gateway_url,
            api_key=key,
            model=settings.model,
            protocol=settings.gateway_protocol,
            max_retries=settings.gateway_max_retries,
            timeout=settings.gateway_timeout,
            vary_prompt=settings.vary_prompt,
            on_retry=on_retry,
        )

    async def generate(
        self,
        prompt: str,
        options: Options,
        *,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """New images from a prompt; partial previews go to `on_partial` when given."""
        if self.protocol == "opper":
            return await self._send(await self._opper_call(prompt, options, (), None), None)
        fields = self._fields(prompt, options, user, on_partial is not None)
        call = _Call(
            "/images/generations", json_body=json.dumps(fields).encode(), stream=bool(on_partial)
        )
        return await self._send(call, on_partial)

    async def edit(
        self,
        prompt: str,
        images: Sequence[SourceImage],
        options: Options,
        *,
        mask: SourceImage | None = None,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """Images changed as the prompt says, from one or more source images and a mask."""
        if self.protocol == "opper":
            return await self._send(await self._opper_call(prompt, options, images, mask), None)
        fields = self._fields(prompt, options, user, on_partial is not None)
        form = {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in fields.items()
        }
        files: list[FileField] = [("image[]", (i.filename, i.data, i.content_type)) for i in images]
        if mask is not None:
            files.append(("mask", (mask.filename, mask.data, mask.content_type)))
        call = _Call("/images/edits", form=form, files=files, edit=True, stream=bool(on_partial))
        return await self._send(call, on_partial)

    async def vary(
        self,
        image: SourceImage,
        options: Options,
        *,
        prompt: str | None = None,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """A variation of one image: an edit with the variation prompt (the handler sizes it)."""
        text = prompt or self.vary_prompt
        return await self.edit(text, [image], options, user=user, on_partial=on_partial)

    def _fields(
        self, prompt: str, options: Options, user: str | None, stream: bool
    ) -> dict[str, Any]:
        fields = {
            "model": options.model or self.model,
            "prompt": prompt,
            "n": options.n,
            "size": options.size,
            "quality": options.quality,
            "background": options.background,
            "output_format": options.output_format,
            "output_compression": options.output_compression,
            "user": user or None,
        }
        if stream:
            fields |= {"stream": True, "partial_images": PARTIAL_IMAGES}
        return {key: value for key, value in fields.items() if value is not None}

    async def _opper_call(
        self,
        prompt: str,
        options: Options,
        images: Sequence[SourceImage],
        mask: SourceImage | None,
    ) -> _Call:
        if options.n > OPPER_MAX_N:
            raise BadRequest(
                f"This image service makes at most {OPPER_MAX_N} images per request; "
                f"ask for {OPPER_MAX_N} or fewer. {NOT_CHARGED}"
            )
        parameters = {
            "output_format": options.output_format,
            "background": options.background,
            "output_compression": options.output_compression,
        }
        body: dict[str, Any] = {
            "model": options.model or self.model,
            "prompt": prompt,
            "n": options.n,
            "size": options.size,
            "quality": options.quality,
            "response_format": "b64_json",
            "parameters": {key: value for key, value in parameters.items() if value is not None},
        }
        uris = [await _data_uri(image) for image in images]
        if uris:
            body["image"] = uris[0]
        if uris[1:]:
            body["reference_images"] = uris[1:]
        if mask is not None:
            body["mask"] = await _data_uri(mask)
        content = await _run(bool(images), lambda: json.dumps(body).encode())
        return _Call("/images", json_body=content, edit=bool(images))

    async def _send(self, call: _Call, on_partial: PartialCallback | None) -> GatewayResult:
        if not self._api_key:
            raise GatewayMisconfigured("no API key is set (IMAGINE_GATEWAY_KEY)")
        try:
            async with asyncio.timeout(self.timeout):
                return await self._with_retries(call, on_partial)
        except TimeoutError:
            raise GatewayTimeout(self.timeout) from None

    async def _with_retries(self, call: _Call, on_partial: PartialCallback | None) -> GatewayResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        attempt = 0
        while True:
            try:
                return await self._attempt(call, on_partial)
            except _Retry as retry:
                delay = retry.delay if retry.delay is not None else backoff(attempt)
                if attempt >= self.max_retries or loop.time() + delay >= deadline:
                    raise retry.error from retry
                attempt += 1
                request_id = getattr(retry.error, "gateway_request_id", None)
                log.info(
                    "gateway %s: %s (x-request-id %s); retry %d of %d in %.2f s",
                    call.path,
                    retry.reason,
                    request_id,
                    attempt,
                    self.max_retries,
                    delay,
                )
                if self._on_retry is not None:
                    self._on_retry()
                await asyncio.sleep(delay)

    def _headers(self, call: _Call) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        headers["Accept"] = (
            "text/event-stream, application/json" if call.stream else "application/json"
        )
        if call.json_body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    async def _attempt(self, call: _Call, on_partial: PartialCallback | None) -> GatewayResult:
        request = self._http.build_request(
            "POST",
            self.base_url + call.path,
            headers=self._headers(call),
            content=call.json_body,
            data=call.form,
            files=call.files,
            timeout=self._timeouts,
        )
        try:
            response = await self._http.send(request, stream=True)
            try:
                request_id = response.headers.get("x-request-id")
                if not response.is_success:
                    await response.aread()
                    raise self._failure(response, call)
                if call.stream and response.headers.get("content-type", "").startswith(
                    "text/event-stream"
                ):
                    return await self._read_stream(response, on_partial, request_id)
                body = ImageBody()
                async for chunk in response.aiter_bytes():
                    body.feed(chunk)
            finally:
                await response.aclose()
        except httpx.ConnectTimeout as exc:
            raise _Retry(GatewayUnavailable(), "connect timeout", None) from exc
        except httpx.TimeoutException as exc:
            raise GatewayTimeout(self.timeout) from exc
        except httpx.TransportError as exc:
            raise _Retry(GatewayUnavailable(), type(exc).__name__, None) from exc
        return await self._result(await _parse(body, request_id), request_id)

    def _failure(self, response: httpx.Response, call: _Call) -> Exception:
        status, headers = response.status_code, response.headers
        request_id = headers.get("x-request-id")
        error = self._error(
            status, error_info(json_or_none(response.content)), request_id, call.edit
        )
        if not isinstance(error, NO_RETRY) and should_retry(status, headers):
            return _Retry(error, f"HTTP {status}", retry_after(headers))
        return error

    def _error(
        self, status: int, info: ErrorInfo, request_id: str | None, edit: bool
    ) -> GatewayError | BadRequest:
        codes = {info.code, info.type}
        if codes & BLOCKED:
            return ContentBlocked(request_id)
        if "insufficient_quota" in codes or status == 402:
            return QuotaExhausted(request_id)
        if status in (401, 403):
            return GatewayMisconfigured("the image service rejected the API key", request_id)
        if info.code == "model_not_found":
            detail = f"the model '{self.model}' was not found (IMAGINE_MODEL)"
            return GatewayMisconfigured(detail, request_id)
        if edit and status in (404, 405):
            return EditUnsupported(request_id)
        if status in (404, 405) or 300 <= status < 400:
            detail = "the gateway URL looks wrong (IMAGINE_GATEWAY_URL)"
            return GatewayMisconfigured(detail, request_id)
        if status == 429:
            return GatewayRateLimited(request_id)
        if status >= 500 or status in (408, 409):
            return GatewayUnavailable(request_id)
        return BadRequest(rejection(info, status, self._api_key))

    async def _result(self, payload: Any, request_id: str | None) -> GatewayResult:
        if not isinstance(payload, dict):
            raise BadGatewayResponse("malformed JSON", request_id)
        data = payload.get("data")
        if not isinstance(data, list) or not data:
            raise BadGatewayResponse("no images", request_id)
        images = tuple([await self._image(item, request_id) for item in data])
        usage = payload.get("usage")
        revised = data[0].get("revised_prompt") if isinstance(data[0], dict) else None
        return GatewayResult(
            images=images,
            usage=parse_usage(usage),
            cost_usd=parse_cost(usage),
            revised_prompt=revised if isinstance(revised, str) else None,
            request_id=request_id,
        )

    async def _image(self, item: Any, request_id: str | None) -> bytes:
        if not isinstance(item, dict):
            raise BadGatewayResponse("malformed JSON", request_id)
        b64, url = item.get("b64_json"), item.get("url")
        if isinstance(b64, bytes) and b64:
            return b64
        if isinstance(b64, str) and b64:
            return await _b64decode(b64, request_id)
        if isinstance(url, str) and url.startswith("data:"):
            return await _data_url(url, request_id)
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return await self._download(url, request_id)
        raise BadGatewayResponse("an image without data", request_id)

    async def _download(self, url: str, request_id: str | None) -> bytes:
        same_origin = origin(url) == origin(self.base_url)
        headers = {"Authorization": f"Bearer {self._api_key}"} if same_origin else {}
        try:
            response = await self._http.get(
                url, headers=headers, follow_redirects=True, timeout=self._timeouts
            )
        except httpx.TimeoutException as exc:
            raise GatewayTimeout(self.timeout, request_id) from exc
        except httpx.TransportError as exc:
            raise BadGatewayResponse("an image link could not be downloaded", request_id) from exc
        if not response.is_success:
            detail = f"an image link answered HTTP {response.status_code}"
            raise BadGatewayResponse(detail, request_id)
        return response.content

    async def _read_stream(
        self, response: httpx.Response, on_partial: PartialCallback | None, request_id: str | None
    ) -> GatewayResult:
        images: list[bytes] = []
        usage: TokenUsage | None = None
        seen = False
        try:
            async for event, data in sse_events(response):
                seen = True
                payload = await _loads(data.encode(), request_id)
                if not isinstance(payload, dict):
                    raise BadGatewayResponse("malformed JSON", request_id)
                if payload.get("error"):
                    raise self._stream_error(payload["error"], request_id)
                kind = event or str(payload.get("type", ""))
                if kind.endswith(".partial_image") and on_partial is not None:
                    await _deliver(on_partial, await self._image(payload, request_id))
                elif kind.endswith(".completed"):
                    images.append(await self._image(payload, request_id))
                    usage = add_usage(usage, parse_usage(payload.get("usage")))
        except httpx.TransportError as exc:
            if not seen or isinstance(exc, httpx.TimeoutException):
                raise
            raise GatewayUnavailable(request_id) from exc
        if not images:
            raise BadGatewayResponse("no images", request_id)
        return GatewayResult(images=tuple(images), usage=usage, request_id=request_id)

    def _stream_error(self, raw: Any, request_id: str | None) -> UserFacingError:
        info = error_info({"error": raw})
        status = 429 if info.code == "rate_limit_exceeded" else 400 if info.param else 500
        return self._error(status, info, request_id, edit=False)


async def _run(large: bool, func: Callable[[], T]) -> T:
    """Run `func` inline when its input is small, in a worker thread when it is large."""
    return await asyncio.to_thread(func) if large else func()


async def _loads(body: bytes, request_id: str | None) -> Any:
    try:
        return await _run(len(body) > LARGE, lambda: json.loads(body))
    except ValueError as exc:
        raise BadGatewayResponse("malformed JSON", request_id) from exc


async def _parse(body: ImageBody, request_id: str | None) -> Any:
    """The response JSON, its base64 images already decoded while the body streamed in."""
    try:
        return await _run(not body.cheap and len(body) > LARGE, body.parse)
    except ValueError as exc:
        raise BadGatewayResponse("malformed JSON", request_id) from exc


async def _b64decode(text: str, request_id: str | None) -> bytes:
    try:
        data = await _run(len(text) > LARGE, lambda: pybase64.b64decode(text, validate=True))
    except ValueError as exc:
        raise BadGatewayResponse("undecodable image data", request_id) from exc
    if not isinstance(data, bytes) or not data:
        raise BadGatewayResponse("undecodable image data", request_id)
    return data


async def _data_url(url: str, request_id: str | None) -> bytes:
    header, comma, payload = url.removeprefix("data:").partition(",")
    if not comma:
        raise BadGatewayResponse("undecodable image data", request_id)
    if header.endswith(";base64"):
        return await _b64decode(payload, request_id)
    return unquote_to_bytes(payload)


async def _data_uri(image: SourceImage) -> str:
    encoded = await _run(len(image.data) > LARGE, lambda: pybase64.b64encode(image.data))
    return f"data:{image.content_type};base64,{encoded.decode('ascii')}"


async def _deliver(on_partial: PartialCallback, image: bytes) -> None:
    try:
        await on_partial(image)
    except Exception:
        log.warning("a partial preview could not be delivered", exc_info=True)
