"""Socket Mode: with SLACK_APP_TOKEN the adapter connects out over a WebSocket; no HTTP route."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from adapters.slack import SlackAdapter
from bot.gateway.client import GatewayClient
from bot.handler import ImagineHandler
from bot.requests import Runner
from bot.store import open_store
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import APP_TOKEN, TEAM, FakeSlack
from tests.fakes.slack_app import bot_settings


async def test_socket_mode_serves_a_slash_command_and_mounts_no_route(tmp_path: Path) -> None:
    async with FakeSlack() as slack, FakeGateway() as gateway, httpx.AsyncClient() as http:
        settings = bot_settings(
            tmp_path / "imagine.db",
            slack,
            gateway,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_SIGNING_SECRET=None,
        )
        store = await open_store(settings.database_url)
        handler = ImagineHandler(settings, store, GatewayClient.from_settings(http, settings))
        adapter = SlackAdapter(settings, Runner(handler), http)
        assert adapter.routes() == []
        slack.rate_limit("apps.connections.open", times=1, retry_after=1)
        running = asyncio.create_task(adapter.run())
        try:
            await slack.wait_for(lambda: adapter.ready and slack.sockets)
            [limited, opened] = slack.calls("apps.connections.open")  # the 429 is waited out
            assert (limited.status, opened.status) == (429, 200)
            assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
            command = dict(
                parse_qsl(
                    f"team_id={TEAM}&channel_id=C1&user_id=U1&command=%2Fimagine"
                    "&text=a+red+balloon&trigger_id=trigger-socket-1"
                    f"&response_url={slack.response_url()}"
                )
            )
            envelope_id = await slack.push("slash_commands", command)
            await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
            assert envelope_id in [ack.get("envelope_id") for ack in slack.acks]
            assert gateway.image_requests[0].fields["prompt"] == "a red balloon"
        finally:
            await adapter.close()
            await running
            await store.close()
        assert not adapter.ready
