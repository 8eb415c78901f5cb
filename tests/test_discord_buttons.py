"""Buttons under results: Vary, Re-roll, Edit (modal), Delete; after a restart; double clicks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.models import Actor, Scope
from bot.requests import words
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.discordfixtures import refused
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, OWNER_ID, FakeDiscord, Json, member
from tests.fakes.discord_bot import DiscordBot, custom_ids, image_size, opt, running_bot
from tests.fakes.gateway import FakeGateway

GUEST = member(700000000000000002, "guest")
OWNER = Actor("discord", str(GUILD_ID), str(CHANNEL_ID), str(OWNER_ID))
MODERATOR = member(700000000000000003, "moderator", permissions=(1 << 10) | (1 << 13))


async def imagine(bot: DiscordBot, prompt: str = "a red balloon", n: int = 1) -> Json:
    """Run /imagine; the stored result message."""
    ix = await bot.slash("imagine", [opt("prompt", prompt), opt("count", n, 4)])
    await bot.final(ix)
    return bot.message_of(ix)


async def test_vary_sends_that_image_to_the_gateway_and_charges_the_presser(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    result = await imagine(bot, n=2)
    [first] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:vary:{first.id}:1", who=GUEST))
    assert (await bot.callback(click)).body == {"type": 5}
    final = await bot.final(click)

    edit = gateway.image_requests[-1]
    assert edit.path == "/v1/images/edits"
    [sent] = edit.files("image[]")
    assert image_size(sent.data) == (1024, 1024)
    assert edit.fields["n"] == "1" and edit.fields["size"] == "1024x1024"
    [vary] = [e for e in await bot.entries() if e.kind == "vary"]
    assert (vary.kind, vary.parent_id, vary.user_id) == ("vary", first.id, GUEST["user"]["id"])
    assert final.body["content"].startswith("**Variation** — <@700000000000000002>")
    assert custom_ids(final.body)[0] == f"imagine:vary:{vary.id}:0"
    reroll = f"imagine:reroll:{vary.id}:{result['id']}:1"
    assert reroll in custom_ids(final.body)

    again = await bot.final(await bot.send(bot.fake.click(bot.message_of(click), reroll)))
    assert again.body["content"].startswith("**Variation** —")
    [source] = gateway.image_requests[-1].files("image[]")  # the same image 2, fetched again
    assert source.data == sent.data and len(gateway.image_requests) == 3
    assert bot.fake.find("GET", rf"/channels/\d+/messages/{result['id']}")


async def test_buttons_keep_working_after_the_bot_restarts(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as bot:
        result = await imagine(bot, "a lighthouse at dusk")
        [first] = await bot.entries()
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as restarted:
        click = await restarted.send(fake.click(result, f"imagine:reroll:{first.id}", who=GUEST))
        final = await restarted.final(click)
        [again] = [e for e in await restarted.entries() if e.id != first.id]
    assert gateway.image_requests[-1].fields["prompt"] == "a lighthouse at dusk"
    assert (again.parent_id, again.user_id, again.status) == (
        first.id,
        GUEST["user"]["id"],
        "succeeded",
    )
    assert final.body["content"].startswith("**a lighthouse at dusk** — <@700000000000000002>")


async def test_vary_pressed_again_later_makes_a_new_result_charged_again(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    result = await imagine(bot)
    [first] = await bot.entries()
    custom_id = f"imagine:vary:{first.id}:0"
    one = await bot.final(await bot.send(bot.fake.click(result, custom_id)))
    await bot.idle()  # the first press has ended
    two = await bot.final(await bot.send(bot.fake.click(result, custom_id)))
    varied = [e for e in await bot.entries() if e.kind == "vary"]
    assert [(e.parent_id, e.status) for e in varied] == [(first.id, "succeeded")] * 2
    assert {f"imagine:vary:{e.id}:0" for e in varied} == {
        custom_ids(one.body)[0],
        custom_ids(two.body)[0],
    }
    assert len(gateway.image_requests) == 3
    assert (await bot.handler.usage(OWNER)).images_today == 3


@pytest.mark.parametrize(
    ("button", "kind"), [("vary:{id}:0", "vary"), ("ctl:pan-left:{id}", "pan")]
)
async def test_a_double_click_makes_one_result_charged_once(
    bot: DiscordBot, gateway: FakeGateway, button: str, kind: str
) -> None:
    result = await imagine(bot)
    [first] = await bot.entries()
    gateway.fail("delay", seconds=0.5)  # keep the first press in flight while the second lands
    custom_id = "imagine:" + button.format(id=first.id)
    one, two = bot.fake.click(result, custom_id), bot.fake.click(result, custom_id)
    await bot.send(one)
    await bot.send(two)
    dropped = await refused(bot, two)  # private, never deferred
    await bot.final(one)
    await bot.idle()
    assert dropped == ("Your first press of that button is still running; this one was dropped.")
    assert sorted(e.kind for e in await bot.entries()) == ["generate", kind]
    assert len(gateway.image_requests) == 2
    assert (await bot.handler.usage(OWNER)).images_today == 2
    assert [c.method for c in bot.fake.calls if two["token"] in c.path] == ["POST"]


async def test_edit_opens_a_modal_then_edits_the_result(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    result = await imagine(bot, n=2)
    [first] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:edit:{first.id}"))
    modal = await bot.modal(click)
    assert modal["title"] == "Edit image"

    submit = await bot.send(bot.fake.submit(modal, ["make it blue --quality low"]))
    final = await bot.final(submit)
    edit = gateway.image_requests[-1]
    assert edit.path == "/v1/images/edits" and len(edit.files("image[]")) == 2
    assert (edit.fields["prompt"], edit.fields["quality"]) == ("make it blue", "low")
    assert final.body["content"].startswith("**Edit: make it blue** —")
    [entry] = [e for e in await bot.entries() if e.kind == "edit"]
    assert f"imagine:reroll:{entry.id}:{result['id']}" in custom_ids(final.body)


async def test_an_edit_from_a_result_keeps_its_quality_and_format_and_names_it_as_parent(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    result = await imagine(bot, "a red balloon --quality high --format webp")
    [first] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:edit:{first.id}"))
    modal = await bot.modal(click)
    await bot.final(await bot.send(bot.fake.submit(modal, ["make it blue"])))
    edit = gateway.image_requests[-1]
    assert (edit.fields["quality"], edit.fields["output_format"]) == ("high", "webp")
    [entry] = [e for e in await bot.entries() if e.kind == "edit"]
    assert (entry.parent_id, entry.quality) == (first.id, "high")


async def test_an_edit_form_opened_before_a_restart_is_an_edit_when_sent_after(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as bot:
        result = await imagine(bot, "a red balloon --quality high")
        [first] = await bot.entries()
        modal = await bot.modal(await bot.send(fake.click(result, f"imagine:edit:{first.id}")))
    assert modal["custom_id"] == f"imagine:editform:{result['id']}:{first.id}"
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as restarted:
        final = await restarted.final(await restarted.send(fake.submit(modal, ["make it blue"])))
        [entry] = [e for e in await restarted.entries() if e.kind == "edit"]
        usage = await restarted.handler.usage(OWNER)
    edit = gateway.image_requests[-1]
    assert (edit.path, edit.fields["prompt"], edit.fields["quality"]) == (
        "/v1/images/edits",
        "make it blue",
        "high",
    )
    assert final.body["content"].startswith("**Edit: make it blue** —")
    assert (entry.parent_id, entry.status) == (first.id, "succeeded")
    assert usage.images_today == 2  # the generation and the edit, each charged once


def deleted(fake: FakeDiscord, message_id: int) -> None:
    del fake.messages[message_id]


def unreadable(fake: FakeDiscord, message_id: int) -> None:
    fake.unreadable.add(message_id)


@pytest.mark.parametrize(
    ("lose", "reason"),
    [
        (deleted, "The message with the image was deleted, so there is nothing to change. "),
        (
            unreadable,
            "I cannot read that message any more, so there is nothing to change. "
            "Open Edit image on it again. ",
        ),
    ],
    ids=["deleted", "unreadable"],
)
async def test_an_edit_form_for_a_message_gone_from_reach_says_so_and_charges_nothing(
    bot: DiscordBot,
    gateway: FakeGateway,
    lose: Callable[[FakeDiscord, int], None],
    reason: str,
) -> None:
    result = await imagine(bot)
    [first] = await bot.entries()
    modal = await bot.modal(await bot.send(bot.fake.click(result, f"imagine:edit:{first.id}")))
    lose(bot.fake, int(result["id"]))
    submit = await bot.send(bot.fake.submit(modal, ["make it blue"]))
    assert await refused(bot, submit) == reason + "You were not charged."
    assert len(gateway.image_requests) == 1
    assert (await bot.handler.usage(OWNER)).images_today == 1


async def test_delete_is_for_the_requester_or_manage_messages(bot: DiscordBot) -> None:
    result = await imagine(bot)
    [entry] = await bot.entries()
    custom_id = f"imagine:delete:{entry.id}"

    refused = await bot.callback(await bot.send(bot.fake.click(result, custom_id, who=GUEST)))
    assert refused.body["type"] == 4 and refused.body["data"]["flags"] == 64
    assert refused.body["data"]["content"] == (
        "Only the person who made this image, or someone with **Manage Messages**, can delete it."
    )
    assert int(result["id"]) in bot.fake.messages

    allowed = await bot.callback(await bot.send(bot.fake.click(result, custom_id, who=MODERATOR)))
    assert allowed.body == {"type": 6}
    await bot.fake.wait_for(
        lambda c: (
            c.method == "DELETE" and c.path == f"/channels/{CHANNEL_ID}/messages/{result['id']}"
        )
    )
    assert int(result["id"]) not in bot.fake.messages


async def test_a_channel_can_forbid_varying_other_peoples_images(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    result = await imagine(bot)
    [first] = await bot.entries()
    channel = Scope("discord", str(GUILD_ID), str(CHANNEL_ID))
    await bot.handler.set_limits(channel, {"others_can_vary": "false"}, "1")
    click = await bot.send(bot.fake.click(result, f"imagine:vary:{first.id}:0", who=GUEST))
    assert await bot.private_error(click) == (
        "In this channel only the person who made an image can vary or re-roll it. "
        "Start your own with /imagine. You were not charged."
    )
    assert len(await bot.entries()) == 1 and len(gateway.image_requests) == 1


async def test_edit_says_at_once_when_nothing_is_left_today(bot: DiscordBot) -> None:
    await bot.handler.set_limits(
        Scope("discord", str(GUILD_ID), "*"), {"user_daily_images": "1"}, "1"
    )
    result = await imagine(bot)
    [entry] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:edit:{entry.id}"))
    assert await refused(bot, click) == (  # no modal to fill in
        "You have reached your limit here, so a new image would be refused. "
        "Limits reset in 12 h (00:00 UTC). You were not charged. Ask an admin if you need more."
    )


async def test_a_press_that_fails_inside_the_bot_is_answered_not_left_to_time_out(
    tmp_path: Path, bot: DiscordBot
) -> None:
    result = await imagine(bot)
    [entry] = await bot.entries()
    with sqlite3.connect(tmp_path / "imagine.db") as db:
        db.execute("ALTER TABLE usage RENAME TO usage_gone")  # the ledger can no longer be read
    click = await bot.send(bot.fake.click(result, f"imagine:delete:{entry.id}"))
    assert (
        await refused(bot, click)
        == words.internal().text
        == (
            "Something went wrong inside the bot. You were not charged. The error was logged; "
            "tell the bot's admin if it keeps happening."
        )
    )
    assert int(result["id"]) in bot.fake.messages
