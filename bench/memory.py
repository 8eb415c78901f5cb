"""rss_mb_per_inflight: memory held by each request while it waits on a slow gateway.

The handler may run 500 gateway calls at once; 500 people ask together and the gateway
sits on every request for DELAY seconds. RSS is sampled every 10 ms while they wait; the
figure is the peak growth over the warmed-up baseline (taken after a second of quiet and
returning malloc's free pages to the system, so that reusing them hides nothing),
divided by 500. Should RSS dip below the baseline on the way, the growth is counted from
the lowest sample instead, which can only overstate it. The requests are
then cancelled (and settled as not charged) rather than answered, since 500 answers of
4.2 MB each would measure the bodies, not the waiting.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
from pathlib import Path

import httpx

from bench.common import bench_settings, emit, note, request, rss_mb
from bot.entry.wiring import open_app

REQUESTS = 500
DELAY = 6.0


def release_free_memory() -> None:
    """Collect garbage and hand malloc's free pages back, so that reuse hides no growth."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


async def at_gateway(url: str) -> int:
    """How many requests the bench gateway is holding right now (asked out of band)."""
    async with httpx.AsyncClient() as client:
        answer = await client.get(url.removesuffix("/v1") + "/_bench/in_flight")
        return int(answer.json()["in_flight"])


async def measure(url: str, tmp: Path, quick: bool) -> None:
    """Print rss_mb_per_inflight."""
    settings = bench_settings(url, tmp / "memory.db", IMAGINE_MAX_CONCURRENT=REQUESTS)
    async with open_app(settings) as app:
        handler = app.handler
        await asyncio.gather(*(handler.generate(request(f"warm-{i}", i)) for i in range(8)))
        await asyncio.sleep(1.0)
        release_free_memory()
        baseline = rss_mb()
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = [
            asyncio.create_task(handler.generate(request(f"wait-{i}", 1000 + i)))
            for i in range(REQUESTS)
        ]
        low = peak = baseline
        while loop.time() - started < DELAY - 1.0:
            await asyncio.sleep(0.01)
            now = rss_mb()
            low, peak = min(low, now), max(peak, now)
        waiting = await at_gateway(url)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    note(
        f"rss: baseline {baseline:.1f} MB, lowest {low:.1f} MB, peak {peak:.1f} MB, "
        f"{waiting} waiting at the gateway"
    )
    emit("rss_mb_per_inflight", (peak - low) / REQUESTS)
