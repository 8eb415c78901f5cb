"""python -m bench [--quick] [--only GROUP]: print one `name: value` line per figure.

Each group of figures runs in a fresh process (so memory, threads and the loop start
clean), next to its own bench gateway process (so the server shares neither loop nor GIL
with the client being measured) unless it brings its own stand-ins (delay None). Lines
starting with '#' are notes, not figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from contextlib import nullcontext
from pathlib import Path

from bench import ack, calls, compare, lag, ledger, memory, overhead
from bench.common import note
from bench.server import noise_png, response_body, running

Measure = Callable[[str, Path, bool], Coroutine[object, object, None]]
# group -> (what it measures, the bench gateway's delay in seconds; None: no bench gateway)
GROUPS: dict[str, tuple[Measure, float | None]] = {
    "compare": (compare.measure, 0.0),
    "overhead": (overhead.measure, 0.0),
    "lag": (lag.measure, 0.0),
    "ledger": (ledger.measure, 0.0),
    "memory": (memory.measure, memory.DELAY),
    "ack": (ack.measure, None),
    "calls": (calls.measure, None),
}


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run_group(name: str, quick: bool) -> None:
    """Measure one group in this process, against a fresh gateway and temporary files."""
    measure, delay = GROUPS[name]
    gateway = nullcontext("") if delay is None else running(delay)
    with tempfile.TemporaryDirectory(prefix="imagine-bench-") as tmp, gateway as url:
        asyncio.run(measure(url, Path(tmp), quick))


def run_all(quick: bool) -> int:
    """Run every group in its own child process; returns the number that failed."""
    note(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    note("mode: quick" if quick else "mode: full")
    png = noise_png()
    body = response_body(png, 1)
    note(f"response: one 1024x1024 noise PNG, {len(png):,} bytes; {len(body):,} bytes of JSON")
    failed = 0
    started = time.perf_counter()
    for name in GROUPS:
        args = [sys.executable, "-m", "bench", "--only", name, *(["--quick"] if quick else [])]
        if subprocess.run(args, check=False).returncode != 0:
            note(f"group {name} failed")
            failed += 1
    note(f"total: {time.perf_counter() - started:.1f} s")
    return failed


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples: under 2 minutes")
    parser.add_argument("--only", choices=sorted(GROUPS), help="run one group of figures")
    args = parser.parse_args()
    if args.only:
        run_group(args.only, args.quick)
    else:
        sys.exit(1 if run_all(args.quick) else 0)


if __name__ == "__main__":
    main()
