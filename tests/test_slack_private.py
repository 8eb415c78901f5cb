"""`--private` on Slack: the working message, the images and the card go to the person's
direct messages with the bot; the channel gets nothing but a note only they see."""

from __future__ import annotations

from adapters.slack.surface import PRIVATE_NOTE
from bot.models import Actor, Scope
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot
from tests.test_slack_buttons import reply_to, without_scope


async def test_a_private_image_is_made_and_delivered_in_the_direct_messages(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.command("a red balloon --private")
    [card] = await slack.wait_for(
        lambda: [m for m in slack.messages.get("DU1", []) if m.get("blocks")]
    )
    await slack_bot.idle()
    assert "C1" not in slack.messages
    [opened] = slack.calls("conversations.open")
    assert opened.args["users"] == "U1"
    [upload] = slack.calls("files.completeUploadExternal")
    assert upload.args["channel_id"] == "DU1"
    assert [r["text"] for r in slack.responses] == [PRIVATE_NOTE]
    assert slack.responses[0]["response_type"] == "ephemeral"
    assert "Vary (Subtle)" in str(card["blocks"])
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.options.private, entry.images_delivered) == ("succeeded", True, 1)
    mine = await slack_bot.handler.usage(Actor("slack", TEAM, "C1", "U1"))
    assert mine.images_today == 1


async def test_without_im_write_a_private_image_is_not_started_and_not_charged(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    without_scope(slack, "im:write")
    told = await reply_to(slack_bot, "a red balloon --private")
    await slack_bot.idle()
    assert told["text"] == (
        "I couldn't open a direct message with you (missing_scope), so I didn't start your "
        "private image. You were not charged. Leave out --private, or ask an admin to add the "
        "im:write scope to the app."
    )
    assert slack.messages == {} and gateway.image_requests == []
    assert await slack_bot.entries() == []


async def test_where_private_results_are_off_the_refusal_comes_before_anything_is_posted(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.handler.set_limits(
        Scope("slack", TEAM, "C1"), {"allow_private": "false"}, "UADMIN"
    )
    told = await reply_to(slack_bot, "a red balloon --private")
    await slack_bot.idle()
    assert told["text"] == (
        "Not allowed here: private results; leave out --private (allow_private). "
        "You were not charged."
    )
    assert told["response_type"] == "ephemeral"
    assert slack.messages == {} and slack.calls("conversations.open") == []
    assert slack.calls("chat.postMessage") == [] and gateway.image_requests == []
    assert await slack_bot.entries() == []
