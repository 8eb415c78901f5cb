"""The image gateway client: OpenAI's Images API or Opper's, over one shared httpx client.

    generate / edit / vary -> _send (key check, overall deadline, retries)
                           -> _attempt (one HTTP exchange) -> _result | _read_stream

Opper's request body is built in bot/gateway/opper.py, base64 and JSON are decoded in
bot/gateway/decoding.py.
Every answer is read with a cap (n images' base64, one image's per stream event, 1 MiB of an
error). Every failure leaves as a `bot.errors` type whose message is safe to show; the API key
is sent only to the gateway's own origin and never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import httpx

from bot.config import DEFAULT_VARY_PROMPT, Settings
from bot.errors import BadRequest, UserFacingError, format_duration, human_size, plural
from bot.fetch import TooLarge, origin_of, read_capped
from bot.gateway import decoding, opper
from bot.gateway.errors import (
    BadGatewayResponse,
    ContentBlocked,
    EditUnsupported,
    GatewayBudgetSpent,
    GatewayError,
    GatewayMisconfigured,
    GatewayTimeout,
    GatewayUnavailable,
    ModelNotOffered,
    QuotaExhausted,
)
from bot.gateway.failures import classify, stream_status, unreachable_cause
from bot.gateway.imagebody import MAX_LINKED_IMAGE_BYTES, ImageBody, linked_image
from bot.gateway.served import fetch_listing
from bot.gateway.transport import AiohttpTransport
from bot.gateway.wire import (
    MAX_WARNINGS,
    ErrorInfo,
    add_usage,
    backoff,
    error_info,
    json_or_none,
    parse_cost,
    parse_usage,
    parse_warnings,
    retry_after,
    should_retry,
    sse_events,
)
from bot.models import GatewayResult, Options, PartialCallback, SourceImage, TokenUsage

log = logging.getLogger(__name__)

WireProtocol = Literal["openai", "opper"]
ANSWER_MARGIN = 16 * 1024  # an answer's JSON around its base64: usage, metadata
MAX_ERROR_BYTES = 1024 * 1024
PARTIAL_IMAGES = 2
NO_RETRY = (
    ContentBlocked,
    QuotaExhausted,
    GatewayBudgetSpent,
    GatewayMisconfigured,
    EditUnsupported,
)
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
    model: str
    json_body: bytes | None = None
    form: dict[str, str] | None = None
    files: list[FileField] | None = None
    edit: bool = False
    stream: bool = False
    n: int = 1


class _Retry(Exception):
    """An attempt failed in a way worth another try; `error` is raised when tries run out.

    `reason` is for the log: 'HTTP 503', or why the connection failed ('connection refused').
    """

    def __init__(
        self,
        error: GatewayError | BadRequest,
        reason: str,
        delay: float | None,
        *,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.delay = delay
        self.unreachable = unreachable


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
        opper_store: bool = False,
        on_retry: Callable[[], None] | None = None,
        max_image_bytes: int = MAX_LINKED_IMAGE_BYTES,
    ) -> None:
        self._http = http
        self.max_image_bytes = max_image_bytes
        self._on_retry = on_retry
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.protocol = protocol
        self.max_retries = max_retries
        self.timeout = timeout
        self.vary_prompt = vary_prompt
        self.opper_store = opper_store
        self._timeouts = httpx.Timeout(timeout, connect=http.timeout.connect)
        found = origin_of(self.base_url)
        self.host = f"{found[1]}:{found[2]}" if found else "(no http URL)"  # for logs

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
            opper_store=settings.opper_store,
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
        fields = self._fields(prompt, options, user, on_partial is not None, edit=False)
        body = json.dumps(fields).encode()
        call = _Call(
            "/images/generations",
            fields["model"],
            json_body=body,
            stream=bool(on_partial),
            n=options.n,
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
        fields = self._fields(prompt, options, user, on_partial is not None, edit=True)
        form = {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in fields.items()
        }
        # one `image[]` part per image (a blend sends several), then the mask of the first
        files: list[FileField] = [("image[]", (i.filename, i.data, i.content_type)) for i in images]
        if mask is not None:
            files.append(("mask", (mask.filename, mask.data, mask.content_type)))
        streamed = bool(on_partial)
        call = _Call("/images/edits", form["model"], None, form, files, True, streamed, options.n)
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
        self, prompt: str, options: Options, user: str | None, stream: bool, *, edit: bool
    ) -> dict[str, Any]:
        """The request's parameters: `moderation` on generations only (the multipart edit
        has no such field), `input_fidelity` on edits only."""
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
            "input_fidelity": options.input_fidelity if edit else None,
            "moderation": None if edit else options.moderation,
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
        model = options.model or self.model
        body = await opper.request_body(prompt, options, images, mask, model, self.opper_store)
        return _Call("/images", model, body, edit=bool(images), n=options.n)

    async def _send(self, call: _Call, on_partial: PartialCallback | None) -> GatewayResult:
        if not self._api_key:
            raise GatewayMisconfigured("no API key is set (IMAGINE_GATEWAY_KEY)")
        try:
            async with asyncio.timeout(self.timeout):
                return await self._with_retries(call, on_partial)
        except TimeoutError:
            raise self._timed_out() from None

    def _timed_out(self, request_id: str | None = None) -> GatewayTimeout:
        wait = format_duration(self.timeout)
        log.info("gateway %s did not answer within %s", self.host, wait)
        return GatewayTimeout(self.timeout, request_id)

    def _give_up(self, retry: _Retry, path: str, attempts: int) -> None:
        """Log the last failure: a warning naming host and cause when nothing could connect."""
        tries = plural(attempts, "attempt")
        if retry.unreachable:
            log.warning(
                "gateway %s unreachable: %s; gave up after %s", self.host, retry.reason, tries
            )
            return
        request_id = getattr(retry.error, "gateway_request_id", None)
        log.info(
            "gateway %s: %s (x-request-id %s); gave up after %s",
            path,
            retry.reason,
            request_id,
            tries,
        )

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
                    self._give_up(retry, call.path, attempt + 1)
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
                    raise await self._failure(response, await _error_body(response), call)
                if call.stream and response.headers.get("content-type", "").startswith(
                    "text/event-stream"
                ):
                    return await self._read_stream(response, call, on_partial, request_id)
                body = await self._read_body(response, call, request_id)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            if not isinstance(exc, httpx.ConnectTimeout):
                raise self._timed_out() from exc
            raise _Retry(GatewayUnavailable(), "timed out", None, unreachable=True) from exc
        except httpx.TransportError as exc:
            cause = unreachable_cause(exc)
            unreachable = isinstance(exc, httpx.ConnectError)
            raise _Retry(GatewayUnavailable(), cause, None, unreachable=unreachable) from exc
        return await self._result(await decoding.parse_body(body, request_id), request_id)

    async def _read_body(
        self, response: httpx.Response, call: _Call, request_id: str | None
    ) -> ImageBody:
        """The JSON answer, fed to ImageBody as it streams; refused past n images' base64."""
        limit = call.n * self.max_image_bytes * 4 // 3 + ANSWER_MARGIN
        claimed = response.headers.get("content-length", "")
        body = ImageBody()
        if claimed.isdigit() and int(claimed) > limit:
            raise BadGatewayResponse(f"an answer larger than {human_size(limit)}", request_id)
        async for chunk in response.aiter_bytes():
            body.feed(chunk)
            if len(body) > limit:
                raise BadGatewayResponse(f"an answer larger than {human_size(limit)}", request_id)
        return body

    async def _failure(self, response: httpx.Response, content: bytes, call: _Call) -> Exception:
        status, headers = response.status_code, response.headers
        request_id = headers.get("x-request-id")
        info = error_info(json_or_none(content))
        error = await self._classified(status, info, call.model, call.edit, request_id)
        if not isinstance(error, NO_RETRY) and should_retry(status, headers):
            return _Retry(error, f"HTTP {status}", retry_after(headers))
        return error

    async def _classified(
        self, status: int, info: ErrorInfo, model: str, edit: bool, request_id: str | None
    ) -> GatewayError | BadRequest:
        """The error to show; an unknown model's names what the gateway offers instead."""
        setting = "IMAGINE_MODEL" if model.lower() == self.model.lower() else "IMAGINE_MODELS"
        error = classify(
            status,
            info,
            model=model,
            edit=edit,
            secret=self._api_key,
            request_id=request_id,
            setting=setting,
        )
        if isinstance(error, ModelNotOffered):
            return ModelNotOffered(model, await self.offered(), request_id, setting)
        return error

    async def offered(self) -> tuple[str, ...]:
        """The image models the gateway lists at `GET {base}/models`; () when it has no list."""
        return (await fetch_listing(self._http, self.base_url, self._api_key)).images

    async def _result(self, payload: Any, request_id: str | None) -> GatewayResult:
        if not isinstance(payload, dict):
            raise BadGatewayResponse("malformed JSON", request_id)
        data = payload.get("data")
        if not isinstance(data, list) or not data:
            raise BadGatewayResponse("no images", request_id)
        images = tuple([await self._image(item, request_id) for item in data])
        revised = data[0].get("revised_prompt") if isinstance(data[0], dict) else None
        return GatewayResult(
            images=images,
            usage=parse_usage(payload.get("usage")),
            cost_usd=parse_cost(payload),
            revised_prompt=revised if isinstance(revised, str) else None,
            request_id=request_id,
            warnings=parse_warnings(payload, self._api_key),
        )

    async def _image(self, item: Any, request_id: str | None) -> bytes:
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
                self._http,
                url,
                base_url=self.base_url,
                api_key=self._api_key,
                timeout=self._timeouts,
                request_id=request_id,
            )
        raise BadGatewayResponse("an image without data", request_id)

    async def _read_stream(
        self,
        response: httpx.Response,
        call: _Call,
        on_partial: PartialCallback | None,
        request_id: str | None,
    ) -> GatewayResult:
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
                    raise await self._stream_error(payload["error"], call, request_id)
                kind = event or str(payload.get("type", ""))
                if kind.endswith(".partial_image") and on_partial is not None:
                    await _deliver(on_partial, await self._image(payload, request_id))
                elif kind.endswith(".completed"):
                    images.append(await self._image(payload, request_id))
                    usage = add_usage(usage, parse_usage(payload.get("usage")))
                if (reported := parse_cost(payload)) is not None:
                    cost = reported  # the final event's figure covers the whole request
                warnings += parse_warnings(payload, self._api_key)
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

    async def _stream_error(self, raw: Any, call: _Call, request_id: str | None) -> UserFacingError:
        info = error_info({"error": raw})
        return await self._classified(stream_status(info), info, call.model, False, request_id)


async def _error_body(response: httpx.Response) -> bytes:
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
