"""A stranger's web server on another loopback address, recording every request that reached it.

    async with Stranger("127.0.0.2") as stranger:   # Linux routes all of 127.0.0.0/8 to lo
        stranger.body = png_bytes                   # what GET <any path> answers (image/png)
        stranger.stream_size = 300 * 1024 * 1024    # or: stream this many bytes, made as sent
        stranger.hang = True                        # or: send headers, then never the body
        url = stranger.url("/cat.png")              # http://127.0.0.2:<port>/cat.png
        assert stranger.requests == []              # [(path, Authorization header or "")]

It stands for any host that is not the service's own: a link planted in a payload, a redirect
target, a CDN. Tests assert what it saw, above all that no credential arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.server import LocalServer

CHUNK = 1024 * 1024


@dataclass
class Stranger(LocalServer):
    """A real HTTP server on `host` (another loopback address than the bot's fakes)."""

    host: str = "127.0.0.2"
    body: bytes = b"stranger's bytes"
    stream_size: int | None = None
    hang: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)
    streamed: int = 0

    def __post_init__(self) -> None:
        super().__init__(host=self.host)

    def url(self, path: str = "/image.png") -> str:
        """A URL on this server."""
        return self.origin + path

    @property
    def credentials(self) -> list[str]:
        """Every Authorization header that arrived (none should)."""
        return [auth for _, auth in self.requests if auth]

    def routes(self) -> list[web.RouteDef]:
        """Any path."""
        return [web.get("/{path:.*}", self._serve)]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, request.headers.get("Authorization", "")))
        if self.stream_size is None and not self.hang:
            return web.Response(body=self.body, content_type="image/png")
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        if self.hang:
            await self.closing.wait()
            return response
        chunk = bytes(CHUNK)
        try:
            while self.streamed < (self.stream_size or 0):
                await response.write(chunk)
                self.streamed += len(chunk)
        except (ConnectionError, RuntimeError):
            return response
        await response.write_eof()
        return response
