"""A local image gateway on 127.0.0.1 that speaks OpenAI's Images API and Opper's.

    async with FakeGateway() as fake:         # fake.url == "http://127.0.0.1:<port>/v1"
        fake.fail("rate_limit")               # the next image request answers 429
        ...                                   # fake.requests records what arrived

Routes: POST /v1/images/generations (JSON) and /v1/images/edits (multipart), streaming SSE
when asked; POST /v3/images (Opper, `fake.opper_url`); GET /files/<W>x<H>.<fmt> (images behind
`url` results); GET /_fake/requests and POST /_fake/faults for tests running it as a process:
`python -m tests.fakes.gateway --port 0 [--delay S] [--key K] [--fault NAME[:TIMES|:always]]`
prints its /v1 URL as the first line of stdout and serves until SIGTERM or SIGINT.
GET /v1/models answers `fake.models`: its served ids in Vercel's shape or OpenAI's (with
`shutdown_date`), or 404 when `fake.models.style` is None.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import io
import itertools
import json
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web
from PIL import Image

SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
QUALITIES = ("low", "medium", "high", "auto")
FORMATS = ("png", "jpeg", "webp")
OUTPUT_TOKENS = {"low": (272, 408), "medium": (1056, 1584), "high": (4160, 6240)}
IMAGE_TOKENS = 323
# fault name -> (HTTP status, error code, message); `fail(name, status=..., code=...)` overrides
ERRORS = {
    "rate_limit": (429, "rate_limit_exceeded", "Rate limit reached for images per minute."),
    "server_error": (500, "server_error", "The server had an error processing your request."),
    "moderation_blocked": (400, "moderation_blocked", "Rejected by the safety system."),
    "content_policy_violation": (400, "content_policy_violation", "Rejected by the safety system."),
    "insufficient_quota": (429, "insufficient_quota", "You exceeded your current quota."),
    "unauthorized": (401, "invalid_api_key", "Incorrect API key provided."),
    "not_found": (404, None, "Invalid URL."),
    "model_not_found": (404, "model_not_found", "The model does not exist."),
    "invalid_value": (400, "invalid_value", "Invalid value: 'size'. Supported: '1024x1024'."),
}
ERROR_TYPES = {"moderation_blocked": "image_generation_user_error", "server_error": "server_error"}
BEHAVIOURS = (
    "hang",  # wait `seconds` (default 3600, cut short when the fake closes), then answer
    "delay",  # wait `seconds` (default 1), then answer
    "reset",  # headers and part of the body (a stream: its partials), then the connection drops
    "malformed_json",
    "empty_data",
    "fewer_images",  # `count` images (default n - 1)
    "url",  # http URLs to /files/... on this fake, or on `base` (another origin)
    "data_url",
    "bad_base64",
    "stream_error",  # one partial image, then an error event (moderation unless `code` given)
)
FAULTS = (*ERRORS, *BEHAVIOURS)


@dataclass
class Part:
    """One multipart part of an edit request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Recorded:
    """One request as the fake saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    parts: list[Part] = field(default_factory=list)

    @property
    def form(self) -> dict[str, str]:
        """The multipart text fields."""
        return {p.name: p.data.decode() for p in self.parts if p.filename is None}

    @property
    def fields(self) -> dict[str, Any]:
        """The request's parameters: the JSON body, or the multipart text fields."""
        return self.json if isinstance(self.json, dict) else self.form

    def files(self, name: str) -> list[Part]:
        """The file parts sent under one field name ('image[]', 'image' or 'mask')."""
        return [p for p in self.parts if p.name == name and p.filename is not None]


