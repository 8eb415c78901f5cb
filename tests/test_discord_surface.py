"""The Discord surface: the REST calls one request costs, its previews, and how each way a
request ends reads on an interaction and on a reply-mention.

Discord allows a bot about 50 REST calls a second in all; a request costs its defer and its
result, and one progress edit a second at most while it runs (the lifecycle's pacing itself
is the runner's, tested against a fake surface).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

from bot.gateway.errors import ContentBlocked
from bot.requests import words
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import APP_ID, BOT_ID, CHANNEL_ID, Call, FakeDiscord, Json, member, user
from tests.fakes.discord_bot import DiscordBot, custom_ids, opt, png, running_bot
from tests.fakes.gateway import FakeGateway

MESSAGES = f"/channels/{CHANNEL_ID}/messages"


def calls_of(fake: FakeDiscord, ix: Json) -> list[Call]:
    """Every REST call made on an interaction's token (a 429 that discord.py sent again
    counts once)."""
    return [c for c in fake.calls if ix["token"] in c.path and c.status != 429]


def is_result(call: Call) -> bool:
    """The edit that carries the images and their buttons."""
    return call.method == "PATCH" and bool(call.files) and bool(call.body.get("components"))


async def test_a_request_costs_its_defer_and_its_result_and_one_edit_while_it_runs(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    quick = await bot.slash("imagine", [opt("prompt", "a quick sketch")])
    await bot.final(quick)
    gateway.fail("slow_stream", seconds=2.0)  # a preview, then the image 2 s later
    slow = await bot.slash("imagine", [opt("prompt", "a slow painting")])
    await bot.final(slow)

    first, *edits, last = calls_of(fake, quick)
    assert (first.method, first.body) == ("POST", {"type": 5})
    assert is_result(last) and len(edits) <= 1  # an edit only if it ran over a second

    defer, preview, result = calls_of(fake, slow)
    assert defer.body == {"type": 5} and is_result(result)
    assert preview.method == "PATCH" and preview.path.endswith("/messages/@original")
    assert preview.body["content"] == (
        "**a slow painting** — <@700000000000000001>\nGenerating… (a first sketch is ready)"
    )
    assert [f.filename for f in preview.files] == ["preview.png"]
    assert "components" not in preview.body


async def test_requests_at_once_each_cost_at_most_three_calls(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    gateway.fail("slow_stream", times=10, seconds=1.5)
    people = [member(800000000000000000 + i, f"person{i}") for i in range(10)]
    async with running_bot(
        tmp_path / "imagine.db", fake, gateway, IMAGINE_MAX_CONCURRENT=10
    ) as bot:
        asked = [await bot.slash("imagine", [opt("prompt", "a balloon")], who=p) for p in people]
        finals = await asyncio.gather(*(bot.final(ix) for ix in asked))
        made = await bot.entries()
    assert all(len(final.files) == 1 for final in finals) and len(made) == 10
    spent = [len(calls_of(fake, ix)) for ix in asked]
    assert all(2 <= count <= 3 for count in spent), spent  # none waited in the queue


async def test_a_failure_inside_the_bot_says_nothing_was_charged(
    tmp_path: Path, bot: DiscordBot, gateway: FakeGateway
) -> None:
    with sqlite3.connect(tmp_path / "imagine.db") as db:
        db.execute("ALTER TABLE usage RENAME TO usage_gone")  # no ledger row can be written
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
    assert await bot.private_error(ix) == (
        "Something went wrong inside the bot. You were not charged. The error was logged; "
        "tell the bot's admin if it keeps happening."
    )
    assert words.internal().text in (await bot.followup(ix)).body["content"]
    with sqlite3.connect(tmp_path / "imagine.db") as db:
        assert db.execute("SELECT count(*) FROM usage_gone").fetchone() == (0,)
    assert gateway.image_requests == []


async def test_a_failed_reply_mention_edit_turns_its_reply_into_the_error(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    gateway.fail("moderation_blocked")
    files = [fake.attachment(png(200, 300), "photo.png")]
    source = fake.message("look", author=user(600000000000000001, "painter"), attachments=files)
    bot_user = user(BOT_ID, "imagine", bot=True)
    mention = fake.message(f"<@{BOT_ID}> make it blue", reference=source, mentions=[bot_user])
    await fake.dispatch("MESSAGE_CREATE", mention)

    reply = await fake.wait_for(lambda c: c.method == "POST" and c.path == MESSAGES)
    told = await fake.wait_for(
        lambda c: c.method == "PATCH" and bool(re.fullmatch(rf"{MESSAGES}/\d+", c.path))
    )
    [entry] = await bot.entries()
    assert reply.body["content"] == "**Edit: make it blue** — <@700000000000000001>\nWorking on it…"
    assert told.body["content"] == f"{ContentBlocked().message} (request {entry.id[:8]})"
    assert told.body["components"] == [] and told.body["attachments"] == []
    assert (entry.status, entry.error_kind) == ("failed", "moderation")
    assert not fake.find("POST", rf"/webhooks/{APP_ID}/")
    assert custom_ids(told.body) == []
