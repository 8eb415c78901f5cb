"""What every local fake stands on: a real aiohttp server on a loopback address and a free port.

    class FakeThing(LocalServer):
        max_body = 64 * 1024 * 1024              # a larger request body is answered 413
        def routes(self) -> list[web.RouteDef]: ...
        def describe(self) -> str: ...           # what it saw, for a failing `until`

    async with FakeThing() as fake:              # fake.origin == "http://127.0.0.1:<port>"
        await fake.until(lambda: fake.seen)      # poll its state (woken early by `noted()`)

Also here: `read_body` (a request's JSON, form fields or multipart parts, as they came),
`headers_of`, `Script` (fault knobs: a scripted answer for the next requests that match),
`json_answer`, and `serve_until_signalled` for running a fake as its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from aiohttp import BodyPartReader, web

T = TypeVar("T")
POLL_S = 0.02  # how often `until` looks again at state nobody notes


@dataclass
class Part:
    """One multipart part of a request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Body:
    """A request's body as it came: JSON, form fields, or multipart parts."""

    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)

    @property
    def fields(self) -> dict[str, Any]:
        """The parameters: the JSON object, else the form fields and multipart text parts."""
        if isinstance(self.json, dict):
            return self.json
        texts = {p.name: p.data.decode() for p in self.parts if p.filename is None}
        return self.form | texts


async def read_body(request: web.Request) -> Body:
    """Read a request's whole body (within the server's `max_body`) by its content type."""
    body = Body()
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            data = bytes(await part.read())
            kind = part.headers.get("Content-Type")
            body.parts.append(Part(part.name or "", part.filename, kind, data))
    elif request.content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        body.form = {key: value for key, value in form.items() if isinstance(value, str)}
    elif request.can_read_body:
        with contextlib.suppress(ValueError):
            body.json = json.loads(await request.read())
    return body


def headers_of(request: web.Request) -> dict[str, str]:
    """A request's headers, names in lower case."""
    return {name.lower(): value for name, value in request.headers.items()}


def json_answer(
    body: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    charset: str | None = "utf-8",
) -> web.Response:
    """A JSON answer; with `charset` None the type is exactly `application/json`."""
    data = json.dumps(body).encode()
    return web.Response(
        body=data, status=status, headers=headers, content_type="application/json", charset=charset
    )


def parse_json(value: Any) -> Any:
    """A JSON-encoded form field decoded (a value that is no string is already decoded)."""
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` requests it matches (None: every one)."""

    name: str
    times: int | None = 1
    params: dict[str, Any] = field(default_factory=dict)


class Script:
    """Fault knobs: each request takes the oldest scripted fault that matches it."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, name: str, times: int | None = 1, **params: Any) -> None:
        """Script `name` for the next `times` matching requests (None: every one)."""
        self.faults.append(Fault(name, times, params))

    def take(self, matches: Callable[[Fault], bool] = lambda fault: True) -> Fault | None:
        """The oldest fault that `matches`, counted once (and dropped when spent)."""
        fault = next((f for f in self.faults if matches(f)), None)
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
        return fault

    def clear(self) -> None:
        """Forget every scripted fault."""
        self.faults.clear()


class LocalServer:
    """A real HTTP server on `host` (a loopback address), on a free port unless given one.

    `closing` is set when it stops, so answers that hang end then; every websocket it
    accepted through `websocket()` is in `sockets` and is closed first.
    """

    max_body = 1024 * 1024  # aiohttp's default cap on a request body

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.closing = asyncio.Event()
        self.sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        """http://<host>:<port>"""
        return f"http://{self.host}:{self.port}"

    def routes(self) -> list[web.RouteDef]:
        """The routes the fake serves."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the fake saw, for the message of an `until` that timed out."""
        return ""

    async def start(self) -> Self:
        """Listen on host:port (port 0: a free one, then known as `port`)."""
        app = web.Application(client_max_size=self.max_body)
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Release hanging answers, close websockets and stop serving."""
        self.closing.set()
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Accept a websocket (kept in `sockets`, closed by `close()`)."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        return socket

    async def noted(self) -> None:
        """Wake every `until` now: the fake recorded something."""
        async with self._changed:
            self._changed.notify_all()

    async def until(self, predicate: Callable[[], T], *, timeout: float = 15.0) -> T:
        """Wait until `predicate()` is truthy and return it; AssertionError after `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while not (value := predicate()):
                left = deadline - loop.time()
                if left <= 0:
                    raise AssertionError(f"condition not met; {self.describe()}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, POLL_S))
        return value


async def serve_until_signalled(fake: LocalServer, url: Callable[[], str]) -> None:
    """Start `fake`, print `url()` as the first line of stdout, serve until SIGTERM or SIGINT."""
    async with fake:
        print(url(), flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()
