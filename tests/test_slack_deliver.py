"""An upload Slack keeps failing is retried for a while, then kept, not charged against the
person, and delivered once by the Deliver again button (after a restart too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.models import Actor, Scope
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot
from tests.support import standing
from tests.test_slack_buttons import cards

RETRY = {"IMAGINE_DELIVERY_RETRY_SECONDS": 1}
ASKER = Actor("slack", TEAM, "C1", "U1")
CHANNEL = Scope("slack", TEAM, "C1")


def press(slack: FakeSlack, reply: dict[str, Any], user: str = "U1") -> dict[str, Any]:
    """A block_actions payload for the Deliver again button of an ephemeral reply."""
    [button] = reply["blocks"][1]["elements"]
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1", "is_ephemeral": True},
        "response_url": slack.response_url(),
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": reply["blocks"][1]["block_id"],
                "value": button["value"],
                "action_ts": f"17000000{len(slack.log)}.0001",
            }
        ],
    }


async def said(bot: SlackBot, count: int) -> str:
    """The text of the count-th private reply (through a response_url)."""
    replies = await bot.slack.wait_for(
        lambda: len(bot.slack.responses) >= count and bot.slack.responses
    )
    return str(replies[count - 1]["text"])


async def test_a_failing_upload_is_retried_kept_and_delivered_once_by_deliver_again(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    db = tmp_path / "imagine.db"
    slack.upload_status = 500
    async with running_bot(db, slack, gateway, **RETRY) as bot:
        await bot.command("a red balloon")
        text = await said(bot, 1)
        before = await standing(bot, ASKER, CHANNEL)

    entry, mine, report = before.entry, before.mine, before.report
    assert text == (
        f"The images of request {entry.id[:8]} were made, but Slack answered the upload with "
        "a server error (HTTP 500). They are kept for 48 h and do not count against your "
        "limits until you receive them. Press Deliver again to get them."
    )
    reply = slack.responses[0]
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == text
    assert slack.refused_uploads >= 2  # tried again with backoff before giving up
    assert slack.calls("files.completeUploadExternal") == []
    assert (entry.status, entry.delivery, entry.images_delivered) == ("succeeded", "undelivered", 1)
    assert (mine.images_today, mine.cost_today_usd) == (0, 0.0)
    assert report.undelivered.images_today == report.images_today == 1
    assert len(before.kept) == 1 and cards(slack) == []

    slack.upload_status = None
    async with running_bot(db, slack, gateway, **RETRY) as bot:
        await bot.interactive(press(slack, reply, user="U2"))
        not_yours = await said(bot, 2)
        await bot.interactive(press(slack, reply))
        [card] = await slack.wait_for(lambda: cards(slack))
    async with running_bot(db, slack, gateway, **RETRY) as bot:
        await bot.interactive(press(slack, reply))
        twice = await said(bot, 3)
        after = await standing(bot, ASKER, CHANNEL)

    assert not_yours == (
        "Only the person who asked for these images can have them delivered. You were not charged."
    )
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C1"
    assert [u.data for u in slack.uploads.values() if u.data] == [before.kept[0].data]
    assert card["text"].startswith(":frame_with_picture: <@U1>: a red balloon")
    assert entry.id[:8] in card["text"]
    assert twice == (
        f"The images of request {entry.id[:8]} were delivered already. You were not charged."
    )
    assert after.entry.delivery == "delivered" and after.kept == ()
    assert (after.mine.images_today, after.mine.cost_today_usd) == (1, entry.est_cost_usd)
    assert (after.report.images_today, after.report.undelivered.images_today) == (1, 0)
    assert len(gateway.image_requests) == 1


async def test_a_delivery_cut_off_by_shutdown_leaves_the_person_a_deliver_again_button(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.rate_limit("files.getUploadURLExternal", retry_after=20)  # the upload waits it out
    settings = {"IMAGINE_SHUTDOWN_GRACE": 0}
    async with running_bot(tmp_path / "imagine.db", slack, gateway, **settings) as bot:
        await bot.command("a red balloon")
        await slack.wait_for(lambda: slack.calls("files.getUploadURLExternal"))
    async with running_bot(tmp_path / "imagine.db", slack, gateway) as restarted:
        [entry] = await restarted.entries()
        text = await said(restarted, 1)
        reply = slack.responses[0]
        await restarted.interactive(press(slack, reply))
        await slack.wait_for(lambda: cards(slack))
        await restarted.idle()  # the card is posted a moment before the ledger says delivered
        delivered = await restarted.handler.entry(entry.id)

    assert text == (
        f"The images of request {entry.id[:8]} were made, but the bot was restarting before "
        "they were posted. They are kept for 48 h and do not count against your limits until "
        "you receive them. Press Deliver again to get them."
    )
    assert reply["blocks"][0]["text"]["text"] == text
    assert [m for m in slack.messages["C1"] if "Imagining" in m.get("text", "")] == []
    assert delivered.delivery == "delivered" and len(gateway.image_requests) == 1
