"""A bot with its web face on 127.0.0.1, a seeded ledger, and Debian's Chromium to look at it.

    async with web_bot(tmp_path, gateway) as bot:       # bot.url, bot.web, bot.app, bot.posted
        async with browser_page() as page:             # Playwright on /usr/bin/chromium
            await page.goto(bot.web.admin_link("discord", "guild1", "admin1"))

The server is the one `imagine-bot run` builds (`http_app` with the /web application), in
this process so that a test can seed the ledger through the store and read what was posted.
Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page, async_playwright

from bot.entry.run import http_app
from bot.entry.wiring import App, open_app
from bot.models import Actor, Limits, Options, Reservation
from bot.store import Store
from bot.web.app import open_web, web_application
from bot.web.context import Web
from bot.web.platforms import LocalPlatform, Platforms
from tests.fakes.gateway import FakeGateway
from tests.runbot import free_port
from tests.support import make_settings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)",
)


@dataclass
class WebBot:
    """A running bot: its address, web face, wired app, and the folder results are posted to."""

    url: str
    web: Web
    app: App
    posted: Path


@asynccontextmanager
async def web_bot(
    tmp_path: Path, gateway: FakeGateway, public_url: str | None = None, **env: str
) -> AsyncIterator[WebBot]:
    """The bot's HTTP server with the web face, against the fake gateway; its public URL is
    its own address unless another is given (a proxy's)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        tmp_path, IMAGINE_GATEWAY_URL=gateway.url, IMAGINE_PUBLIC_URL=public_url or url, **env
    )
    posted = tmp_path / "posted"
    async with open_app(settings) as app:
        local = LocalPlatform(app.http, posted)
        platforms = Platforms({"discord": local, "cli": local})
        web_ = await open_web(settings, app.handler, platforms)
        assert web_ is not None
        runner = web.AppRunner(http_app(app, [], None, web_application(web_)), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
            yield WebBot(url, web_, app, posted)
        finally:
            await runner.cleanup()


@asynccontextmanager
async def browser_page(*, touch: bool = False) -> AsyncIterator[Page]:
    """A fresh page of headless Chromium (the Debian package, never a downloaded build);
    with `touch`, a touch screen too."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            viewport = {"width": 1280, "height": 900}
            context = await browser.new_context(viewport=viewport, has_touch=touch)
            yield await context.new_page()
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def seed(
    store: Store,
    at: datetime,
    *,
    user: str = "alice",
    channel: str = "general",
    workspace: str = "guild1",
    images: int = 1,
    cost: float = 0.05,
    model: str = "openai/gpt-image-2",
    failed: bool = False,
    prompt: str | None = "a prompt",
) -> str:
    """One ledger row made at `at` through the store, succeeded (or failed), its prompt kept
    (or forgotten, with None); returns its id."""
    reservation = Reservation(
        id=uuid.uuid4().hex,
        idempotency_key=uuid.uuid4().hex,
        actor=Actor("discord", workspace, channel, user),
        kind="generate",
        model=model,
        options=Options(n=images),
        prompt=None if prompt is None else f"{prompt} of {user}",
        est_cost_usd=cost,
        deadline=at + timedelta(minutes=30),
    )
    entry = await store.reserve(reservation, Limits(), at)
    if failed:
        await store.settle_failed(entry.id, "moderation_blocked", at)
    else:
        await store.settle_succeeded(entry.id, images, None, cost, at, cost_source="table")
        await store.settle_delivery(entry.id, True, at)
    return entry.id
