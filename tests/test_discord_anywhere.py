"""Use anywhere: the commands install to servers and people, and work in the bot's DM, where
requests are limited under the workspace 'dm'."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.models import Scope
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import APP_ID, OWNER_ID, FakeDiscord, Json, user
from tests.fakes.discord_bot import DiscordBot, opt, running_bot
from tests.fakes.gateway import FakeGateway

DM_CHANNEL = 800000000000000001


def in_a_dm(payload: Json) -> Json:
    """The same command sent in the bot's DM by the person who installed the app."""
    for key in ("guild_id", "guild", "member", "guild_locale"):
        payload.pop(key)
    payload |= {
        "user": user(OWNER_ID, "owner"),
        "channel_id": str(DM_CHANNEL),
        "channel": {"id": str(DM_CHANNEL), "type": 1, "recipients": [user(OWNER_ID, "owner")]},
        "context": 1,
        "authorizing_integration_owners": {"1": str(OWNER_ID)},
    }
    payload["data"].pop("guild_id", None)
    return payload


async def test_the_image_commands_install_to_people_and_work_in_dms(bot: DiscordBot) -> None:
    synced = {c["name"]: c for c in bot.fake.commands["global"]}
    for name in ("imagine", "edit", "blend", "Edit image", "Vary image"):
        assert synced[name]["integration_types"] == [0, 1], name
        assert synced[name]["contexts"] == [0, 1, 2], name
    assert synced["limits"]["dm_permission"] is False  # admin commands stay in servers


async def test_imagine_in_a_dm_works_and_is_limited_under_the_dm_workspace(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    await bot.handler.set_limits(Scope("discord", "dm", "*"), {"user_daily_images": "1"}, "1")
    ix = await bot.send(in_a_dm(bot.fake.slash("imagine", [opt("prompt", "a quiet pond")])))
    await bot.final(ix)
    [entry] = await bot.entries()
    assert (entry.workspace_id, entry.channel_id, entry.user_id) == (
        "dm",
        str(DM_CHANNEL),
        str(OWNER_ID),
    )
    again = await bot.send(in_a_dm(bot.fake.slash("imagine", [opt("prompt", "another")])))
    assert (await bot.private_error(again)) == (
        "You have used 1 of your 1 image today (user_daily_images); it resets at 00:00 UTC, "
        "in 12 h. You were not charged."
    )
    assert len(gateway.image_requests) == 1


async def test_the_start_offers_both_installs(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(tmp_path / "imagine.db", fake, gateway):
        pass
    assert f"client_id={APP_ID}&scope=bot+applications.commands" in caplog.text
    assert "&integration_type=0" in caplog.text
    assert (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
        "&scope=applications.commands&integration_type=1"
    ) in caplog.text
