"""Slack's rate limits: a 429 on any call still ends with the image, its buttons, one charge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.ratelimits import (
    DEFAULT_RETRY_AFTER_S,
    MAX_RETRY_AFTER_S,
    RATE_LIMIT_RETRIES,
    retry_after,
)
from bot.models import Scope
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot, png, running_bot
from tests.test_slack_buttons import click
from tests.test_slack_edit import LATER, mention

TOO_LONG = int(MAX_RETRY_AFTER_S) + 30
CHANNEL = Scope("slack", TEAM, "C1")


def cards(slack: FakeSlack) -> list[dict[str, Any]]:
    """Messages in C1 that carry result buttons."""
    return [m for m in slack.messages.get("C1", []) if m.get("blocks")]


def progress_updates(slack: FakeSlack) -> list[str]:
    """The texts of the chat.update calls that edited a working message (not the card)."""
    return [c.args["text"] for c in slack.calls("chat.update") if not c.args.get("blocks")]


async def by_command(bot: SlackBot, slack: FakeSlack, method: str) -> int:
    """/imagine with `method` rate-limited once; the number of requests made."""
    slack.rate_limit(method, times=1, retry_after=1)
    await bot.command("a red balloon")
    return 1


async def by_admin_command(bot: SlackBot, slack: FakeSlack, method: str) -> int:
    """/imagine where admins are exempt from the limits (asks Slack who is an admin)."""
    await bot.handler.set_limits(CHANNEL, {"admins_exempt": "true"}, "UADMIN")
    return await by_command(bot, slack, method)


async def by_thread_mention(bot: SlackBot, slack: FakeSlack, method: str) -> int:
    """@Imagine in the thread of an image (reads the thread with conversations.replies)."""
    parent = slack.add_message("C1", "the original", files=[slack.add_file(png(), "b.png")])
    slack.rate_limit(method, times=1, retry_after=1)
    await bot.event(mention("<@UBOT> make the balloon blue", LATER, parent["ts"]))
    return 1


async def by_vary_button(bot: SlackBot, slack: FakeSlack, method: str) -> int:
    """Vary under a result (reads the result's file with files.info)."""
    await bot.command("a red balloon")
    [card] = await slack.wait_for(lambda: cards(slack))
    slack.rate_limit(method, times=1, retry_after=1)
    await bot.interactive(click(card, "Vary (Subtle)", slack))
    return 2


Request = Callable[[SlackBot, FakeSlack, str], Awaitable[int]]


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("users.info", by_admin_command),
        ("chat.postMessage", by_command),
        ("chat.update", by_command),
        ("files.getUploadURLExternal", by_command),
        ("files.completeUploadExternal", by_command),
        ("conversations.replies", by_thread_mention),
        ("files.info", by_vary_button),
    ],
)
async def test_a_rate_limited_call_still_delivers_the_image_and_buttons_charged_once(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, method: str, request_: Request
) -> None:
    made = await request_(slack_bot, slack, method)

    await slack.wait_for(lambda: len(cards(slack)) == made)
    statuses = [call.status for call in slack.calls(method)]
    limited = statuses.index(429)
    assert statuses.count(429) == 1 and statuses[limited + 1] == 200, statuses  # retried
    card = cards(slack)[-1]
    labels = [b["text"]["text"] for b in card["blocks"][1]["elements"]]
    assert labels == ["Vary (Subtle)", "Vary (Strong)", "Upscale"]
    assert len(slack.answered("files.completeUploadExternal")) == made
    assert all(upload.data for upload in slack.uploads.values())
    entries = await slack_bot.entries()
    assert [(e.status, e.images_delivered) for e in entries] == [("succeeded", 1)] * made
    assert len(gateway.image_requests) == made
    assert slack.responses == []


