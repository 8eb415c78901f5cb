"""Starting up: `imagine-bot run` as a real process, a rejected token, shards."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from adapters.discord import DiscordAdapter
from bot.errors import ConfigError
from bot.gateway.client import GatewayClient
from bot.handler import ImagineHandler
from bot.requests import Runner
from bot.store import open_store
from tests.discordfixtures import fake as fake
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_bot import TOKEN, bot_settings, image_size, opt, running_bot
from tests.fakes.gateway import FakeGateway


async def test_imagine_bot_run_answers_imagine_with_uploaded_images(tmp_path: Path) -> None:
    async with FakeDiscord() as fake, FakeGateway() as gateway:
        env = {
            **os.environ,
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "IMAGINE_GATEWAY_URL": gateway.url,
            "IMAGINE_GATEWAY_KEY": "gateway-key",
            "IMAGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'imagine.db'}",
            "IMAGINE_HTTP_PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from bot.entry.cli import main; raise SystemExit(main(['run']))",
            env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(1500):
                if fake.identified or process.returncode is not None:
                    break
                await asyncio.sleep(0.01)
            assert fake.identified, "imagine-bot run did not connect to the fake Discord"
            payload = fake.slash("imagine", [opt("prompt", "a red balloon"), opt("count", 2, 4)])
            await fake.dispatch("INTERACTION_CREATE", payload)
            final = await fake.wait_for(
                lambda c: (
                    c.method == "PATCH"
                    and c.path.endswith(f"/{payload['token']}/messages/@original")
                    and bool(c.body.get("components"))
                )
            )
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await process.communicate()
    assert [image_size(f.data) for f in final.files] == [(1024, 1024), (1024, 1024)]
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "scope=bot+applications.commands&permissions=274878008320" in log
    assert TOKEN not in log


async def test_a_rejected_token_is_a_configuration_error(tmp_path: Path) -> None:
    async with FakeDiscord(token="the-real-token") as fake, FakeGateway() as gateway:
        settings = bot_settings(tmp_path / "imagine.db", fake, gateway)
        store = await open_store(settings.database_url)
        async with httpx.AsyncClient() as http:
            handler = ImagineHandler(settings, store, GatewayClient.from_settings(http, settings))
            adapter = DiscordAdapter(settings, Runner(handler), http)
            with pytest.raises(ConfigError) as caught:
                await adapter.run()
        await store.close()
    assert caught.value.message.startswith("Discord rejected DISCORD_TOKEN.")
    assert TOKEN not in caught.value.message and not adapter.ready


async def test_shards_connect_to_the_configured_gateway_and_only_shard_0_syncs(
    tmp_path: Path,
) -> None:
    async with (
        FakeDiscord() as fake,
        FakeGateway() as gateway,
        running_bot(
            tmp_path / "imagine.db", fake, gateway, DISCORD_SHARD_COUNT=2, DISCORD_SHARD_IDS="1"
        ) as bot,
    ):
        final = await bot.final(await bot.slash("imagine", [opt("prompt", "a sharded cat")]))
    [identify] = fake.identified
    assert identify["shard"] == [1, 2]
    assert not fake.find("GET", "/gateway(/bot)?")  # never asked; DISCORD_GATEWAY_URL is used
    assert fake.commands == {}  # the process running shard 0 registers the commands
    assert len(final.files) == 1


async def test_stopping_waits_for_a_result_being_uploaded(tmp_path: Path) -> None:
    async with FakeDiscord(upload_delay=1.0) as fake, FakeGateway() as gateway:
        async with running_bot(tmp_path / "imagine.db", fake, gateway) as bot:
            ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
            for _ in range(1500):
                if [e.status for e in await bot.entries()] == ["succeeded"]:
                    break
                await asyncio.sleep(0.01)
        # running_bot stops as `imagine-bot run` does: drain the handler, then close
        final = await bot.final(ix)
    assert len(final.files) == 1


async def test_a_request_cut_off_by_shutdown_is_told_privately_and_not_charged(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    db = tmp_path / "imagine.db"
    gateway.fail("hang")
    async with running_bot(db, fake, gateway, IMAGINE_SHUTDOWN_GRACE=0) as bot:
        ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
        async with asyncio.timeout(15):
            while not gateway.image_requests:  # noqa: ASYNC110 - sent by the bot's own task
                await asyncio.sleep(0.01)
    said = await bot.private_error(ix)  # running_bot drained the runner, as `run` does
    async with running_bot(db, fake, gateway) as restarted:
        [entry] = await restarted.entries()
    assert said == (
        "The bot restarted before your image was finished. You were not charged. "
        f"Try again in a minute. (request {entry.id[:8]})"
    )
    assert (entry.status, entry.error_kind, entry.est_cost_usd) == ("failed", "shutdown", 0)
