"""Shared pieces of the benchmarks: settings, requests, percentiles, RSS and loop lag."""

from __future__ import annotations

import asyncio
import gc
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.models import Actor, ImageRequest, Options

KEY = "sk-bench-not-a-secret"
HIGH = 10**9  # a limit that is checked on every reservation but never reached


def bench_settings(url: str, db_path: Path, **env: Any) -> Settings:
    """The bot's settings pointed at the bench gateway and a fresh SQLite file.

    Daily limits are set (and never reached) so that every reservation runs its checks.
    """
    values: dict[str, Any] = {
        "IMAGINE_GATEWAY_URL": url,
        "IMAGINE_GATEWAY_KEY": KEY,
        "IMAGINE_DATABASE_URL": f"sqlite:///{db_path}",
        "IMAGINE_USER_DAILY_IMAGES": HIGH,
        "IMAGINE_CHANNEL_DAILY_IMAGES": HIGH,
        "IMAGINE_USER_DAILY_COST_USD": HIGH,
        "IMAGINE_CHANNEL_DAILY_COST_USD": HIGH,
        "IMAGINE_MAX_N": 10,
    }
    return load_settings(env_file=None, **(values | env))


def quiet_collector() -> None:
    """Collect now, and leave everything alive out of later collections (`gc.freeze`).

    For a load generator just before its timed part: its own long-lived objects (the
    modules it imported, the stand-ins and what they recorded) would otherwise be walked
    again by each full collection during the burst, a pause that lands in the figures.
    """
    gc.collect()
    gc.freeze()


def actor(user: int, channels: int = 4) -> Actor:
    """A Discord user in one of a few channels of one guild."""
    return Actor("discord", "guild-bench", f"channel-{user % channels}", f"user-{user}")


def request(key: str, user: int, *, n: int = 1, cap: int | None = None) -> ImageRequest:
    """A generate request for `n` 1024×1024 PNGs, fitted to an upload cap when given."""
    return ImageRequest(
        kind="generate",
        prompt="a red balloon on a wooden table",
        actor=actor(user),
        idempotency_key=key,
        options=Options(size="1024x1024", quality="medium", n=n, output_format="png"),
        upload_cap_bytes=cap,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The 50th percentile."""
    return percentile(values, 50)


def rss_mb() -> float:
    """This process's resident set size in MB, from /proc."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


class LagMonitor:
    """Samples event-loop lag: how late a 10 ms sleep wakes up, while it runs."""

    def __init__(self, interval: float = 0.010) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(time.perf_counter() - started - self.interval)

    def start(self) -> None:
        """Begin sampling on the running loop."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def emit(name: str, value: float | str) -> None:
    """Print one figure as `name: value`."""
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    print(f"{name}: {value}", flush=True)


def note(text: str) -> None:
    """Print a line scripts skip (it has no `name: value` form)."""
    print(f"# {text}", flush=True)
