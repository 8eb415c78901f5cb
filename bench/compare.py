"""gateway_vs_openai_sdk: our gateway client against the official `openai` package.

Both clients call the same local gateway for one 1024×1024 PNG, in alternating rounds so
that drift in the machine touches both alike. Ours returns decoded image bytes; the
official client returns the base64 text, undecoded. The figure is the ratio of medians.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import openai

from bench.common import KEY, bench_settings, emit, median
from bot.gateway.client import GatewayClient, build_http_client
from bot.models import Options

Call = Callable[[], Awaitable[object]]


async def timed(call: Call, concurrency: int, total: int) -> list[float]:
    """Per-request wall times of `total` calls with at most `concurrency` at once."""
    times: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            await call()
            times.append(time.perf_counter() - started)

    await asyncio.gather(*(one() for _ in range(total)))
    return times


async def ratio(ours: Call, theirs: Call, concurrency: int, total: int, rounds: int) -> float:
    """Median of our times over median of theirs, measured in alternating rounds."""
    mine: list[float] = []
    official: list[float] = []
    for _ in range(rounds):
        mine += await timed(ours, concurrency, total)
        official += await timed(theirs, concurrency, total)
    return median(mine) / median(official)


async def measure(url: str, tmp: Path, quick: bool) -> None:
    """Print gateway_vs_openai_sdk_c1 and gateway_vs_openai_sdk (concurrency 32)."""
    settings = bench_settings(url, tmp / "unused.db")
    rounds = 2 if quick else 4
    async with build_http_client(settings) as http:
        client = GatewayClient.from_settings(http, settings)
        sdk = openai.AsyncOpenAI(base_url=url, api_key=KEY)

        async def ours() -> object:
            return await client.generate("a red balloon", Options())

        async def theirs() -> object:
            return await sdk.images.generate(
                model=settings.model,
                prompt="a red balloon",
                n=1,
                size="1024x1024",
                quality="medium",
                output_format="png",
            )

        try:
            await timed(ours, 4, 8)
            await timed(theirs, 4, 8)
            emit(
                "gateway_vs_openai_sdk_c1",
                await ratio(ours, theirs, 1, 25 if quick else 60, rounds),
            )
            emit(
                "gateway_vs_openai_sdk", await ratio(ours, theirs, 32, 64 if quick else 160, rounds)
            )
        finally:
            await sdk.close()
