"""Counting what runs: the tasks a shutdown waits for, and how many run under one key."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@contextmanager
def running(tasks: set[asyncio.Task[object]], counter: Counter[K], key: K) -> Iterator[None]:
    """While the block runs the current task is in `tasks` and `key` counts once more in
    `counter`; a key back at zero leaves the counter."""
    task = asyncio.current_task()
    if task is not None:
        tasks.add(task)
    counter[key] += 1
    try:
        yield
    finally:
        counter[key] -= 1
        if not counter[key]:
            del counter[key]
        if task is not None:
            tasks.discard(task)