@dataclass
class ModelList:
    """What GET /v1/models answers: `served` ids, in Vercel's or OpenAI's shape (None: 404)."""

    served: list[str] = field(default_factory=lambda: ["openai/gpt-image-2"])
    style: str | None = "vercel"
    shutdown_dates: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The list as that gateway sends it."""
        return {"object": "list", "data": [self._item(model) for model in self.served]}

    def _item(self, model: str) -> dict[str, Any]:
        owner = model.partition("/")[0] if "/" in model else "system"
        item: dict[str, Any] = {"id": model, "object": "model", "created": 1776729600}
        item["owned_by"] = owner
        if self.style == "vercel":
            pricing = {"input": "0.000005", "output": "0.00003", "input_cache_read": "0.00000125"}
            item |= {"name": model, "type": "image", "pricing": pricing}
        elif model in self.shutdown_dates:
            item["shutdown_date"] = self.shutdown_dates[model]
        return item


@dataclass
class Fault:
    """A scripted misbehaviour for the next `times` image requests (None: every one)."""

    name: str
    times: int | None = 1
    params: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=64)
def image_bytes(size: str, fmt: str = "png", colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A solid image of exactly `size` ('WxH') in a format; cached."""
    width, height = (int(v) for v in size.split("x"))
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt.upper())
    return out.getvalue()


