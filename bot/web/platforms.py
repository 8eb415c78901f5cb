"""What the editor needs of a chat platform, which the composition root provides.

The editor reads the image a link points at and posts the edited result where the original
was. Discord and Slack plug in as adapters with these two methods (`run` maps each platform to
its adapter); `LocalPlatform` serves the CLI and the tests: it reads http(s) URLs and writes
results into a folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from bot.delivery import DeliveryFailed
from bot.fetch import Refused, fetch
from bot.models import Result


@dataclass(frozen=True)
class Origin:
    """Where a result was posted: the place its edit goes back to."""

    platform: str
    workspace: str
    channel: str
    thread: str = ""


class EditorPlatform(Protocol):
    """One chat platform, as the editor uses it."""

    async def source_image(self, origin: Origin, url: str, max_bytes: int) -> bytes:
        """The bytes of an image posted at `origin` (a URL from the platform); raises
        DeliveryFailed when it cannot be read any more."""
        ...

    async def post_result(self, origin: Origin, result: Result, user_id: str) -> str:
        """Post an edit's result at `origin` for `user_id`; returns where, as people read it
        ('#general'); raises DeliveryFailed as a delivery attempt does."""
        ...


class Platforms:
    """The platform of each origin; an origin of one not connected is a clear failure."""

    def __init__(self, by_name: Mapping[str, EditorPlatform]) -> None:
        self._by_name = dict(by_name)

    def add(self, name: str, platform: EditorPlatform) -> None:
        """Connect a platform (an adapter, once it is built)."""
        self._by_name[name] = platform

    def of(self, origin: Origin) -> EditorPlatform:
        """The platform an origin belongs to."""
        found = self._by_name.get(origin.platform)
        if found is None:
            raise DeliveryFailed(
                f"this bot is not connected to {origin.platform} right now",
                transient=False,
                fix="Start the bot with that platform configured, then try again.",
            )
        return found


class LocalPlatform:
    """The CLI's platform: images read over http(s), results written into `out`."""

    def __init__(self, http: httpx.AsyncClient, out: Path) -> None:
        self.http = http
        self.out = out

    async def source_image(self, origin: Origin, url: str, max_bytes: int) -> bytes:
        """GET the image (the URL was signed into the link by the bot itself)."""
        try:
            got = await fetch(self.http, url, max_bytes=max_bytes, timeout=httpx.Timeout(30.0))
        except (httpx.HTTPError, Refused) as exc:
            raise DeliveryFailed(f"the image could not be read ({exc})", transient=False) from None
        if got.status != 200:
            raise DeliveryFailed(f"the image is gone (HTTP {got.status})", transient=False)
        return got.data

    async def post_result(self, origin: Origin, result: Result, user_id: str) -> str:
        """Write the images into the folder."""
        try:
            await asyncio.to_thread(self._write, result)
        except OSError as exc:
            cause = f"{self.out} cannot be written ({exc.strerror})"
            raise DeliveryFailed(cause, transient=False) from None
        return str(self.out)

    def _write(self, result: Result) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for image in result.images:
            (self.out / image.filename).write_bytes(image.data)
