"""Delete and Pick under a Slack result: neither makes a request, so neither charges. Delete
removes the card and its images (the ledger row and its charge stay), for the person who made
them or an admin; Pick posts one image of several with the full set of controls under it.
Both carry ids only and work after a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.slack.cards import CardIds, result_card
from adapters.slack.results import NOT_YOURS
from bot.models import Actor, GeneratedImage, Options, Result
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot
from tests.test_slack_buttons import (
    cards,
    click,
    made_before_a_restart,
    pressed_under_a_result,
    settled_card,
    uploaded_ids,
    without_scope,
)
from tests.test_slack_controls import ROWS


async def images_today(bot: SlackBot, user: str = "U1") -> int:
    """What the ledger counts for a person today."""
    return (await bot.handler.usage(Actor("slack", TEAM, "C1", user))).images_today


async def test_delete_removes_the_card_and_its_images_after_a_restart_and_the_charge_stays(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    db, card, made = await made_before_a_restart(tmp_path, slack, gateway, "a red balloon --n 2")
    files = uploaded_ids(slack, 0)
    async with running_bot(db, slack, gateway) as bot:
        await bot.interactive(click(card, "Delete", slack))
        await slack.wait_for(lambda: not cards(slack))
        await bot.idle()
        assert [call.args["file"] for call in slack.calls("files.delete")] == files
        assert not set(files) & set(slack.files)
        [upload] = slack.messages["C1"]
        assert upload["files"] == []
        [kept] = await bot.entries()
        assert (kept.id, kept.status, kept.images_delivered) == (made.id, "succeeded", 2)
        assert await images_today(bot) == 2
    assert slack.responses == [] and len(gateway.image_requests) == 1


async def test_delete_by_someone_else_is_refused_privately_and_removes_nothing(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    card = await pressed_under_a_result(slack_bot, "a red balloon", "Delete", user="U2")
    [told] = await slack.wait_for(lambda: slack.responses)
    await slack_bot.idle()
    assert (
        told["text"]
        == NOT_YOURS
        == (
            "Only the person who made this image, a workspace admin or a manager of this channel "
            "can delete it."
        )
    )
    assert told["response_type"] == "ephemeral"
    assert slack.calls("files.delete") == slack.calls("chat.delete") == []
    assert cards(slack) == [card] and uploaded_ids(slack, 0)[0] in slack.files


async def test_a_workspace_admin_may_delete_anyones_result_and_a_second_press_is_quiet(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.users["UADMIN"] = {"is_admin": True}
    card = await pressed_under_a_result(slack_bot, "a red balloon", "Delete", user="UADMIN")
    await slack.wait_for(lambda: not cards(slack))
    await slack_bot.interactive(click(card, "Delete", slack, user="UADMIN"))
    await slack.wait_for(lambda: len(slack.calls("files.delete")) == 2)
    await slack_bot.idle()
    assert slack.responses == []
    assert [(e.status, e.user_id) for e in await slack_bot.entries()] == [("succeeded", "U1")]


async def test_when_slack_will_not_delete_the_person_is_told_and_the_card_stays(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    card = await settled_card(slack_bot, "a red balloon")
    without_scope(slack, "files:write")
    await slack_bot.interactive(click(card, "Delete", slack))
    [told] = await slack.wait_for(lambda: slack.responses)
    assert told["text"] == (
        "Slack would not delete this result (missing_scope). Nothing else was changed."
    )
    assert cards(slack) == [card]


async def test_pick_posts_the_chosen_image_with_every_control_and_charges_nothing(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    square = "a red balloon --n 2 --size 1024x1024"
    db, card, made = await made_before_a_restart(tmp_path, slack, gateway, square)
    first = uploaded_ids(slack, 0)
    async with running_bot(db, slack, gateway) as bot:
        await bot.interactive(click(card, "Pick 2", slack, user="U2"))
        [_, picked] = await slack.wait_for(lambda: cards(slack)[1:] and cards(slack))
        [copy] = uploaded_ids(slack, 1)
        assert slack.file_data[copy] == slack.file_data[first[1]]
        [_, shared] = slack.calls("files.completeUploadExternal")
        text = ":frame_with_picture: Image 2 of a red balloon, picked by <@U2>"
        assert shared.args["initial_comment"] == picked["text"] == text
        rows = [b["elements"] for b in picked["blocks"] if b["type"] == "actions"]
        assert [[e["text"]["text"] for e in row] for row in rows] == ROWS
        assert {json.loads(e["value"])["r"] for row in rows for e in row} == {made.id}
        assert [e.id for e in await bot.entries()] == [made.id]
        assert len(gateway.image_requests) == 1
        assert await images_today(bot, "U2") == 0

        await bot.interactive(click(picked, "Vary (Subtle)", slack, user="U2"))
        await slack.wait_for(lambda: len(cards(slack)) == 3)
        varied = gateway.image_requests[1]
        assert varied.files("image[]")[0].data == slack.file_data[copy]
        [under] = [e for e in await bot.entries() if e.id != made.id]
        assert (under.parent_id, under.user_id, under.status) == (made.id, "U2", "succeeded")
        assert await images_today(bot, "U2") == 1


async def test_deleting_a_picked_image_leaves_the_result_it_came_from(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.command("a red balloon --n 2")
    [card] = await slack.wait_for(lambda: cards(slack))
    await slack_bot.interactive(click(card, "Pick 1", slack))
    [_, picked] = await slack.wait_for(lambda: cards(slack)[1:] and cards(slack))
    await slack_bot.interactive(click(picked, "Delete", slack))
    await slack.wait_for(lambda: len(cards(slack)) == 1)
    assert cards(slack) == [card]
    assert [call.args["file"] for call in slack.calls("files.delete")] == uploaded_ids(slack, 1)
    assert set(uploaded_ids(slack, 0)) <= set(slack.files)


async def test_a_pick_slack_will_not_take_is_explained_and_charges_nothing(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    card = await settled_card(slack_bot, "a red balloon --n 2")
    slack.not_in_channel.add("C1")
    await slack_bot.interactive(click(card, "Pick 2", slack))
    [told] = await slack.wait_for(lambda: slack.responses)
    assert told["text"] == (
        "I couldn't post the picked image: the app is not a member of this channel. You were "
        "not charged. Invite it with `/invite @Imagine`."
    )
    assert cards(slack) == [card] and len(await slack_bot.entries()) == 1


async def test_a_pick_of_a_deleted_image_says_it_is_gone(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    card = await pressed_under_a_result(slack_bot, "a red balloon --n 2", "Delete")
    await slack.wait_for(lambda: not cards(slack))
    await slack_bot.interactive(click(card, "Pick 1", slack))
    [told] = await slack.wait_for(lambda: slack.responses)
    assert told["text"] == (
        "That image is no longer available in Slack (file_not_found). You were not charged."
    )
    assert len(slack.calls("files.completeUploadExternal")) == 1


def test_a_picked_image_of_an_edit_has_no_re_roll() -> None:
    result = Result("e1", "edit", "make it blue", Options(), (), 0.04)
    _, blocks = result_card("U1", result, CardIds("e1", ("F1",), rerollable=False))
    rows = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in rows[-1]["elements"]] == ["Edit", "Vary Region", "Delete"]


@pytest.mark.parametrize("count", [2, 10])
def test_several_images_keep_slacks_block_kit_limits(count: int) -> None:
    image = GeneratedImage(b"", "image/png", "x.png", 1024, 1024)
    result = Result("e1", "generate", "a balloon", Options(), (image,) * count, 0.04)
    ids = CardIds("e1", tuple(f"F{i}" for i in range(count)))
    _, blocks = result_card("U1", result, ids)
    rows = [b["elements"] for b in blocks if b["type"] == "actions"]
    labels = [[e["text"]["text"] for e in row] for row in rows]
    assert labels == [
        [f"Vary {i}" for i in range(1, count + 1)],
        [f"Pick {i}" for i in range(1, count + 1)],
        ["Re-roll", "Edit", "Delete"],
    ]
    action_ids = [e["action_id"] for row in rows for e in row]
    assert len(set(action_ids)) == len(action_ids)
    assert len(blocks) <= 50 and all(len(row) <= 25 for row in rows)
    assert len({b["block_id"] for b in blocks if b["type"] == "actions"}) == len(rows)