class FakeGateway:
    """A real HTTP server on 127.0.0.1; with `key` set, any other key gets 401."""

    def __init__(self, *, port: int = 0, delay: float = 0.0, key: str | None = None) -> None:
        self.port, self.delay, self.key = port, delay, key
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.models = ModelList()
        self.in_flight = self.peak_in_flight = 0
        self._ids = itertools.count(1)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The OpenAI-protocol base URL (…/v1)."""
        return f"{self.origin}/v1"

    @property
    def opper_url(self) -> str:
        """The Opper-protocol base URL (…/v3)."""
        return f"{self.origin}/v3"

    @property
    def image_requests(self) -> list[Recorded]:
        """The POSTs to image routes, oldest first."""
        return [r for r in self.requests if r.method == "POST" and "/images" in r.path]

    def fail(self, name: str, times: int | None = 1, **params: Any) -> None:
        """Script a fault (one of FAULTS) for the next `times` image requests."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        self.faults.append(Fault(name, times, params))

    async def start(self) -> FakeGateway:
        """Listen on 127.0.0.1 (a random port unless one was given)."""
        app = web.Application(client_max_size=256 * 1024 * 1024)
        for path in ("/v1/images/generations", "/v1/images/edits", "/v3/images"):
            app.router.add_post(path, self._serve)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/_fake/requests", self._dump)
        app.router.add_post("/_fake/faults", self._add_fault)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Release hanging requests and stop serving."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeGateway:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _next_fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.pop(0)
        return fault

    async def _record(self, request: web.Request) -> Recorded:
        headers = {k.lower(): v for k, v in request.headers.items()}
        seen = Recorded(request.method, request.path, headers)
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                seen.json = await request.json()
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                data = bytes(await part.read())
                kind = part.headers.get("Content-Type")
                seen.parts.append(Part(part.name or "", part.filename, kind, data))
        self.requests.append(seen)
        return seen

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        seen = await self._record(request)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            headers = {"x-request-id": f"req_{next(self._ids)}"}
            sent = seen.headers.get("authorization", "")
            if self.key is not None and sent != f"Bearer {self.key}":
                message = f"Incorrect API key provided: {sent}."  # echoed, as some providers do
                return _error(401, {"code": "invalid_api_key", "message": message}, headers)
            fault = self._next_fault() or Fault("")
            return await self._answer(request, seen, fault.name, dict(fault.params), headers)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, request: web.Request, seen: Recorded, name: str, params: Any, headers: dict[str, str]
    ) -> web.StreamResponse:
        fields, opper = seen.fields, seen.path.startswith("/v3/")
        asked = not opper and str(fields.get("stream", "")).lower() == "true"
        stream = asked and name in ("", "hang", "delay", "reset", "stream_error")  # else JSON
        if name in ERRORS or (name == "stream_error" and not stream):
            status, code, message = ERRORS.get(name, ERRORS["moderation_blocked"])
            retry = {"retry-after-ms": "10", "retry-after": "1"} if name == "rate_limit" else {}
            headers |= params.pop("headers", retry)
            status = params.pop("status", status)
            param = "size" if code == "invalid_value" else None
            body = {"code": code, "message": message, "param": param, **params}
            return _error(status, body, headers)
        if name in ("hang", "delay"):
            seconds = params.get("seconds", 3600.0 if name == "hang" else 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)
        if problem := _invalid(seen, opper):
            body = {"code": "invalid_value", "param": problem, "message": f"Invalid '{problem}'."}
            return _error(400, body, headers)
        if name == "reset" and not stream:
            return await _reset(request, headers)
        if name == "malformed_json":
            text = '{"created": 1, "data": [{"b64_json": "iVBOR'
            return web.Response(text=text, content_type="application/json", headers=headers)
        if stream:
            return await self._stream(request, seen, name, params, headers)
        n = int(fields.get("n", 1))
        count = params.get("count", n - 1) if name == "fewer_images" else n
        size, fmt = _size_format(fields)
        items = [self._item(name, params, size, fmt) for _ in range(count)]
        items = [] if name == "empty_data" else items
        if opper:
            usage: dict[str, Any] = {"cost": round(0.04 * len(items), 4), "images": len(items)}
        else:
            usage = _usage(fields, len(seen.files("image[]")), len(items))
        body = {"created": int(time.time()), "data": items, "size": size, "usage": usage}
        return web.json_response(body | {"output_format": fmt}, headers=headers)

    def _item(self, name: str, params: dict[str, Any], size: str, fmt: str) -> dict[str, Any]:
        if name == "url":
            return {"url": f"{params.get('base', self.origin)}/files/{size}.{fmt}"}
        encoded = base64.b64encode(image_bytes(size, fmt)).decode()
        if name == "data_url":
            return {"url": f"data:image/{fmt};base64,{encoded}"}
        if name == "bad_base64":
            encoded = "%%% not base64 %%%"
        return {"b64_json": encoded, "mime_type": f"image/{fmt}", "revised_prompt": None}

    async def _stream(
        self, request: web.Request, seen: Recorded, name: str, params: Any, headers: dict[str, str]
    ) -> web.StreamResponse:
        prefix = "image_edit" if seen.path.endswith("/edits") else "image_generation"
        fields = seen.fields
        size, fmt = _size_format(fields)
        response = web.StreamResponse(headers=headers | {"Content-Type": "text/event-stream"})
        await response.prepare(request)
        partial = base64.b64encode(image_bytes(size, fmt, (128, 128, 128))).decode()
        final = base64.b64encode(image_bytes(size, fmt)).decode()
        sources = len(seen.files("image[]"))
        for image in range(int(fields.get("n", 1))):
            for index in range(int(fields.get("partial_images", 0))):
                data = {"b64_json": partial, "partial_image_index": index, "size": size}
                await _event(response, f"{prefix}.partial_image", data)
            if name == "reset" and request.transport is not None:
                request.transport.close()
                return response
            if name == "stream_error":
                code, message = params.get("code", "moderation_blocked"), "Rejected."
                await _event(response, "error", {"error": {"code": code, "message": message}})
                break
            # per image; the request's input tokens count once, on the first
            usage = _usage(fields | ({"prompt": ""} if image else {}), 0 if image else sources, 1)
            data = {"b64_json": final, "size": size, "output_format": fmt, "usage": usage}
            await _event(response, f"{prefix}.completed", data)
        await response.write_eof()
        return response

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if self.models.style is None:
            return web.Response(status=404, text="Not Found")
        sent = request.headers.get("Authorization", "")
        if self.models.style == "openai" and self.key is not None and sent != f"Bearer {self.key}":
            return _error(401, {"code": "invalid_api_key", "message": "Incorrect API key."}, {})
        return web.json_response(self.models.body())

    async def _file(self, request: web.Request) -> web.Response:
        await self._record(request)
        size, _, fmt = request.match_info["name"].partition(".")
        return web.Response(body=image_bytes(size, fmt), content_type=f"image/{fmt}")

    async def _dump(self, request: web.Request) -> web.Response:
        rows = [
            {
                "method": r.method,
                "path": r.path,
                "headers": r.headers,
                "fields": r.fields,
                "files": [[p.name, p.filename, len(p.data)] for p in r.parts if p.filename],
            }
            for r in self.requests
        ]
        return web.json_response({"requests": rows, "peak_in_flight": self.peak_in_flight})

    async def _add_fault(self, request: web.Request) -> web.Response:
        spec = dict(await request.json())
        self.fail(spec.pop("name"), spec.pop("times", 1), **spec)
        return web.json_response({"ok": True})


