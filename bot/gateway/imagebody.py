"""An images response body, base64-decoded while it streams in; images behind links, capped.

A gateway answers with megabytes of JSON that are almost all `"b64_json": "<base64>"`
strings. `ImageBody` is fed the body chunk by chunk: it cuts each such string out as it
arrives, decodes it with pybase64 a chunk at a time, and keeps the small rest (the
"skeleton") for `json.loads`. Nothing large is scanned twice and no step is long enough
to stall the event loop. Anything unusual (an escape inside the string, bad base64, a
body that does not parse back the same way) falls back to parsing the whole body as before.

`linked_image` reads an image a gateway answered as an http(s) link: counted as it streams,
stopped at MAX_LINKED_IMAGE_BYTES, the key sent only to the gateway's own origin.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pybase64

from bot.fetch import Hosts, Refused, TooLarge, fetch
from bot.gateway.errors import BadGatewayResponse, GatewayTimeout
from bot.wording import human_size

KEY = re.compile(rb'"b64_json"\s*:\s*"')
LOOKBACK = 64  # bytes of the previous chunk searched again, for a key split between chunks
MAX_LINKED_IMAGE_BYTES = 64 * 1024 * 1024


class ImageBody:
    """Feed it chunks, then `parse()`: the JSON, each `b64_json` already decoded to bytes."""

    def __init__(self) -> None:
        self._raw: list[bytes] = []
        self._size = 0
        self._skeleton = bytearray()
        self._scan_from = 0
        self._pieces: list[bytes] | None = None
        self._carry = b""
        self._padded = False
        self._images: list[bytes] = []
        self._split = True

    def __len__(self) -> int:
        return self._size

    @property
    def cheap(self) -> bool:
        """Whether `parse()` is quick enough to run on the event loop."""
        return self._split and self._pieces is None and len(self._skeleton) <= 256 * 1024

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk of the body."""
        self._raw.append(chunk)
        self._size += len(chunk)
        if self._split:
            try:
                self._cut(chunk)
            except ValueError:
                self._split = False

    def parse(self) -> Any:
        """The body as JSON with decoded image bytes; ValueError when it is not JSON."""
        if self._split and self._pieces is None:
            payload = json.loads(self._skeleton)
            if _put_images(payload, self._images):
                return payload
        return json.loads(b"".join(self._raw))

    def _cut(self, chunk: bytes) -> None:
        view, pos = memoryview(chunk), 0
        while pos < len(chunk):
            if self._pieces is None:
                start = len(self._skeleton)
                self._skeleton += view[pos:]
                found = KEY.search(self._skeleton, max(self._scan_from, start - LOOKBACK))
                if found is None:
                    return
                if found.end() <= start:
                    raise ValueError("a key matched twice")
                del self._skeleton[found.end() :]
                pos += found.end() - start
                self._pieces, self._carry, self._padded = [], b"", False
                continue
            end = chunk.find(b'"', pos)
            stop = len(chunk) if end < 0 else end
            if chunk.find(b"\\", pos, stop) >= 0:
                raise ValueError("an escape inside a base64 string")
            self._decode(view[pos:stop])
            if end < 0:
                return
            self._close()
            pos = end + 1

    def _decode(self, text: memoryview) -> None:
        data: bytes | memoryview = self._carry + bytes(text) if self._carry else text
        usable = len(data) - len(data) % 4
        if usable:
            if self._padded:
                raise ValueError("base64 padding before the end")
            assert self._pieces is not None
            self._pieces.append(pybase64.b64decode(data[:usable], validate=True))
            self._padded = data[usable - 1] == ord("=")
        self._carry = bytes(data[usable:])

    def _close(self) -> None:
        assert self._pieces is not None
        image = b"".join(self._pieces)
        if self._carry or not image:
            raise ValueError("an empty or truncated base64 string")
        self._images.append(image)
        self._skeleton += b'"'
        self._scan_from = len(self._skeleton)
        self._pieces = None


def _put_images(payload: Any, images: list[bytes]) -> bool:
    """Put decoded images back where their strings were cut; False if they do not match."""
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return not images
    holes = [item for item in items if isinstance(item, dict) and item.get("b64_json") == ""]
    if len(holes) != len(images):
        return False
    for item, image in zip(holes, images, strict=True):
        item["b64_json"] = image
    return True


async def linked_image(
    http: httpx.AsyncClient,
    url: str,
    *,
    base_url: str,
    api_key: str | None,
    timeout: httpx.Timeout,
    request_id: str | None,
) -> bytes:
    """The image behind a result's http(s) link; the key goes to the gateway's origin only."""
    try:
        got = await fetch(
            http,
            url,
            max_bytes=MAX_LINKED_IMAGE_BYTES,
            timeout=timeout,
            secret={"Authorization": f"Bearer {api_key}"},
            secret_hosts=Hosts.of(base_url),
        )
    except httpx.TimeoutException as exc:
        raise GatewayTimeout(timeout.read or 0.0, request_id) from exc
    except TooLarge as exc:
        limit = human_size(MAX_LINKED_IMAGE_BYTES)
        raise BadGatewayResponse(f"an image link held more than {limit}", request_id) from exc
    except (Refused, httpx.TransportError) as exc:
        raise BadGatewayResponse("an image link could not be downloaded", request_id) from exc
    if got.status != 200:
        raise BadGatewayResponse(f"an image link answered HTTP {got.status}", request_id)
    return got.data
