"""Discord's 429s during a request: discord.py waits and sends again, and nothing is lost.

The fake answers a chosen call with Discord's 429 (JSON `message`, `retry_after`, `global`;
the `X-RateLimit-*`, `Retry-After` and `Via` headers). Each test shows the person still gets
exactly what they would have got, once, and the ledger charges once (or not at all).
Also here: an error after the interaction token expired, which must remove the stale
public "thinking…" message with the bot token; and an interaction whose defer came after
Discord's 3 s (404 Unknown interaction), which must cost nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.gateway.errors import ContentBlocked
from bot.models import Actor
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import (
    APP_ID,
    CHANNEL_ID,
    GUILD_ID,
    OWNER_ID,
    UNKNOWN_INTERACTION,
    Call,
    FakeDiscord,
)
from tests.fakes.discord_bot import DiscordBot, opt, running_bot
from tests.fakes.gateway import FakeGateway

OWNER = Actor("discord", str(GUILD_ID), str(CHANNEL_ID), str(OWNER_ID))
CHANNEL_MESSAGES = f"/channels/{CHANNEL_ID}/messages"
ROUTES = {
    "defer": ("POST", r"/interactions/\d+/[^/]+/callback"),
    "progress and result edits": ("PATCH", rf"/webhooks/{APP_ID}/[^/]+/messages/@original"),
}


def limited(fake: FakeDiscord) -> list[Call]:
    """The calls the fake answered with 429."""
    return [c for c in fake.calls if c.status == 429]


async def charged_once(bot: DiscordBot, gateway: FakeGateway) -> None:
    """One gateway call, one succeeded ledger row, one image counted against the person."""
    [entry] = await bot.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)
    assert len(gateway.image_requests) == 1
    assert (await bot.handler.usage(OWNER)).images_today == 1


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_a_429_on_an_interaction_call_still_delivers_once(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway, route: str
) -> None:
    method, pattern = ROUTES[route]
    fake.rate_limit(method, pattern, times=2)
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
    final = await bot.final(ix)
    assert len(final.files) == 1 and final.status == 200
    assert [(c.method, c.answer["retry_after"]) for c in limited(fake)] == [(method, 0.05)] * 2
    assert bot.message_of(ix)["attachments"] and bot.message_of(ix)["components"]
    await charged_once(bot, gateway)


async def test_a_429_on_the_private_error_still_tells_the_person(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    gateway.fail("moderation_blocked")
    fake.rate_limit("POST", rf"/webhooks/{APP_ID}/[^/]+")
    ix = await bot.slash("imagine", [opt("prompt", "something the safety system blocks")])
    said = await bot.private_error(ix)
    assert [c.method for c in limited(fake)] == ["POST"]
    [entry] = await bot.entries()
    assert said == f"{ContentBlocked().message} (request {entry.id[:8]})"
    assert (entry.status, entry.error_kind) == ("failed", "moderation")
    assert (await bot.handler.usage(OWNER)).images_today == 0


async def test_a_global_429_on_a_late_result_posts_it_once(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    fake.rate_limit("POST", CHANNEL_MESSAGES, is_global=True)
    async with running_bot(tmp_path / "imagine.db", fake, gateway, token_ttl_s=0) as bot:
        await bot.slash("imagine", [opt("prompt", "a slow painting")])
        await fake.wait_for(lambda c: c.method == "DELETE" and c.path.startswith(CHANNEL_MESSAGES))
        posted = fake.find("POST", CHANNEL_MESSAGES)
        await charged_once(bot, gateway)
    assert [c.status for c in posted] == [429, 200]
    assert posted[0].headers["X-RateLimit-Global"] == "true" and posted[0].answer["global"]
    assert len(posted[1].files) == 1 and posted[1].body["components"]


async def test_an_error_after_the_token_expired_replaces_the_stale_thinking_message(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    gateway.fail("moderation_blocked")
    async with running_bot(tmp_path / "imagine.db", fake, gateway, token_ttl_s=0) as bot:
        ix = await bot.slash("imagine", [opt("prompt", "blocked, slowly")])
        callback = await bot.callback(ix)
        thinking = callback.answer["interaction"]["response_message_id"]
        removed = await fake.wait_for(
            lambda c: c.method == "DELETE" and c.path == f"{CHANNEL_MESSAGES}/{thinking}"
        )
        [entry] = await bot.entries()
    [told] = fake.find("POST", CHANNEL_MESSAGES)
    blocked = f"{ContentBlocked().message} (request {entry.id[:8]})"
    assert told.body["content"] == f"<@{OWNER_ID}> {blocked}"
    assert told.body["allowed_mentions"]["users"] == [OWNER_ID]
    assert removed.status == 204 and int(thinking) not in fake.messages
    assert not fake.find("POST", rf"/webhooks/{APP_ID}/{ix['token']}")
    assert (entry.status, entry.error_kind) == ("failed", "moderation")


async def test_an_interaction_discord_gave_up_on_is_neither_made_nor_charged(
    tmp_path: Path, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.discord")
    async with (
        FakeDiscord(ack_deadline=0) as fake,  # every defer arrives too late
        running_bot(tmp_path / "imagine.db", fake, gateway) as bot,
    ):
        ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
        refused = await bot.callback(ix)
        await fake.wait_for(lambda _: any("not deferred" in r.getMessage() for r in caplog.records))
        entries = await bot.entries()
    assert (refused.status, refused.answer) == (404, UNKNOWN_INTERACTION)
    assert gateway.image_requests == [] and entries == []
    assert [c.method for c in fake.calls if ix["token"] in c.path] == ["POST"]
