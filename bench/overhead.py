"""overhead_ms_p50/p99, floor_ms and jobs_per_s: the handler's cost on top of the gateway.

The gateway's own time is what the cheapest possible client pays for the same exchange: a
raw asyncio stream that sends the request and reads the body's bytes, parsing nothing. It
includes the server and the loopback transfer, which no client can avoid. The overhead of
one request is the handler's end-to-end time (limits, reserve, slot, HTTP call, decode,
fit for upload, settle) minus the median of that raw time, measured in alternation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pybase64

from bench.common import KEY, bench_settings, emit, median, percentile, request
from bench.server import noise_png, response_body
from bot.entry.wiring import open_app
from bot.handler import ImagineHandler

_REQUEST_BODY = json.dumps(
    {"model": "openai/gpt-image-2", "prompt": "a red balloon", "n": 1, "size": "1024x1024"}
).encode()


class RawClient:
    """One keep-alive HTTP/1.1 connection that reads response bytes and nothing more."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = f"{parts.path}/images/generations"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def fetch(self) -> float:
        """Seconds for one exchange: send the request, read headers and body."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 24
            )
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(_REQUEST_BODY)}\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        self.writer.write(head + _REQUEST_BODY)
        headers = await self.reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in headers.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return time.perf_counter() - started

    async def close(self) -> None:
        """Close the connection."""
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def floor_ms(samples: int) -> float:
    """Median milliseconds to JSON-parse the response and base64-decode its image."""
    body = response_body(noise_png(), 1)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        payload = json.loads(body)
        pybase64.b64decode(payload["data"][0]["b64_json"], validate=True)
        times.append(time.perf_counter() - started)
    return median(times) * 1000


async def overhead(handler: ImagineHandler, url: str, samples: int) -> list[float]:
    """Per-request handler time minus the gateway's own (raw) median time, in ms."""
    raw = RawClient(url)
    handler_times: list[float] = []
    raw_times: list[float] = []
    try:
        for i in range(samples + 5):
            raw_time = await raw.fetch()
            started = time.perf_counter()
            await handler.generate(request(f"overhead-{i}", i))
            if i >= 5:
                handler_times.append(time.perf_counter() - started)
                raw_times.append(raw_time)
    finally:
        await raw.close()
    gateway = median(raw_times)
    return [(t - gateway) * 1000 for t in handler_times]


async def jobs_per_s(handler: ImagineHandler, users: int, total: int) -> float:
    """Requests finished per second with `users` people each asking again when served."""
    keys = itertools.count()

    async def person(user: int, jobs: int) -> None:
        for _ in range(jobs):
            await handler.generate(request(f"jobs-{next(keys)}", user))

    await asyncio.gather(*(person(u, 1) for u in range(users)))
    started = time.perf_counter()
    await asyncio.gather(*(person(u, total // users) for u in range(users)))
    return (total // users * users) / (time.perf_counter() - started)


async def measure(url: str, tmp: Path, quick: bool) -> None:
    """Print floor_ms, overhead_ms_p50, overhead_ms_p99 and jobs_per_s."""
    emit("floor_ms", floor_ms(30))
    async with open_app(bench_settings(url, tmp / "overhead.db")) as app:
        values = await overhead(app.handler, url, 60 if quick else 300)
    emit("overhead_ms_p50", median(values))
    emit("overhead_ms_p99", percentile(values, 99))
    settings = bench_settings(url, tmp / "jobs.db", IMAGINE_MAX_CONCURRENT=64)
    async with open_app(settings) as app:
        emit("jobs_per_s", await jobs_per_s(app.handler, 64, 320 if quick else 1280))
