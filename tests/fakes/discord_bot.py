"""The bot's side of the Discord tests: the real discord.py client, through DiscordAdapter.

    async with running_bot(tmp_path / "db.sqlite", fake, gateway) as bot:
        ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
        final = await bot.final(ix)                     # the PATCH of @original with images

Everything is real: the fake Discord (tests/fakes/discord.py, REST + gateway websocket),
the fake image gateway (tests/fakes/gateway.py) behind bot.gateway.GatewayClient, a
SQLite file. A second `running_bot` on the same file is the bot after a restart.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from adapters.discord import DiscordAdapter
from bot.config import Settings, load_settings
from bot.gateway.client import GatewayClient
from bot.handler import ImagineHandler
from bot.models import LedgerEntry
from bot.requests import Runner
from bot.store import Store, open_store
from bot.web.app import open_web
from bot.web.platforms import Platforms
from tests.fakes.discord import Call, FakeDiscord, Json
from tests.fakes.gateway import FakeGateway

NOW = datetime(2030, 1, 2, 12, 0, 0, tzinfo=UTC)
TOKEN = "fake-discord-bot-token"


def opt(name: str, value: Any, kind: int = 3) -> Json:
    """One slash-command option as Discord sends it (3 string, 4 integer, 11 attachment)."""
    return {"name": name, "type": kind, "value": value}


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    """A small PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.size


def custom_ids(message: Json) -> list[str]:
    """Every button custom_id of a message, row by row."""
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


@dataclass
class DiscordBot:
    """A running adapter and what it stands on."""

    adapter: DiscordAdapter
    runner: Runner
    handler: ImagineHandler
    store: Store
    fake: FakeDiscord

    async def send(self, payload: Json) -> Json:
        """Dispatch an interaction; returns its payload (its token names its webhook)."""
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def slash(self, name: str, options: list[Json], **kwargs: Any) -> Json:
        """Dispatch a slash command."""
        return await self.send(self.fake.slash(name, options, **kwargs))

    async def answered(self, method: str, test: Callable[[Call], bool]) -> Call:
        """The first call of `method` passing `test` that the fake answered: a try it answered
        with 429 does not count (discord.py sends it again)."""
        return await self.fake.wait_for(
            lambda c: c.method == method and c.status != 429 and test(c)
        )

    async def callback(self, ix: Json) -> Call:
        """The bot's first answer to an interaction (defer, message or modal)."""
        return await self.answered("POST", lambda c: c.path.endswith(f"/{ix['token']}/callback"))

    async def modal(self, ix: Json) -> Json:
        """The modal the bot answered an interaction with (a person can only submit a modal
        they were shown: its callback has been answered)."""
        answer = (await self.callback(ix)).body
        assert answer["type"] == 9, f"not a modal: {answer}"
        modal: Json = answer["data"]
        return modal

    async def final(self, ix: Json) -> Call:
        """The edit of an interaction's response that carries buttons (the result)."""
        original = f"/{ix['token']}/messages/@original"
        return await self.answered(
            "PATCH", lambda c: original in c.path and bool(c.body.get("components"))
        )

    async def followup(self, ix: Json) -> Call:
        """A follow-up message posted on an interaction's webhook (private errors)."""
        webhook = f"/webhooks/{ix['application_id']}/{ix['token']}"
        return await self.answered("POST", lambda c: c.path.endswith(webhook))

    async def private_error(self, ix: Json) -> str:
        """The text of a failed request's private follow-up; its public 'thinking' is gone."""
        answer = await self.followup(ix)
        assert answer.body["flags"] == 64
        original = f"/webhooks/{ix['application_id']}/{ix['token']}/messages/@original"
        assert self.fake.find("DELETE", original)
        return str(answer.body["content"])

    async def idle(self) -> None:
        """Wait until no request runs (a result is shown a moment before its request ends)."""
        async with asyncio.timeout(30):
            while self.runner.running:  # noqa: ASYNC110 - ended by the bot's own tasks
                await asyncio.sleep(0.01)

    def message_of(self, ix: Json) -> Json:
        """The stored response message of an interaction."""
        return self.fake.messages[self.fake.originals[ix["token"]]]

    async def entries(self) -> list[LedgerEntry]:
        """Every ledger row, oldest first."""
        start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        return [e async for e in self.store.export(start, end)]


def bot_settings(db: Path, fake: FakeDiscord, gateway: FakeGateway, **extra: Any) -> Settings:
    """Settings pointing discord.py at the fake Discord and the handler at the fake gateway."""
    values: dict[str, Any] = {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "IMAGINE_GATEWAY_URL": gateway.url,
        "IMAGINE_GATEWAY_KEY": "gateway-key",
        "IMAGINE_DATABASE_URL": f"sqlite:///{db}",
        "IMAGINE_GATEWAY_MAX_RETRIES": 0,
        **extra,
    }
    return load_settings(env_file=None, **values)


@asynccontextmanager
async def running_bot(
    db: Path, fake: FakeDiscord, gateway: FakeGateway, *, token_ttl_s: float = 840, **extra: Any
) -> AsyncIterator[DiscordBot]:
    """Start store, handler, runner and adapter; wait until the client is connected; stop as
    `imagine-bot run` does: drain the runner within the grace, then disconnect. With
    IMAGINE_PUBLIC_URL in `extra` the adapter hands out links of the web face."""
    settings = bot_settings(db, fake, gateway, **extra)
    store = await open_store(settings.database_url)
    async with httpx.AsyncClient(timeout=30) as http:
        backend = GatewayClient.from_settings(http, settings)
        handler = ImagineHandler(settings, store, backend, clock=lambda: NOW)
        runner = Runner(handler)
        web_ = await open_web(settings, handler, Platforms({}))  # None without a public URL
        adapter = DiscordAdapter(settings, runner, http, token_ttl_s=token_ttl_s, web_=web_)
        running = asyncio.create_task(adapter.run())
        try:
            for _ in range(1000):
                if adapter.ready or running.done():
                    break
                await asyncio.sleep(0.01)
            if running.done():
                running.result()
            assert adapter.ready, "the Discord client did not connect to the fake"
            yield DiscordBot(adapter, runner, handler, store, fake)
        finally:
            await runner.drain(settings.shutdown_grace)
            await adapter.close()
            await running
            await store.close()
