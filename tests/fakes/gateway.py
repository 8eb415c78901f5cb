"""A local image gateway on 127.0.0.1 that speaks OpenAI's Images API and Opper's.

    async with FakeGateway() as fake:         # fake.url == "http://127.0.0.1:<port>/v1"
        fake.fail("rate_limit")               # the next image request answers 429
        ...                                   # fake.requests records what arrived

Routes: POST /v1/images/generations (JSON) and /v1/images/edits (multipart), streaming SSE
when asked; POST /v3/images (Opper, `fake.opper_url`); GET /files/<W>x<H>.<fmt> (images behind
`url` results); GET /_fake/requests and POST /_fake/faults for tests running it as a process:
`python -m tests.fakes.gateway --port 0 [--delay S] [--key K] [--cost USD] [--model M ...]
[--fault NAME[:TIMES|:always]]` prints its /v1 URL as the first line of stdout and serves
until SIGTERM or SIGINT.

It answers as the services do: `models` (None: any) are the models it serves, and any other
is answered 404 `model_not_found` in the shape of whoever would answer (Vercel's gateway for
`vendor/model` ids, OpenAI for bare ids, Opper on /v3); `cost` is Vercel's
`provider_metadata.gateway.cost`, a decimal string, on every answer (the final event of a
stream); gpt-image-1-family models take fixed sizes, others any WxH within gpt-image-2's rules,
answered at that size in the format asked for; Opper takes no `auto` and at most 4 images.
GET /v1/models lists `fake.models` in Vercel's shape or OpenAI's (with `shutdown_date`), or
answers 404 when `fake.models.style` is None.
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
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

from tests.fakes.server import (
    Body,
    LocalServer,
    Part,
    Script,
    headers_of,
    json_answer,
    read_body,
    serve_until_signalled,
)

SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")  # gpt-image-1 and its family
FIXED_SIZE_MODELS = re.compile(r"gpt-image-1|chatgpt-image|dall-e")
QUALITIES = ("low", "medium", "high", "auto")
LISTED_WHEN_ANY = ("openai/gpt-image-2",)  # GET /v1/models when every model is served
OPPER_QUALITIES = ("low", "medium", "high", "4k")
FORMATS = ("png", "jpeg", "webp")
OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160}  # at 1024x1024, scaled by area
IMAGE_TOKENS = 323
# fault name -> (HTTP status, code, type, message), as OpenAI (and Vercel's gateway, last
# five) send them; `fail(name, status=..., code=..., param=...)` overrides a field
ERRORS: dict[str, tuple[int, str | None, str, str]] = {
    "rate_limit": (
        429,
        "rate_limit_exceeded",
        "requests",
        "Rate limit reached for images per minute.",
    ),
    "server_error": (
        500,
        None,
        "server_error",
        "The server had an error while processing your request.",
    ),
    "moderation_blocked": (
        400,
        "moderation_blocked",
        "image_generation_user_error",
        "Rejected by the safety system.",
    ),
    "content_policy_violation": (
        400,
        "content_policy_violation",
        "invalid_request_error",
        "Rejected by the safety system.",
    ),
    "insufficient_quota": (
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota.",
    ),
    "unauthorized": (
        401,
        "invalid_api_key",
        "invalid_request_error",
        "Incorrect API key provided.",
    ),
    "not_found": (404, None, "invalid_request_error", "Invalid URL."),
    "model_not_found": (
        404,
        "model_not_found",
        "invalid_request_error",
        "The model does not exist.",
    ),
    "invalid_value": (
        400,
        "invalid_value",
        "invalid_request_error",
        "Invalid value: 'size'. Supported: '1024x1024'.",
    ),
    "forbidden": (403, None, "forbidden", "This model is not allowed by a rule of your team."),
    "customer_verification_required": (
        403,
        None,
        "customer_verification_required",
        "AI Gateway requires a valid credit card on file to service requests.",
    ),
    "free_tier": (
        403,
        None,
        "no_providers_available",
        "Free tier users do not have access to this model. Upgrade to paid credits.",
    ),
    "gateway_budget": (
        402,
        None,
        "quota_for_entity_exceeded",
        'Quota limit exceeded for "key_1". Current spend: $25.00, limit: $25.00.',
    ),
    "no_credit": (402, None, "insufficient_funds", "Insufficient funds. Add credits to continue."),
}
VERCEL_ONLY = (
    "forbidden",
    "customer_verification_required",
    "free_tier",
    "gateway_budget",
    "no_credit",
)
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
    "oversized",  # each image is `bytes` (default 1 MiB) of noise, as JSON or as stream events
    "stream_error",  # one partial image, then an error event (moderation unless `code` given)
    "slow_stream",  # a stream whose partials come at once and each image `seconds` (1) later
    "warning",  # the answer carries Vercel's `warnings` (`message`, default: an ignored mask)
    "opper_v2_content_policy",  # Opper's older refusal: top-level {"type", "message", "detail"}
)
FAULTS = (*ERRORS, *BEHAVIOURS)


@dataclass
class Recorded:
    """One request as the fake saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: Body = field(default_factory=Body)

    @property
    def json(self) -> Any:
        """The JSON body, if one came."""
        return self.body.json

    @property
    def parts(self) -> list[Part]:
        """The multipart parts, in order."""
        return self.body.parts

    @property
    def form(self) -> dict[str, str]:
        """The multipart text fields."""
        return {p.name: p.data.decode() for p in self.parts if p.filename is None}

    @property
    def fields(self) -> dict[str, Any]:
        """The request's parameters: the JSON body, or the multipart text fields."""
        return self.body.fields

    def files(self, name: str) -> list[Part]:
        """The file parts sent under one field name ('image[]', 'image' or 'mask')."""
        return [p for p in self.parts if p.name == name and p.filename is not None]


