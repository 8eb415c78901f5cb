"""Vary, Re-roll and Edit under a result: ids only, so they survive a restart; each press is
a request of its own, charged once, and a second press while the first runs is dropped."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.models import Actor, LedgerEntry, Scope
from bot.requests.words import PRESSED_AGAIN
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot


def cards(slack: FakeSlack) -> list[dict[str, Any]]:
    """Messages in C1 carrying result buttons, oldest first."""
    return [m for m in slack.messages.get("C1", []) if m.get("blocks")]


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's buttons by label, from all its actions blocks."""
    rows = [block for block in card["blocks"] if block.get("type") == "actions"]
    return {b["text"]["text"]: b for row in rows for b in row["elements"]}


def click(card: dict[str, Any], label: str, slack: FakeSlack, user: str = "U1") -> dict[str, Any]:
    """A block_actions payload for one button of a card."""
    button = buttons(card)[label]
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": card["ts"], "channel_id": "C1"},
        "message": card,
        "response_url": slack.response_url(),
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "imagine_result",
                "value": button["value"],
                "action_ts": f"17000000{len(slack.log)}.0001",
            }
        ],
    }


async def pressed_under_a_result(
    bot: SlackBot, command: str, label: str, user: str = "U1"
) -> dict[str, Any]:
    """Make a result with `/imagine command`, then press `label` under it; its card."""
    card = await settled_card(bot, command)
    await bot.interactive(click(card, label, bot.slack, user=user))
    return card


async def reply_to(bot: SlackBot, text: str, user: str = "U1") -> dict[str, Any]:
    """Send `/imagine text` and wait for the one answer only its sender sees."""
    await bot.command(text, user=user)
    [reply] = await bot.slack.wait_for(lambda: bot.slack.responses)
    return reply


def without_scope(slack: FakeSlack, scope: str) -> None:
    """Take one scope from the app, as a workspace that installed an older manifest."""
    slack.scopes = tuple(s for s in slack.scopes if s != scope)


async def made_before_a_restart(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway, command: str
) -> tuple[Path, dict[str, Any], LedgerEntry]:
    """A result made by a bot that then stops: its database, its card and its ledger row."""
    db = tmp_path / "imagine.db"
    async with running_bot(db, slack, gateway) as bot:
        card = await settled_card(bot, command)  # its row says delivered
        [made] = await bot.entries()
    return db, card, made


async def settled_card(bot: SlackBot, command: str) -> dict[str, Any]:
    """The card of `/imagine command`, once everything the request does has ended."""
    await bot.command(command)
    [card] = await bot.slack.wait_for(lambda: cards(bot.slack))
    await bot.idle()
    return card


def uploaded_ids(slack: FakeSlack, index: int) -> list[str]:
    """The file ids of the index-th upload."""
    call = slack.calls("files.completeUploadExternal")[index]
    return [f["id"] for f in json.loads(call.args["files"])]


