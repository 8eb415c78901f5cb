"""`imagine-bot run`: every configured adapter in one event loop, health and metrics, clean stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Protocol

from aiohttp import web

from bot.config import Settings
from bot.entry.web_cli import mount, open_face
from bot.entry.wiring import App, open_app, require_gateway_key
from bot.errors import ConfigError
from bot.gateway.served import configured_problem, fetch_listing
from bot.metrics import bearer_matches
from bot.web.context import PREFIX, Web

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY_S = 3600
# connections the HTTP server's socket queues before it accepts them (aiohttp's default is 128;
# the kernel caps it at net.core.somaxconn): a burst of Slack requests beyond the queue is
# dropped and the clients retry only a second later, past much of Slack's 3 s
HTTP_BACKLOG = 1024
NOTHING_CONFIGURED = """\
imagine-bot: no chat platform is configured, so there is nothing to run.
  Discord: set DISCORD_TOKEN (the bot token from the Discord developer portal).
  Slack:   set SLACK_BOT_TOKEN (xoxb-...), plus SLACK_APP_TOKEN (xapp-...) for Socket Mode
           or SLACK_SIGNING_SECRET for HTTP mode.
  Setup guides: docs/discord.md and docs/slack.md. To try the bot without a platform:
  imagine-bot generate "a red balloon" --offline"""


class Adapter(Protocol):
    """What `run` needs of a platform adapter."""

    @property
    def ready(self) -> bool:
        """Connected and answering."""
        ...

    async def run(self) -> None:
        """Connect and serve until closed."""
        ...

    async def close(self) -> None:
        """Disconnect."""
        ...


def check_platforms(settings: Settings) -> bool:
    """Whether any adapter is configured; a half-configured Slack is a ConfigError."""
    slack = settings.slack_bot_token is not None
    if slack and settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise ConfigError(
            "Missing setting SLACK_SIGNING_SECRET: Slack's HTTP mode needs the app's signing "
            "secret (or set SLACK_APP_TOKEN for Socket Mode)."
        )
    return slack or settings.discord_token is not None


def build_adapters(app: App, web_: Web | None = None) -> list[Adapter]:
    """The adapters the settings ask for (those that hand out web links get `web_`)."""
    adapters: list[Adapter] = []
    if app.settings.discord_token is not None:
        from adapters.discord import DiscordAdapter
        from adapters.discord.notices import DiscordChannels

        discord = DiscordAdapter(app.settings, app.runner, app.http, web_=web_)
        app.runner.notices.register("discord", DiscordChannels(discord))
        adapters.append(discord)
    if app.settings.slack_bot_token is not None:
        from adapters.slack import SlackAdapter
        from adapters.slack.notices import SlackChannels

        slack = SlackAdapter(app.settings, app.runner, app.http, web_)
        app.runner.notices.register("slack", SlackChannels(slack.client))
        adapters.append(slack)
    return adapters


def http_app(
    app: App,
    adapters: list[Adapter],
    model_problems: list[str] | None = None,
    web_face: web.Application | None = None,
) -> web.Application:
    """Health, readiness and metrics, plus Slack's events route in HTTP mode and the web
    face under /web."""

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        problems = [type(a).__name__ + " not connected" for a in adapters if not a.ready]
        problems += model_problems or []
        try:
            await app.store.ping()
        except Exception:
            problems.append("database unreachable")
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text="ready\n")

    async def metrics(request: web.Request) -> web.Response:
        token = app.settings.metrics_token
        given = request.headers.get("Authorization", "")
        if token is not None and not bearer_matches(given, token.get_secret_value()):
            headers = {"WWW-Authenticate": 'Bearer realm="metrics"'}
            return web.Response(status=401, text="unauthorized\n", headers=headers)
        body, content_type = app.handler.metrics.render(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    server = web.Application()
    server.add_routes(
        [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]
    )
    for adapter in adapters:
        routes: Callable[[], list[web.RouteDef]] | None = getattr(adapter, "routes", None)
        if routes is not None:
            server.add_routes(routes())
    if web_face is not None:
        server.add_subapp(PREFIX, web_face)
    return server


async def run(settings: Settings, *, offline: bool = False) -> int:
    """Serve until SIGTERM/SIGINT, then drain within the grace period; 2 if nothing to run."""
    if not check_platforms(settings):
        print(NOTHING_CONFIGURED, file=sys.stderr)
        return 2
    require_gateway_key(settings, offline)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_app(settings, offline=offline) as app, AsyncExitStack() as stack:
        web_ = await open_face(app)
        adapters = build_adapters(app, web_)
        model_problems = [] if offline or settings.offline else await check_models(app)
        app.handler.metrics.gauge(
            "imagine_ready",
            "1 when every adapter is connected.",
            lambda: float(all(a.ready for a in adapters)),
        )
        if settings.http_port:
            face = mount(web_, adapters)
            runner = web.AppRunner(http_app(app, adapters, model_problems, face), access_log=None)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, settings.http_host, settings.http_port, backlog=HTTP_BACKLOG)
            await site.start()
            log.info("HTTP server on %s:%s", settings.http_host, settings.http_port)
        freeze_startup()
        tasks = [asyncio.create_task(a.run(), name=type(a).__name__) for a in adapters]
        tasks.append(asyncio.create_task(_housekeeping(app), name="housekeeping"))
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        failed = [t for t in done if t is not stopped and t.exception() is not None]
        for task in failed:
            log.error("%s stopped: %s", task.get_name(), task.exception())
        await _shutdown(app, adapters, tasks, stopped)
    return 1 if failed else 0


def freeze_startup() -> None:
    """Collect garbage, then leave what is left out of later collections (`gc.freeze`).

    What startup built (the imported libraries, the settings, the app and its connections)
    lives as long as the process. Left in the collector, each full collection walks all of it
    again, tens of milliseconds for the 80,000 objects a bot starts with, and one lands in any
    burst of a few hundred requests, right where they wait to be acknowledged. Frozen objects
    are still freed when nothing refers to them; only cycles among them are never collected.
    """
    gc.collect()
    gc.freeze()
    log.info("started: %d objects left out of garbage collection", gc.get_freeze_count())


async def check_models(app: App) -> list[str]:
    """Ask the gateway once which models it serves; log one error per unusable model."""
    settings = app.settings
    key = settings.gateway_key.get_secret_value() if settings.gateway_key else None
    listing = await fetch_listing(app.http, settings.gateway_url, key)
    if listing.models is None:
        log.info("model check skipped: %s", listing.reason)
    today = app.handler.clock().date()
    problems = []
    for name in settings.offered_models():
        setting = "IMAGINE_MODEL" if name == settings.model else "IMAGINE_MODELS"
        problem = configured_problem(app.handler.catalog, name, listing, today, setting)
        if problem is not None:
            log.error("%s", problem)
            problems.append(problem)
    return problems


async def _shutdown(
    app: App, adapters: list[Adapter], tasks: list[asyncio.Task[None]], stopped: asyncio.Task[bool]
) -> None:
    grace = app.settings.shutdown_grace
    log.info("shutting down: %d request(s) in flight, %.0f s grace", app.handler.in_flight, grace)
    late = await app.runner.drain(grace)
    if late:
        log.warning("%d request(s) did not finish in time; settled as failed, not charged", late)
    closers: list[Awaitable[None]] = [a.close() for a in adapters]
    await asyncio.gather(*closers, return_exceptions=True)
    stopped.cancel()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, stopped, return_exceptions=True)


async def _housekeeping(app: App) -> None:
    while True:
        await asyncio.sleep(HOUSEKEEPING_EVERY_S)
        try:
            await app.handler.housekeeping()
        except Exception:
            log.exception("housekeeping failed")