@dataclass
class ModelList:
    """The models served (None: any) and what GET /v1/models answers: those ids (when any,
    LISTED_WHEN_ANY) in Vercel's shape or OpenAI's; `style` None answers 404."""

    served: list[str] | None = None
    style: str | None = "vercel"
    shutdown_dates: dict[str, str] = field(default_factory=dict)

    def __contains__(self, model: object) -> bool:
        return self.served is None or model in self.served

    def body(self) -> dict[str, Any]:
        """The list as that gateway sends it."""
        listed = LISTED_WHEN_ANY if self.served is None else self.served
        return {"object": "list", "data": [self._item(model) for model in listed]}

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


@functools.lru_cache(maxsize=64)
def image_bytes(size: str, fmt: str = "png", colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A solid image of exactly `size` ('WxH') in a format; cached."""
    width, height = (int(v) for v in size.split("x"))
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt.upper())
    return out.getvalue()


class FakeGateway(LocalServer):
    """A real HTTP server on 127.0.0.1; with `key` set, any other key gets 401."""

    max_body = 256 * 1024 * 1024

    def __init__(
        self,
        *,
        port: int = 0,
        delay: float = 0.0,
        key: str | None = None,
        models: Sequence[str] | None = None,
        cost: str | None = None,
    ) -> None:
        super().__init__(port=port)
        self.delay, self.key = delay, key
        self.models = ModelList(list(models) if models is not None else None)
        self.cost = cost
        self.requests: list[Recorded] = []
        self.faults = Script()
        self.in_flight = self.peak_in_flight = 0
        self.file_redirect: str | None = None  # GET /files/... redirects there when set
        self._ids = itertools.count(1)

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
        self.faults.add(name, times, **params)

    def routes(self) -> list[web.RouteDef]:
        """The image routes of both protocols, image files, the models list, the test hooks."""
        images = ("/v1/images/generations", "/v1/images/edits", "/v3/images")
        return [
            *(web.post(path, self._serve) for path in images),
            web.get("/files/{name}", self._file),
            web.get("/v1/models", self._models),
            web.get("/_fake/requests", self._dump),
            web.post("/_fake/faults", self._add_fault),
        ]

    async def _record(self, request: web.Request) -> Recorded:
        seen = Recorded(request.method, request.path, headers_of(request), await read_body(request))
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
                error = {"code": "invalid_api_key", "message": message}
                return _error(_flavour(seen, ""), 401, error, headers)
            fault = self.faults.take()
            name, params = (fault.name, dict(fault.params)) if fault else ("", {})
            return await self._answer(request, seen, name, params, headers)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, request: web.Request, seen: Recorded, name: str, params: Any, headers: dict[str, str]
    ) -> web.StreamResponse:
        fields, opper = seen.fields, seen.path.startswith("/v3/")
        asked = not opper and str(fields.get("stream", "")).lower() == "true"
        stream = asked and name in (
            "",
            "hang",
            "delay",
            "reset",
            "stream_error",
            "slow_stream",
            "oversized",
        )  # else JSON
        if name in ERRORS or (name == "stream_error" and not stream):
            return _fault(seen, name, params, headers)
        if name == "opper_v2_content_policy":
            body = {"type": "ContentPolicyViolationError", "message": "Rejected.", "detail": None}
            return json_answer(body, status=400, headers=headers)
        model = str(fields.get("model", ""))
        if model not in self.models:
            return _unknown_model(seen, model, headers)
        if name in ("hang", "delay"):
            seconds = params.get("seconds", 3600.0 if name == "hang" else 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), seconds)
        if problem := _invalid(seen, opper):
            error = {"code": "invalid_value", "param": problem, "message": f"Invalid '{problem}'."}
            if opper:
                error = {"code": "validation_error", "message": error["message"]}
                error["details"] = {"field": problem}
            return _error(_flavour(seen, ""), 400, error, headers)
        if name == "reset" and not stream:
            return await _reset(request, headers)
        if name == "malformed_json":
            text = '{"created": 1, "data": [{"b64_json": "iVBOR'
            return web.Response(text=text, content_type="application/json", headers=headers)
        if stream:
            return await self._stream(request, seen, name, params, headers)
        return json_answer(self._body(seen, name, params), headers=headers)

    def _body(self, seen: Recorded, name: str, params: dict[str, Any]) -> dict[str, Any]:
        fields, opper = seen.fields, seen.path.startswith("/v3/")
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
        if self.cost is not None and not opper:
            body["provider_metadata"] = {"gateway": {"cost": self.cost}}
        if name == "warning":
            text = params.get(
                "message", "This model does not support masks; the whole image was edited."
            )
            body["warnings"] = [{"type": "other", "message": text}]
        return body | {"output_format": fmt}

    def _item(self, name: str, params: dict[str, Any], size: str, fmt: str) -> dict[str, Any]:
        if name == "url":
            return {"url": f"{params.get('base', self.origin)}/files/{size}.{fmt}"}
        encoded = base64.b64encode(image_bytes(size, fmt)).decode()
        if name == "data_url":
            return {"url": f"data:image/{fmt};base64,{encoded}"}
        if name == "bad_base64":
            encoded = "%%% not base64 %%%"
        if name == "oversized":
            encoded = _noise(params)
        return {"b64_json": encoded, "mime_type": f"image/{fmt}"}

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
        final = _noise(params) if name == "oversized" else final
        sources = len(seen.files("image[]"))
        # every event carries what was asked, as the spec's stream events require
        asked = {"created_at": int(time.time()), "size": size, "output_format": fmt,
                 "quality": fields.get("quality", "auto"),
                 "background": fields.get("background", "auto")}  # fmt: skip
        for image in range(int(fields.get("n", 1))):
            for index in range(int(fields.get("partial_images", 0))):
                data = {"b64_json": partial, "partial_image_index": index, **asked}
                await _event(response, f"{prefix}.partial_image", data)
            if name == "slow_stream":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.closing.wait(), params.get("seconds", 1.0))
            if name == "reset" and request.transport is not None:
                request.transport.close()
                return response
            if name == "stream_error":
                code, message = params.get("code", "moderation_blocked"), "Rejected."
                types = {error[1]: error[2] for error in ERRORS.values()}
                kind = types.get(code, "invalid_request_error")
                error = {"type": kind, "code": code, "message": message, "param": None}
                await _event(response, "error", {"error": error})
                break
            # per image; the request's input tokens count once, on the first
            usage = _usage(fields | ({"prompt": ""} if image else {}), 0 if image else sources, 1)
            data = {"b64_json": final, "usage": usage, **asked}
            if self.cost is not None and image == int(fields.get("n", 1)) - 1:
                data["provider_metadata"] = {"gateway": {"cost": self.cost}}  # the request's
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
        return json_answer(self.models.body())

    async def _file(self, request: web.Request) -> web.Response:
        await self._record(request)
        if self.file_redirect is not None:
            raise web.HTTPFound(self.file_redirect)
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
        return json_answer({"requests": rows, "peak_in_flight": self.peak_in_flight})

    async def _add_fault(self, request: web.Request) -> web.Response:
        spec = dict(await request.json())
        self.fail(spec.pop("name"), spec.pop("times", 1), **spec)
        return json_answer({"ok": True})


def _size_format(fields: dict[str, Any]) -> tuple[str, str]:
    size = str(fields.get("size", "auto")).replace("auto", "1024x1024")
    fmt = fields.get("output_format") or fields.get("parameters", {}).get("output_format")
    return size, str(fmt or "png")


def _free_size(size: str) -> bool:
    """gpt-image-2's rule: sides multiples of 16, at most 3840 and 3:1, 0.65 to 8.3 megapixels."""
    match = re.fullmatch(r"([1-9][0-9]{1,4})x([1-9][0-9]{1,4})", size)
    if match is None:
        return False
    width, height = int(match[1]), int(match[2])
    long, short = max(width, height), min(width, height)
    ratio_ok = long <= 3 * short and long <= 3840
    return (
        width % 16 == 0 and height % 16 == 0 and ratio_ok and 655_360 <= width * height <= 8_294_400
    )


def _size_ok(size: str, model: str, opper: bool) -> bool:
    if size == "auto":
        return not opper
    return size in SIZES if FIXED_SIZE_MODELS.search(model) else _free_size(size)


def _invalid(seen: Recorded, opper: bool) -> str | None:
    """The parameter the real API would refuse, if any."""
    fields, edit = seen.fields, seen.path.endswith("/edits")
    n = str(fields.get("n", 1))
    quality = fields.get("quality")
    checks = {
        "prompt": bool(fields.get("prompt")),
        "size": "size" not in fields
        or _size_ok(str(fields["size"]), str(fields.get("model", "")), opper),
        "quality": quality is None or quality in (OPPER_QUALITIES if opper else QUALITIES),
        "n": n.isdigit() and 1 <= int(n) <= (4 if opper else 10),
        "output_format": _size_format(fields)[1] in FORMATS,
        "response_format": opper or "response_format" not in fields,
        "moderation": not edit or "moderation" not in fields,
        "store": not opper or isinstance(fields.get("store", False), bool),
        "image": not edit or 1 <= len(seen.files("image[]") or seen.files("image")) <= 16,
        "mask": not edit or _mask_fits(seen),
        "input_fidelity": fields.get("input_fidelity") in (None, "high", "low"),
    }
    return next((param for param, ok in checks.items() if not ok), None)


def _mask_fits(seen: Recorded) -> bool:
    """No mask, or a PNG of the first image's size, as OpenAI requires."""
    masks, images = seen.files("mask"), seen.files("image[]") or seen.files("image")
    if not masks:
        return True
    with (
        Image.open(io.BytesIO(masks[0].data)) as mask,
        Image.open(io.BytesIO(images[0].data)) as first,
    ):
        return mask.format == "PNG" and mask.size == first.size


def _usage(fields: dict[str, Any], sources: int, images: int) -> dict[str, Any]:
    """Token counts like gpt-image-1's: prompt words, 323 per source, per image by area;
    models with free sizes (gpt-image-2) also split the output tokens."""
    quality = str(fields.get("quality", "auto")).replace("auto", "medium")
    width, height = (int(v) for v in _size_format(fields)[0].split("x"))
    text, pictures = len(str(fields.get("prompt", "")).split()), IMAGE_TOKENS * sources
    out = round(OUTPUT_TOKENS[quality] * width * height / 1024**2) * images
    details = {"text_tokens": text, "image_tokens": pictures}
    usage = {"input_tokens": text + pictures, "output_tokens": out, "input_tokens_details": details}
    if not FIXED_SIZE_MODELS.search(str(fields.get("model", ""))):
        usage["output_tokens_details"] = {"text_tokens": 0, "image_tokens": out}
    return usage | {"total_tokens": text + pictures + out}


def _flavour(seen: Recorded, name: str) -> str:
    """Whose error shape an answer takes: Opper on /v3, Vercel for its own faults."""
    if seen.path.startswith("/v3/"):
        return "opper"
    return "vercel" if name in VERCEL_ONLY else "openai"


def _fault(
    seen: Recorded, name: str, params: dict[str, Any], headers: dict[str, str]
) -> web.Response:
    if name == "model_not_found":
        return _unknown_model(seen, str(seen.fields.get("model", "")), headers)
    status, code, kind, message = ERRORS.get(name, ERRORS["moderation_blocked"])
    retry = {"retry-after-ms": "10", "retry-after": "1"} if name == "rate_limit" else {}
    headers |= params.pop("headers", retry)
    status = params.pop("status", status)
    param: Any = "size" if code == "invalid_value" else None
    if name == "forbidden":
        param = {"ruleId": "rule_images_only"}
    error = {"code": code, "type": kind, "message": message, "param": param, **params}
    return _error(_flavour(seen, name), status, error, headers)


def _unknown_model(seen: Recorded, model: str, headers: dict[str, str]) -> web.Response:
    """404 model_not_found as Vercel's gateway (vendor/model ids), OpenAI or Opper says it."""
    flavour = _flavour(seen, "")
    if flavour == "openai" and "/" in model:
        error: dict[str, Any] = {
            "message": f"Model '{model}' not found",
            "type": "model_not_found",
            "param": {"modelId": model},
        }
        return _error("vercel", 404, error, headers)
    message = f"The model `{model}` does not exist or you do not have access to it."
    return _error(flavour, 404, {"code": "model_not_found", "message": message}, headers)


def _error(
    flavour: str, status: int, error: dict[str, Any], headers: dict[str, str]
) -> web.Response:
    """An error body in OpenAI's shape (every field present), Vercel's (absent ones left
    out) or Opper's v3 (`code`, `message`, `details`)."""
    if flavour == "opper":
        kind = error.pop("code", None) or error.get("type") or "error"
        rest = {key: value for key, value in error.items() if key not in ("type", "param")}
        shaped = {"code": kind, "message": "", "details": None, **rest}
    elif flavour == "vercel":
        shaped = {key: value for key, value in error.items() if value is not None}
    else:
        shaped = {"message": "", "type": "invalid_request_error", "param": None, "code": None}
        shaped |= error
    return json_answer({"error": shaped}, status=status, headers=headers)


def _noise(params: dict[str, Any]) -> str:
    return base64.b64encode(os.urandom(int(params.get("bytes", 1024 * 1024)))).decode()


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
    fake = FakeGateway(
        port=args.port, delay=args.delay, key=args.key, models=args.model or None, cost=args.cost
    )
    for spec in args.fault:
        name, _, times = spec.partition(":")
        fake.fail(name, None if times == "always" else int(times or 1))
    await serve_until_signalled(fake, lambda: fake.url)


def main(argv: list[str] | None = None) -> None:
    """Serve as a process until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.gateway")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--key", help="answer 401 unless this key is sent")
    parser.add_argument("--fault", action="append", default=[], help="NAME[:TIMES|:always]")
    parser.add_argument("--model", action="append", default=[], help="serve only these models")
    parser.add_argument("--cost", help="provider_metadata.gateway.cost on every answer")
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