def _size_format(fields: dict[str, Any]) -> tuple[str, str]:
    size = str(fields.get("size", "auto")).replace("auto", "1024x1024")
    fmt = fields.get("output_format") or fields.get("parameters", {}).get("output_format")
    return size, str(fmt or "png")


def _invalid(seen: Recorded, opper: bool) -> str | None:
    """The parameter the real API would refuse, if any."""
    fields, edit = seen.fields, seen.path.endswith("/edits")
    n = str(fields.get("n", 1))
    checks = {
        "prompt": bool(fields.get("prompt")),
        "size": fields.get("size", "auto") in SIZES or _free_size(fields),
        "quality": fields.get("quality", "auto") in QUALITIES,
        "n": n.isdigit() and 1 <= int(n) <= (4 if opper else 10),
        "output_format": _size_format(fields)[1] in FORMATS,
        "response_format": opper or "response_format" not in fields,
        "moderation": not edit or "moderation" not in fields,
        "image": not edit or bool(seen.files("image[]") or seen.files("image")),
    }
    return next((param for param, ok in checks.items() if not ok), None)


def _free_size(fields: dict[str, Any]) -> bool:
    """gpt-image-2's rule: sides multiples of 16, 1:3 to 3:1, up to 3840, 655,360-8,294,400 px."""
    width, _, height = str(fields.get("size")).partition("x")
    if not (width.isdigit() and height.isdigit() and "gpt-image-2" in str(fields.get("model"))):
        return False
    w, h = int(width), int(height)
    shaped = w % 16 == 0 and h % 16 == 0 and max(w, h) <= 3840 and 1 / 3 <= w / h <= 3
    return shaped and 655_360 <= w * h <= 8_294_400


def _usage(fields: dict[str, Any], sources: int, images: int) -> dict[str, Any]:
    """Token counts like gpt-image-1's: prompt words, 323 per source, a table per image."""
    quality = str(fields.get("quality", "auto")).replace("auto", "medium")
    square = _size_format(fields)[0] == "1024x1024"
    text, pictures = len(str(fields.get("prompt", "")).split()), IMAGE_TOKENS * sources
    out = OUTPUT_TOKENS[quality][0 if square else 1] * images
    details = {"text_tokens": text, "image_tokens": pictures}
    usage = {"input_tokens": text + pictures, "output_tokens": out, "input_tokens_details": details}
    return usage | {"total_tokens": text + pictures + out}


def _error(status: int, error: dict[str, Any], headers: dict[str, str]) -> web.Response:
    kind = ERROR_TYPES.get(str(error.get("code")), "invalid_request_error")
    body = {"error": {"message": "", "type": kind, "param": None, "code": None, **error}}
    return web.json_response(body, status=status, headers=headers)


async def _event(response: web.StreamResponse, name: str, data: dict[str, Any]) -> None:
    payload = json.dumps({"type": name, **data})
    await response.write(f"event: {name}\ndata: {payload}\n\n".encode())


async def _reset(request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
    """Headers and part of the body, then the connection drops."""
    length = {"Content-Type": "application/json", "Content-Length": "65536"}
    response = web.StreamResponse(headers=headers | length)
    await response.prepare(request)
    await response.write(b'{"created": 1, "data": [{"b64_json": "iVBORw0KGgo')
    assert request.transport is not None
    request.transport.close()
    return response


async def _run(args: argparse.Namespace) -> None:
    async with FakeGateway(port=args.port, delay=args.delay, key=args.key) as fake:
        for spec in args.fault:
            name, _, times = spec.partition(":")
            fake.fail(name, None if times == "always" else int(times or 1))
        print(fake.url, flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Serve as a process until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.gateway")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--key", help="answer 401 unless this key is sent")
    parser.add_argument("--fault", action="append", default=[], help="NAME[:TIMES|:always]")
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
