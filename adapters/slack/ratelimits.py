"""Slack's rate limits: every Web API call waits out a 429's Retry-After, within fixed bounds.

slack_sdk's async client retries only dropped connections by default. Every client the bot
builds (its own and bolt's) gets the handlers below: a 429 is retried after the seconds its
`Retry-After` names, at most RATE_LIMIT_RETRIES times and never when Slack asks for more than
MAX_RETRY_AFTER_S (then the call fails at once with Slack's `ratelimited`); 500 and 503 are
retried with a short backoff. One call therefore sleeps at most about a minute and a half
for Slack's sake before it succeeds or fails with Slack's own error.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER_S = 30.0
SERVER_ERROR_RETRIES = 2
DEFAULT_RETRY_AFTER_S = 1.0  # a 429 without a usable Retry-After (Slack always sends one)
JITTER_S = 0.5


def retry_after(headers: Mapping[str, Sequence[str] | str]) -> float:
    """The seconds a 429's Retry-After asks for (slack_sdk keeps each header as a list)."""
    for name, value in headers.items():
        if name.lower() != "retry-after":
            continue
        raw = value if isinstance(value, str) else next(iter(value), "")
        try:
            return max(0.0, float(raw))
        except ValueError:
            break
    return DEFAULT_RETRY_AFTER_S


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 after its Retry-After; gives up when Slack asks for longer than a cap."""

    def __init__(self, base_url: str, max_retry_count: int, max_wait_s: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.base_url = base_url
        self.max_wait_s = max_wait_s

    def _method(self, request: HttpRequest) -> str:
        url = request.url
        return url[len(self.base_url) :] if url.startswith(self.base_url) else "a file upload"

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        if wait > self.max_wait_s:
            log.warning(
                "Slack rate-limited %s and asked to wait %.0f s, longer than the %.0f s the bot "
                "waits; giving up on this call",
                self._method(request),
                wait,
                self.max_wait_s,
            )
            return False
        log.info("Slack rate-limited %s; retrying in %.0f s", self._method(request), wait)
        return True

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Sleep for the Retry-After (plus a little jitter), then count the attempt."""
        wait = retry_after(response.headers) if response is not None else DEFAULT_RETRY_AFTER_S
        state.next_attempt_requested = True
        await asyncio.sleep(wait + random.uniform(0, JITTER_S))
        state.increment_current_attempt()


def retry_handlers(base_url: str) -> list[AsyncRetryHandler]:
    """Rate limits, server errors and dropped connections, each retried within its bounds."""
    return [
        BoundedRateLimitRetryHandler(base_url, RATE_LIMIT_RETRIES, MAX_RETRY_AFTER_S),
        AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        AsyncConnectionErrorRetryHandler(),
    ]


def web_client(token: str, base_url: str) -> AsyncWebClient:
    """A Web API client that honours Slack's rate limits (see the module docstring)."""
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(base_url))
