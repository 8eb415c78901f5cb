"""The bot's side of the Slack tests: a SlackAdapter in HTTP mode on 127.0.0.1, fed signed requests.

    async with running_bot(tmp_path, slack, gateway) as bot:
        response = await bot.command("a red balloon --n 2")        # signed POST /slack/events
        await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))

Everything is real: the fake Slack Web API (tests/fakes/slack.py), the fake image gateway
(tests/fakes/gateway.py) behind bot.gateway.GatewayClient, a SQLite file, the aiohttp server
that `imagine-bot run` would mount `adapter.routes()` on.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import web
from PIL import Image
from slack_sdk.signature import SignatureVerifier

from adapters.slack import SlackAdapter
from bot.config import Settings, load_settings
from bot.entry.web_cli import mount
from bot.gateway.client import GatewayClient
from bot.handler import ImagineHandler
from bot.models import LedgerEntry
from bot.requests import Runner
from bot.store import Store, open_store
from bot.web.app import open_web
from bot.web.context import PREFIX, Web
from bot.web.platforms import Platforms
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, TOKEN, FakeSlack

SECRET = "fake-signing-secret"
NOW = datetime(2030, 1, 2, 12, 0, 0, tzinfo=UTC)
_ids = count(1)


def png(width: int = 300, height: int = 200, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small PNG, as a person might upload."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature for a body, as Slack computes them."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


@dataclass
class SlackBot:
    """A running adapter and what it stands on."""

    adapter: SlackAdapter
    runner: Runner
    handler: ImagineHandler
    store: Store
    slack: FakeSlack
    url: str
    http: httpx.AsyncClient
    web: Web | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        secret: str = SECRET,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """POST a body signed with `secret` (and `timestamp`) to /slack/events."""
        sent = {
            "Content-Type": content_type,
            **signed_headers(body, secret=secret, timestamp=timestamp),
        }
        sent.update(headers or {})
        return await self.http.post(self.url, content=body.encode(), headers=sent)

    async def command(self, text: str, *, user: str = "U1", channel: str = "C1") -> httpx.Response:
        """A slash command, as Slack posts it (form-encoded, with a response_url)."""
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/imagine",
            "text": text,
            "api_app_id": "A0FAKE",
            "response_url": self.slack.response_url(),
            "trigger_id": f"trigger-{next(_ids)}",
        }
        self.sent.append(form)
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any]) -> httpx.Response:
        """An interactive payload (shortcut, button, view submission): form `payload=<json>`."""
        payload = {"team": {"id": TEAM, "domain": "fake"}, "api_app_id": "A0FAKE", **payload}
        payload.setdefault("trigger_id", f"trigger-{next(_ids)}")
        self.sent.append(payload)
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> httpx.Response:
        """An Events API callback (JSON); `retry` adds X-Slack-Retry-Num as Slack's retries do."""
        envelope = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0FAKE",
            "event": {"event_ts": event.get("ts"), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(envelope), "application/json", headers=headers)

    async def idle(self) -> None:
        """Wait until no work the adapter started still runs (its last Slack call made)."""
        await self.slack.wait_for(lambda: not self.adapter.services.tasks)

    async def entries(self) -> list[LedgerEntry]:
        """Every ledger row, oldest first."""
        return [
            e
            async for e in self.store.export(
                datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
            )
        ]


def bot_settings(db: Path, slack: FakeSlack, gateway: FakeGateway, **extra: Any) -> Settings:
    """Settings for HTTP mode against the fakes."""
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "IMAGINE_GATEWAY_URL": gateway.url,
        "IMAGINE_GATEWAY_KEY": "gateway-key",
        "IMAGINE_DATABASE_URL": f"sqlite:///{db}",
        "IMAGINE_STREAM_PREVIEWS": False,
        "IMAGINE_SHUTDOWN_GRACE": 5,
        **extra,
    }
    return load_settings(env_file=None, **values)


@asynccontextmanager
async def running_bot(
    db: Path,
    slack: FakeSlack,
    gateway: FakeGateway,
    *,
    signed_in: bool = True,
    web_face: bool = False,
    **extra: Any,
) -> AsyncIterator[SlackBot]:
    """Start store, handler, runner, adapter and its HTTP route; stop them all afterwards.

    With `signed_in` False it yields as soon as the route takes requests, before the adapter's
    start-up auth.test has answered, as `imagine-bot run` serves HTTP while Slack signs in.
    With `web_face`, the web face is mounted at /web as `run` mounts it, its public URL the
    server's own address (known once it listens).
    """
    if web_face:
        extra["IMAGINE_PUBLIC_URL"] = "http://127.0.0.1"
    settings = bot_settings(db, slack, gateway, **extra)
    store = await open_store(settings.database_url)
    async with httpx.AsyncClient(timeout=30) as http:
        handler = ImagineHandler(
            settings, store, GatewayClient.from_settings(http, settings), clock=lambda: NOW
        )
        runner = Runner(handler)
        web_ = await open_web(settings, handler, Platforms({}))
        adapter = SlackAdapter(settings, runner, http, web_)
        running = asyncio.create_task(adapter.run())
        server = web.Application()
        server.add_routes(adapter.routes())
        face = mount(web_, [adapter])
        if face is not None:
            server.add_subapp(PREFIX, face)
        site = web.AppRunner(server, access_log=None)
        await site.setup()
        await web.TCPSite(site, "127.0.0.1", 0).start()
        port = site.addresses[0][1]
        if web_ is not None:
            web_.public_url = f"http://127.0.0.1:{port}"
        try:
            if signed_in:
                await slack.wait_for(lambda: adapter.ready or running.done())
            if running.done():
                running.result()
            url = f"http://127.0.0.1:{port}/slack/events"
            yield SlackBot(adapter, runner, handler, store, slack, url, http, web_)
        finally:
            await runner.drain(settings.shutdown_grace)
            await adapter.close()
            try:
                await running  # raises what stopped run(), after the cleanup below
            finally:
                await site.cleanup()
                await store.close()
