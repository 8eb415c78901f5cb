"""People's text is inert: control characters never reach the store, bidi controls never reorder
the bot's own words. The rules (bot/text.py), then a prompt end to end on PostgreSQL, Slack
and Discord."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.text import inert, inert_line
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_bot import DiscordBot, opt
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot
from tests.storefixtures import postgres_url
from tests.test_slack_edit import not_an_image

RLO, PDF, LRI, PDI, RLM, ALM = "\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u061c"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
CONTROLS = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)]))


@pytest.mark.parametrize("char", list(CONTROLS + BIDI))
def test_every_control_and_bidi_character_is_dropped(char: str) -> None:
    assert inert(f"a{char}b") == "ab"
    assert inert_line(f"a{char}b") == "ab"


def test_newlines_and_tabs_stay_in_prompts_and_become_spaces_in_names() -> None:
    assert inert("line one\r\nline two\rthree\u2028four\tend") == (
        "line one\nline two\nthree\nfour\tend"
    )
    assert inert_line("  cat\n\tphoto.png \r\n") == "cat photo.png"
    assert inert("مرحبا 🎈 world, naïve, 日本") == "مرحبا 🎈 world, naïve, 日本"


async def test_a_prompt_with_nul_and_bidi_controls_works_on_postgresql(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    typed = f"a red\x00 balloon{RLO} on a{ALM} table\x07 --quality low"
    async with running_bot(
        tmp_path / "unused.db", slack, gateway, IMAGINE_DATABASE_URL=postgres_url()
    ) as running:
        await running.command(typed)
        await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
        [entry] = await running.entries()
    assert (entry.status, entry.images_delivered) == ("succeeded", 1)
    assert entry.prompt == "a red balloon on a table"
    assert gateway.image_requests[0].fields["prompt"] == "a red balloon on a table"
    [working] = slack.calls("chat.postMessage")
    [complete] = slack.calls("files.completeUploadExternal")
    assert "a red balloon on a table" in working.args["text"]
    assert complete.args["initial_comment"].startswith("<@U1>: a red balloon on a table\n")


async def test_a_slack_file_name_cannot_reorder_the_bots_words(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    name = f"invoice{RLO}fdp.exe{PDF}\n.pdf"
    assert await not_an_image(slack_bot, slack, gateway, name) == (
        "invoicefdp.exe .pdf is not an image. Pick a message with a PNG, JPEG or WebP image. "
        "You were not charged."
    )


async def test_a_discord_prompt_cannot_reorder_the_bots_words(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    ix = await bot.slash("imagine", [opt("prompt", f"{LRI}a fox{RLO} — by {RLM}me{PDI}")])
    final = await bot.final(ix)
    assert final.body["content"].startswith("**a fox — by me** — <@")
    assert not set(final.body["content"]) & set(BIDI + CONTROLS)
    assert gateway.image_requests[0].fields["prompt"] == "a fox — by me"
    [entry] = await bot.entries()
    assert entry.prompt == "a fox — by me"
