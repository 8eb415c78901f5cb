"""Downloads with limits: only to allowed origins, redirects checked hop by hop, bytes counted.

    hosts = Hosts.of("https://files.slack.com", settings.slack_api_url)
    got = await fetch(http, url, max_bytes=cap, timeout=t, allowed=hosts,
                      secret={"Authorization": "Bearer ..."}, secret_hosts=hosts)

Every hop of a redirect is checked before it is requested; credentials go only to the
origins named for them; the body is counted as it streams (whatever Content-Length or a
payload claims) and reading stops at the cap. Refusals leave as `Refused` subclasses, which
callers turn into their own messages; transport failures stay httpx errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class Refused(Exception):
    """A download stopped on purpose; the message is for logs, not for people."""


class OffHost(Refused):
    """A URL (or a redirect hop, when `redirected`) outside the allowed origins."""

    def __init__(self, url: str, redirected: bool) -> None:
        where = host_of(url) or "a URL that is not http(s)"
        super().__init__(f"{'a redirect to ' if redirected else ''}{where} is not allowed")
        self.url = url
        self.redirected = redirected


class TooLarge(Refused):
    """The body ran past the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Fetched:
    """A final (non-redirect) answer; `data` is read only for 200."""

    status: int
    content_type: str
    data: bytes


def origin_of(url: str | httpx.URL) -> Origin | None:
    """Scheme, lower-case host and port (defaults filled in); None for a URL that is not http(s)."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except httpx.InvalidURL:
        return None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        return None
    return parsed.scheme, parsed.host.lower(), parsed.port or DEFAULT_PORTS[parsed.scheme]


def host_of(url: str | httpx.URL) -> str:
    """The host a URL names, for logs ('' when it names none)."""
    found = origin_of(url)
    return found[1] if found else ""


@dataclass(frozen=True)
class Hosts:
    """A set of origins a download may reach (or credentials may go to)."""

    origins: frozenset[Origin]

    @classmethod
    def of(cls, *urls: str) -> Hosts:
        """The origins of some base URLs (their paths do not matter)."""
        return cls(frozenset(o for o in map(origin_of, urls) if o is not None))

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str | httpx.URL) and origin_of(url) in self.origins


async def fetch(
    http: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    timeout: httpx.Timeout,
    allowed: Hosts | None = None,
    secret: Mapping[str, str] | None = None,
    secret_hosts: Hosts | None = None,
) -> Fetched:
    """GET a URL within `allowed` (None: any http(s) URL), following redirects by hand.

    `secret` headers are sent only to `secret_hosts`. Raises OffHost, TooLarge, Refused
    (too many redirects) or an httpx error.
    """
    target, redirected = _http_url(url), False
    for _ in range(MAX_REDIRECTS + 1):
        if target is None or (allowed is not None and target not in allowed):
            raise OffHost(str(target or ""), redirected)
        headers = dict(secret) if secret and secret_hosts and target in secret_hosts else {}
        request = http.build_request("GET", target, headers=headers, timeout=timeout)
        response = await http.send(request, stream=True)
        try:
            if response.is_redirect:
                target, redirected = _location(response), True
                continue
            content_type = response.headers.get("content-type", "")
            if response.status_code != 200:
                return Fetched(response.status_code, content_type, b"")
            return Fetched(200, content_type, await read_capped(response, max_bytes))
        finally:
            await response.aclose()
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, counted as it streams; TooLarge as soon as it passes `max_bytes`."""
    claimed = response.headers.get("content-length", "")
    if claimed.isdigit() and int(claimed) > max_bytes:
        raise TooLarge(max_bytes)
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > max_bytes:
            raise TooLarge(max_bytes)
    return bytes(data)


def _http_url(url: str | httpx.URL) -> httpx.URL | None:
    """The URL parsed, or None when it is malformed or not http(s)."""
    if origin_of(url) is None:
        return None
    return url if isinstance(url, httpx.URL) else httpx.URL(url)


def _location(response: httpx.Response) -> httpx.URL | None:
    """Where a redirect points, resolved against the URL that answered it."""
    try:
        return _http_url(response.url.join(response.headers["location"]))
    except httpx.InvalidURL:
        return None
