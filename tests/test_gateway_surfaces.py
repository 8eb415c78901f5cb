"""A gateway's warning about a result reaches the person on Discord and on Slack."""

from __future__ import annotations

from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord_bot import DiscordBot, opt
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_app import SlackBot

IGNORED = "The model ignored the background setting <here> & **there**."


async def test_discord_shows_the_gateways_warning_under_the_result(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    gateway.fail("warning", message=IGNORED)
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
    final = await bot.final(ix)

    lines = final.body["content"].splitlines()
    assert lines[1].startswith("`1024x1024` · medium · 1 image · $")
    assert lines[2:] == [
        "Note from the image service: The model ignored the background setting "
        r"<here> & \*\*there\*\*."
    ]
    [entry] = await bot.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)


async def test_slack_shows_the_gateways_warning_with_the_upload(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    gateway.fail("warning", message=IGNORED)
    await slack_bot.command("a red balloon")
    [complete] = await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))

    lines = complete.args["initial_comment"].splitlines()
    assert lines[0] == "<@U1>: a red balloon"
    assert lines[2:] == [
        "Note from the image service: The model ignored the background setting "
        "&lt;here&gt; &amp; **there**."
    ]
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)
