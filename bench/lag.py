"""loop_lag_p99_ms: how late the event loop answers while many big requests run.

Every request asks for 4 noise images (a 16.8 MB JSON body) and sets an upload cap of
2 MiB, below the 3.1 MB PNGs, so each image is decoded and re-encoded as WebP. A task
sleeps 10 ms at a time and records how late it wakes: what a Discord heartbeat would see.
The handler keeps the production default of 8 gateway calls at once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.common import LagMonitor, bench_settings, emit, note, percentile, request
from bot.entry.wiring import open_app

CAP = 2 * 1024 * 1024


async def measure(url: str, tmp: Path, quick: bool) -> None:
    """Print loop_lag_p99_ms (and the worst sample as a note)."""
    count = 24 if quick else 200
    async with open_app(bench_settings(url, tmp / "lag.db")) as app:
        await app.handler.generate(request("lag-warm", 10_000, n=4, cap=CAP))
        monitor = LagMonitor()
        monitor.start()
        results = await asyncio.gather(
            *(app.handler.generate(request(f"lag-{i}", i, n=4, cap=CAP)) for i in range(count))
        )
        await monitor.stop()
    refitted = sum(1 for r in results for image in r.images if image.mime_type == "image/webp")
    note(
        f"loop lag: {count} requests x 4 images, {refitted} re-encoded, "
        f"{len(monitor.samples)} samples, worst {max(monitor.samples) * 1000:.1f} ms"
    )
    emit("loop_lag_p99_ms", percentile(monitor.samples, 99) * 1000)
