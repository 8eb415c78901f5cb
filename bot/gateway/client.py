"""The image gateway client: OpenAI's Images API or Opper's, over one shared httpx client.

    generate / edit / vary (bot/backend.py) -> make -> _send (key check, deadline, retries)
        -> _attempt (one HTTP exchange) -> Answers.body, .result | Answers.stream

The request is built in bot/gateway/operations.py (Opper's body in bot/gateway/opper.py), the
answer read in bot/gateway/answers.py, base64 and JSON decoded in bot/gateway/decoding.py.
Every answer is read with a cap (n images' base64, one image's per stream event, 1 MiB of an
error). Every failure leaves as a `bot.errors` type whose message is safe to show; the API key
is sent only to the gateway's own origin and never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import httpx

from bot.backend import ImageBackend, Job
from bot.config import DEFAULT_VARY_PROMPT, Settings
from bot.errors import BadRequest, UserFacingError
from bot.fetch import origin_of
from bot.gateway import decoding, operations
from bot.gateway.answers import Answers, error_body
from bot.gateway.errors import (
    GatewayError,
    GatewayMisconfigured,
    GatewayTimeout,
    GatewayUnavailable,
    ModelNotOffered,
)
from bot.gateway.failures import NO_RETRY, Retry, classify, stream_status, unreachable_cause
from bot.gateway.imagebody import MAX_LINKED_IMAGE_BYTES
from bot.gateway.operations import Call
from bot.gateway.served import fetch_listing
from bot.gateway.transport import AiohttpTransport
from bot.gateway.wire import (
    ErrorInfo,
    backoff,
    error_info,
    json_or_none,
    retry_after,
    should_retry,
)
from bot.models import GatewayResult, PartialCallback
from bot.wording import format_duration, plural

log = logging.getLogger(__name__)

WireProtocol = Literal["openai", "opper"]


def build_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client the bot shares, with the gateway's timeouts; the caller closes it."""
    timeout = httpx.Timeout(settings.gateway_timeout, connect=settings.gateway_connect_timeout)
    limits = httpx.Limits(max_connections=max(100, 2 * settings.max_concurrent))
    return httpx.AsyncClient(timeout=timeout, transport=AiohttpTransport(limits))


class GatewayClient(ImageBackend):
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
        self._answers = Answers(
            http,
            base_url=self.base_url,
            api_key=api_key,
            timeouts=self._timeouts,
            max_image_bytes=max_image_bytes,
            host=self.host,
        )

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

    async def make(self, job: Job, on_partial: PartialCallback | None) -> GatewayResult:
        """New images, or an edit of the job's sources (a variation is an edit); previews
        stream to `on_partial` when given and the protocol streams."""
        model = job.options.model or self.model
        if self.protocol == "opper":
            return await self._send(await operations.opper(job, model, self.opper_store), None)
        build = operations.generation if job.kind == "generate" else operations.edit
        return await self._send(build(job, model, on_partial is not None), on_partial)

    async def _send(self, call: Call, on_partial: PartialCallback | None) -> GatewayResult:
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

    def _give_up(self, retry: Retry, path: str, attempts: int) -> None:
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

    async def _with_retries(self, call: Call, on_partial: PartialCallback | None) -> GatewayResult:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        attempt = 0
        while True:
            try:
                return await self._attempt(call, on_partial)
            except Retry as retry:
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

    def _headers(self, call: Call) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        headers["Accept"] = (
            "text/event-stream, application/json" if call.stream else "application/json"
        )
        if call.json_body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    async def _attempt(self, call: Call, on_partial: PartialCallback | None) -> GatewayResult:
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
                    raise await self._failure(response, await error_body(response), call)
                if call.stream and response.headers.get("content-type", "").startswith(
                    "text/event-stream"
                ):
                    return await self._answers.stream(
                        response, on_partial, request_id, partial(self._stream_error, call)
                    )
                body = await self._answers.body(response, call.n, request_id)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            if not isinstance(exc, httpx.ConnectTimeout):
                raise self._timed_out() from exc
            raise Retry(GatewayUnavailable(), "timed out", None, unreachable=True) from exc
        except httpx.TransportError as exc:
            cause = unreachable_cause(exc)
            unreachable = isinstance(exc, httpx.ConnectError)
            raise Retry(GatewayUnavailable(), cause, None, unreachable=unreachable) from exc
        return await self._answers.result(await decoding.parse_body(body, request_id), request_id)

    async def _failure(self, response: httpx.Response, content: bytes, call: Call) -> Exception:
        status, headers = response.status_code, response.headers
        request_id = headers.get("x-request-id")
        info = error_info(json_or_none(content))
        error = await self._classified(status, info, call.model, call.edit, request_id)
        if not isinstance(error, NO_RETRY) and should_retry(status, headers):
            return Retry(error, f"HTTP {status}", retry_after(headers))
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

    async def _stream_error(self, call: Call, raw: Any, request_id: str | None) -> UserFacingError:
        info = error_info({"error": raw})
        return await self._classified(stream_status(info), info, call.model, False, request_id)
