"""Budget alerts, log lines and the remaining-budget footer through the real adapters: the
discord.py client against the fake Discord, slack_sdk against the fake Slack."""

from __future__ import annotations

import logging

import pytest

from adapters.discord.notices import DiscordChannels
from adapters.slack.notices import SlackChannels
from bot.models import Scope
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import GUILD_ID, OWNER_ID, FakeDiscord
from tests.fakes.discord_bot import DiscordBot, opt
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot

LIMITS = {"workspace_monthly_images": "1", "user_monthly_images": "20"}


async def test_discord_posts_the_alerts_the_log_line_and_the_footer(
    bot: DiscordBot, fake: FakeDiscord
) -> None:
    bot.runner.notices.register("discord", DiscordChannels(bot.adapter))
    where = {"alert_channel": "900000000000000001", "log_channel": "900000000000000002"}
    await bot.handler.set_limits(Scope("discord", str(GUILD_ID)), LIMITS | where, "admin")
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
    final = await bot.final(ix)
    assert final.body["content"].endswith(" · 19 of 20 images left this month")

    log_line = await bot.answered("POST", lambda c: "/900000000000000002/" in c.path)
    [entry] = await bot.entries()
    model = bot.handler.settings.model
    assert log_line.body["content"] == (
        f"{OWNER_ID} made 1 image (generate, {model}, ${entry.est_cost_usd:.3f}), "
        f'request {entry.id[:8]} — "a red balloon"'
    )
    assert log_line.body["allowed_mentions"]["parse"] == []
    await bot.answered(
        "POST", lambda c: "/900000000000000001/" in c.path and "100 %" in str(c.body)
    )
    alerts = fake.find("POST", r"/channels/900000000000000001/messages")
    assert [call.body["content"] for call in alerts] == [
        f"Budget alert ({share} %): This workspace has used 1 of its 1 image this month "
        "(workspace_monthly_images); it resets on Fri 1 Feb 00:00 UTC."
        for share in (80, 100)
    ]


async def test_a_prompt_in_the_discord_log_channel_shows_no_masked_link(
    bot: DiscordBot, fake: FakeDiscord
) -> None:
    bot.runner.notices.register("discord", DiscordChannels(bot.adapter))
    where = {"log_channel": "900000000000000002"}
    await bot.handler.set_limits(Scope("discord", str(GUILD_ID)), where, "admin")
    await bot.final(await bot.slash("imagine", [opt("prompt", "a [free prize](https://x.test)")]))

    log_line = await bot.answered("POST", lambda c: "/900000000000000002/" in c.path)
    assert log_line.body["content"].endswith(' — "a \\[free prize](https://x.test)"')


async def test_slack_posts_the_alerts_the_log_line_and_the_footer(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    slack_bot.runner.notices.register("slack", SlackChannels(slack_bot.adapter.client))
    where = {"alert_channel": "C0ALERTS", "log_channel": "C0LOG"}
    await slack_bot.handler.set_limits(Scope("slack", TEAM), LIMITS | where, "admin")
    await slack_bot.command("a red balloon")

    def posted(channel: str) -> list[str]:
        return [
            str(c.args["text"])
            for c in slack.calls("chat.postMessage")
            if c.args["channel"] == channel
        ]

    alerts = await slack.wait_for(lambda: len(posted("C0ALERTS")) == 2 and posted("C0ALERTS"))
    assert [text.split("; it resets")[0] for text in alerts] == [
        f"Budget alert ({share} %): This workspace has used 1 of its 1 image this month "
        "(workspace_monthly_images)"
        for share in (80, 100)
    ]
    [entry] = await slack_bot.entries()
    [line] = posted("C0LOG")
    assert line.startswith("U1 made 1 image (generate, ") and line.endswith(
        f'request {entry.id[:8]} — "a red balloon"'
    )
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.args["initial_comment"].endswith(" · 19 of 20 images left this month")


async def test_a_prompt_in_the_slack_log_channel_can_never_ping(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    slack_bot.runner.notices.register("slack", SlackChannels(slack_bot.adapter.client))
    await slack_bot.handler.set_limits(Scope("slack", TEAM), {"log_channel": "C0LOG"}, "admin")
    await slack_bot.command("a cat &lt;!channel&gt; &amp; friends")  # Slack escapes what was typed

    def logged() -> list[str]:
        return [
            str(c.args["text"])
            for c in slack.calls("chat.postMessage")
            if c.args["channel"] == "C0LOG"
        ]

    [line] = await slack.wait_for(lambda: logged())
    assert line.endswith(' — "a cat &lt;!channel&gt; &amp; friends"')


async def test_slack_not_in_the_alert_channel_is_logged_and_the_result_stands(
    slack_bot: SlackBot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack_bot.runner.notices.register("slack", SlackChannels(slack_bot.adapter.client))
    slack.not_in_channel.add("C0ALERTS")
    await slack_bot.handler.set_limits(
        Scope("slack", TEAM), LIMITS | {"alert_channel": "C0ALERTS"}, "admin"
    )
    caplog.set_level(logging.WARNING)
    await slack_bot.command("a red balloon")
    await slack.wait_for(lambda: "could not post in slack channel C0ALERTS" in caplog.text)
    assert "could not post in slack channel C0ALERTS: SlackApiError" in caplog.text
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.delivery) == ("succeeded", "delivered")
