"""What the gateway says reaches the person on Discord and Slack: a warning about a result,
and, on the first /imagine against a gateway that does not serve the model, the admin's line
naming IMAGINE_MODEL (not the gateway URL)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_bot import DiscordBot, opt, running_bot
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


async def test_the_first_imagine_on_a_gateway_without_the_model_names_imagine_model(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with (
        FakeGateway(models=["openai/gpt-image-2"]) as gateway,
        running_bot(tmp_path / "imagine.db", fake, gateway, IMAGINE_MODEL="vendor/gone") as bot,
    ):
        ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
        shown = await bot.private_error(ix)
        [entry] = await bot.entries()
        async with httpx.AsyncClient() as http:
            listed = (await http.get(gateway.url + "/models")).status_code == 200

    offers = "; it offers openai/gpt-image-2" if listed else ""
    assert shown == (
        "The bot is misconfigured: the gateway does not offer model 'vendor/gone' "
        f"(IMAGINE_MODEL){offers}. You were not charged. Tell the bot's admin. "
        f"(request {entry.id[:8]})"
    )
    assert (entry.status, entry.error_kind, entry.est_cost_usd) == ("failed", "model_not_found", 0)
    assert len(gateway.image_requests) == 1