async def test_buttons_work_after_a_restart(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    db, card, original = await made_before_a_restart(
        tmp_path, slack, gateway, "a red balloon --n 2"
    )
    first_files = uploaded_ids(slack, 0)

    async with running_bot(db, slack, gateway) as bot:
        await bot.interactive(click(card, "Vary 2", slack))
        await slack.wait_for(lambda: len(cards(slack)) == 2)
        varied = gateway.image_requests[1]
        assert varied.path == "/v1/images/edits"
        assert [p.data for p in varied.files("image[]")] == [slack.file_data[first_files[1]]]
        assert varied.fields["n"] == "1"

        await bot.interactive(click(card, "Re-roll", slack))
        await slack.wait_for(lambda: len(cards(slack)) == 3)
        rerolled = gateway.image_requests[2]
        assert rerolled.path == "/v1/images/generations"
        assert (rerolled.fields["prompt"], rerolled.fields["n"]) == ("a red balloon", 2)

        await bot.interactive(click(card, "Edit", slack))
        [view] = await slack.wait_for(lambda: slack.views)
        assert json.loads(view["private_metadata"])["r"] == original.id
        values = {
            "image": {"value": {"selected_option": {"value": "0"}}},
            "instruction": {"value": {"value": "make it blue"}},
        }
        submitted = {"type": "view_submission", "user": {"id": "U1"}, "view": view}
        submitted["view"] = {**view, "state": {"values": values}}
        await bot.interactive(submitted)
        await slack.wait_for(lambda: len(cards(slack)) == 4)
        edited = gateway.image_requests[3]
        assert [p.data for p in edited.files("image[]")] == [slack.file_data[first_files[0]]]

        edit_card = cards(slack)[3]
        assert json.loads(buttons(edit_card)["Re-roll"]["value"])["f"] == [first_files[0]]
        await bot.interactive(click(edit_card, "Re-roll", slack))
        await slack.wait_for(lambda: len(cards(slack)) == 5)
        again = gateway.image_requests[4]
        assert again.fields["prompt"] == "make it blue"
        assert [p.data for p in again.files("image[]")] == [slack.file_data[first_files[0]]]

        entries = await bot.entries()
    under = {(e.kind, e.parent_id): e for e in entries}
    assert len(under) == len(entries) == 5 and under.pop(("generate", None)) == original
    vary, reroll = under.pop(("vary", original.id)), under.pop(("generate", original.id))
    edit = under.pop(("edit", original.id))
    [edit_again] = under.values()
    assert (edit_again.kind, edit_again.parent_id) == ("edit", edit.id)
    assert edit.idempotency_key == f"slack:view:{view['id']}"
    assert {vary.status, reroll.status, edit.status, edit_again.status} == {"succeeded"}
    assert len({e.idempotency_key for e in entries}) == 5


async def test_vary_pressed_twice_in_a_row_makes_two_results_both_charged(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    card = await pressed_under_a_result(slack_bot, "a red balloon", "Vary (Subtle)")
    await slack.wait_for(lambda: len(cards(slack)) == 2)
    await slack_bot.idle()  # the first press has ended, so the second is not a repeat
    await slack_bot.interactive(click(card, "Vary (Subtle)", slack))
    await slack.wait_for(lambda: len(cards(slack)) == 3)
    entries = await slack_bot.entries()
    [original] = [e for e in entries if e.parent_id is None]
    varied = [e for e in entries if e is not original]
    assert [(e.kind, e.parent_id, e.status) for e in varied] == [
        ("vary", original.id, "succeeded")
    ] * 2
    mine = await slack_bot.handler.usage(Actor("slack", TEAM, "C1", "U1"))
    assert mine.images_today == 3
    assert mine.cost_today_usd == pytest.approx(sum(e.est_cost_usd for e in [original, *varied]))
    assert len(gateway.image_requests) == 3
    assert slack.responses == []


async def test_a_double_click_runs_once_and_the_second_press_is_dropped(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.command("a red balloon")
    [card] = await slack.wait_for(lambda: cards(slack))
    gateway.fail("delay", seconds=1.0)  # the first press is still running at the second
    await asyncio.gather(
        slack_bot.interactive(click(card, "Re-roll", slack)),
        slack_bot.interactive(click(card, "Re-roll", slack)),
    )
    [told] = await slack.wait_for(lambda: slack.responses)
    await slack.wait_for(lambda: len(cards(slack)) == 2)
    assert told["text"] == PRESSED_AGAIN
    assert told["response_type"] == "ephemeral"
    [rerolled] = [e for e in await slack_bot.entries() if e.parent_id is not None]
    assert (rerolled.kind, rerolled.status) == ("generate", "succeeded")
    assert len(gateway.image_requests) == 2
    assert len(slack.calls("chat.postMessage")) == 2  # no working message for the dropped press


async def test_edit_is_refused_before_its_modal_when_nothing_is_left_today(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.command("a red balloon")
    [card] = await slack.wait_for(lambda: cards(slack))
    await slack_bot.handler.set_limits(
        Scope("slack", TEAM, "C1"), {"user_daily_images": "1"}, "UADMIN"
    )
    await slack_bot.interactive(click(card, "Edit", slack))
    [told] = await slack.wait_for(lambda: slack.responses)
    assert told["text"] == (
        "You have reached your limit here, so a new image would be refused. Limits reset in "
        "12 h (00:00 UTC). You were not charged. Ask an admin if you need more."
    )
    assert slack.views == [] and len(await slack_bot.entries()) == 1


async def test_others_may_not_vary_when_the_channel_forbids_it(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", slack, gateway) as bot:
        await bot.handler.set_limits(
            Scope("slack", TEAM, "C1"), {"others_can_vary": "false"}, "UADMIN"
        )
        await bot.command("a red balloon")
        [card] = await slack.wait_for(lambda: cards(slack))
        await bot.interactive(click(card, "Vary (Strong)", slack, user="U2"))
        [told] = await slack.wait_for(lambda: slack.responses)
        assert told["text"] == (
            "In this channel only the person who made an image can vary or re-roll it. "
            "Start your own with /imagine. You were not charged."
        )
        assert len(await bot.entries()) == 1
    assert len(gateway.image_requests) == 1


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("imagine_vary_1", "not json"),
        ("imagine_reroll", "[1, 2]"),
        ("imagine_edit", '{"r": "1a2b3c4d", "f": []}'),
        ("imagine_control_zoom_9", '{"r": "1a2b3c4d", "f": ["F1"]}'),
        ("imagine_region", '{"r": "1a2b3c4d"}'),
    ],
)
async def test_a_damaged_button_is_explained(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway, action_id: str, value: str
) -> None:
    async with running_bot(tmp_path / "imagine.db", slack, gateway) as bot:
        card = {
            "ts": "1.0",
            "blocks": [
                {},
                {
                    "type": "actions",
                    "elements": [
                        {"text": {"text": "Button"}, "action_id": action_id, "value": value}
                    ],
                },
            ],
        }
        await bot.interactive(click(card, "Button", slack))
        [told] = await slack.wait_for(lambda: slack.responses)
    assert told["text"] == (
        "That button is damaged or too old. You were not charged. Start a new /imagine."
    )
    assert slack.views == [] and gateway.image_requests == []
