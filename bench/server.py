"""A lean benchmark gateway: answers /v1/images/generations with pre-encoded JSON bodies.

It runs as its own process so it shares neither the event loop nor the GIL with the client
being measured:

    python -m bench.server [--delay S]    # prints its /v1 URL, serves until SIGTERM

Every body is built once: `n` copies of one 1024×1024 noise PNG (incompressible, so about
3.1 MB of PNG and 4.2 MB of base64) with a gpt-image-2 usage block. The header
`x-gateway-ms` says how long the server itself spent on the request (the delay included);
GET /_bench/in_flight counts the requests sitting in the delay.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import random
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from PIL import Image

SIDE = 1024
SEED = 8
USAGE = {
    "input_tokens": 12,
    "output_tokens": 1056,
    "total_tokens": 1068,
    "input_tokens_details": {"text_tokens": 12, "image_tokens": 0},
}


def noise_png(seed: int = SEED) -> bytes:
    """A 1024×1024 RGB PNG of seeded random noise, which no encoder can shrink."""
    pixels = random.Random(seed).randbytes(SIDE * SIDE * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (SIDE, SIDE), pixels).save(out, format="PNG")
    return out.getvalue()


def response_body(png: bytes, n: int) -> bytes:
    """The JSON an OpenAI-compatible gateway sends for `n` images."""
    encoded = base64.b64encode(png).decode("ascii")
    body = {
        "created": 1_700_000_000,
        "data": [{"b64_json": encoded} for _ in range(n)],
        "background": "opaque",
        "output_format": "png",
        "quality": "medium",
        "size": f"{SIDE}x{SIDE}",
        "usage": USAGE,
    }
    return json.dumps(body).encode()


class BenchGateway:
    """The aiohttp application: one route, bodies cached per `n`."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.png = noise_png()
        self.bodies: dict[int, bytes] = {}
        self.in_flight = 0

    def body(self, n: int) -> bytes:
        """The cached response body for `n` images."""
        if n not in self.bodies:
            self.bodies[n] = response_body(self.png, n)
        return self.bodies[n]

    async def generations(self, request: web.Request) -> web.Response:
        """Answer like /v1/images/generations, after the configured delay."""
        started = time.perf_counter()
        fields = await request.json()
        n = int(fields.get("n", 1))
        if self.delay:
            self.in_flight += 1
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
        body = self.body(max(1, min(n, 10)))
        spent = (time.perf_counter() - started) * 1000
        headers = {"x-request-id": "req_bench", "x-gateway-ms": f"{spent:.3f}"}
        return web.Response(body=body, content_type="application/json", headers=headers)

    async def waiting(self, request: web.Request) -> web.Response:
        """How many requests are sitting in the delay right now."""
        return web.json_response({"in_flight": self.in_flight})


async def serve(delay: float) -> None:
    """Serve on 127.0.0.1 until SIGTERM or SIGINT; the first stdout line is the base URL."""
    gateway = BenchGateway(delay)
    for n in (1, 4):
        gateway.body(n)
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/v1/images/generations", gateway.generations)
    app.router.add_get("/_bench/in_flight", gateway.waiting)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
    await site.start()
    port = runner.addresses[0][1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


@contextmanager
def running(delay: float = 0.0) -> Iterator[str]:
    """Start the server in a child process; yields its /v1 URL and stops it on exit."""
    import subprocess

    args = [sys.executable, "-m", "bench.server", "--delay", str(delay)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the bench gateway did not start")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    """Command line: python -m bench.server [--delay S]."""
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    asyncio.run(serve(parser.parse_args().delay))


if __name__ == "__main__":
    main()