async def test_a_rate_limited_sign_in_is_retried_and_authorizes_every_request(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    # the start-up auth.test is refused once; commands sent meanwhile wait for its answer
    slack.rate_limit("auth.test", times=1, retry_after=1)
    async with running_bot(tmp_path / "imagine.db", slack, gateway, signed_in=False) as bot:
        early = await asyncio.gather(
            *(bot.command(f"balloon {i}", user=f"U{i}") for i in range(20))
        )
        assert [r.status_code for r in early] == [200] * 20
        assert bot.adapter.ready
        await bot.command("one more balloon", user="U99")
        await slack.wait_for(lambda: len(cards(slack)) == 21)
        entries = await bot.entries()
    # one sign-in (retried once) authorized all 21: no request asked Slack who the bot is
    assert [c.status for c in slack.calls("auth.test")] == [429, 200]
    assert len(slack.answered("files.completeUploadExternal")) == 21
    assert [(e.status, e.images_delivered) for e in entries] == [("succeeded", 1)] * 21
    assert len(gateway.image_requests) == 21


async def test_the_card_arrives_even_when_every_progress_edit_failed(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    # the progress edit is refused on every attempt; the card's first attempt too, then it passes
    gateway.fail("delay", seconds=2.0)  # long enough for one progress edit
    slack.rate_limit("chat.update", times=RATE_LIMIT_RETRIES + 2, retry_after=1)
    await slack_bot.command("a red balloon")
    [card] = await slack.wait_for(lambda: cards(slack))
    assert [c.status for c in slack.calls("chat.update")] == [429] * (RATE_LIMIT_RETRIES + 2) + [
        200
    ]
    assert card["text"].startswith(":frame_with_picture: <@U1>: a red balloon")
    assert "progress update failed (ratelimited)" in caplog.text
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)


async def test_a_card_slack_will_not_take_for_long_is_posted_anew(
    slack_bot: SlackBot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.slack")
    slack.rate_limit("chat.update", times=1, retry_after=TOO_LONG)
    await slack_bot.command("a red balloon")
    [card] = await slack.wait_for(lambda: cards(slack))
    await slack_bot.idle()  # the working message is deleted after the card is posted
    assert [c.status for c in slack.calls("chat.update")] == [429]  # given up at once
    assert (
        f"Slack rate-limited chat.update and asked to wait {TOO_LONG} s, longer than the "
        f"{MAX_RETRY_AFTER_S:.0f} s the bot waits; giving up on this call"
    ) in caplog.text
    assert card["text"].startswith(":frame_with_picture: <@U1>: a red balloon")
    [working, posted_card] = slack.calls("chat.postMessage")
    assert "blocks" not in working.args and "blocks" in posted_card.args
    [deleted] = slack.calls("chat.delete")
    assert deleted.args["ts"] not in {m["ts"] for m in slack.messages["C1"]}
    [comment, shown] = slack.messages["C1"]  # the uploaded images, then the card
    assert comment["files"] and shown is card
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)


async def test_no_working_message_for_long_means_not_started_and_not_charged(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=TOO_LONG)
    await slack_bot.command("a red balloon")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"] == (
        "Slack is asking the bot to slow down right now, so I couldn't start your image. "
        "You were not charged. Try again in a minute."
    )
    assert gateway.image_requests == [] and await slack_bot.entries() == []
    assert slack.calls("files.getUploadURLExternal") == []


async def test_many_partial_images_make_few_progress_edits(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    extra = {"IMAGINE_STREAM_PREVIEWS": True, "IMAGINE_MAX_N": 10}
    async with running_bot(tmp_path / "imagine.db", slack, gateway, **extra) as bot:
        await bot.command("a red balloon --n 10")
        [card] = await slack.wait_for(lambda: cards(slack))
        [entry] = await bot.entries()
    [request] = gateway.image_requests
    partials = int(request.fields["partial_images"]) * int(request.fields["n"])
    assert partials == 20
    assert len(progress_updates(slack)) <= 4  # paced: the partials replace one another
    rows = [len(block["elements"]) for block in card["blocks"][1:]]
    assert rows == [10, 10, 3]  # Vary 1..10, Pick 1..10, then Re-roll, Edit, Delete
    assert (entry.status, entry.images_delivered) == ("succeeded", 10)


async def test_a_rate_limited_progress_edit_never_lands_over_the_card(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    gateway.fail("delay", seconds=2.0)  # long enough for one progress edit
    slack.rate_limit("chat.update", times=RATE_LIMIT_RETRIES, retry_after=1)
    await slack_bot.command("a red balloon")
    [card] = await slack.wait_for(lambda: cards(slack))
    [entry] = await slack_bot.entries()
    updates = slack.calls("chat.update")
    # the card waited for the edit Slack held back, so the edit cannot overwrite it
    assert [c.status for c in updates] == [429] * RATE_LIMIT_RETRIES + [200, 200]
    assert "blocks" not in updates[-2].args and "blocks" in updates[-1].args
    assert card["text"].startswith(":frame_with_picture: <@U1>: a red balloon")
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)


def test_retry_after_reads_seconds_and_falls_back_to_a_second() -> None:
    assert retry_after({"Retry-After": ["30"]}) == 30.0  # as slack_sdk hands headers over
    assert retry_after({"retry-after": "2.5", "content-type": "application/json"}) == 2.5
    assert retry_after({"Retry-After": ["Wed, 21 Oct 2026 07:28:00 GMT"]}) == DEFAULT_RETRY_AFTER_S
    assert retry_after({}) == DEFAULT_RETRY_AFTER_S
    assert retry_after({"Retry-After": ["-5"]}) == 0.0
