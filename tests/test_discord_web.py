"""Discord and the web face: Vary Region's private link, and Discord as the editor's platform
(the image read from Discord only, renewed from its message; the result posted with buttons)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.delivery import DeliveryFailed
from bot.models import GeneratedImage, Options, Result
from bot.web.app import OFF, open_web
from bot.web.platforms import Origin, Platforms
from tests.discordfixtures import fake as fake
from tests.discordfixtures import refused
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord, Json, member
from tests.fakes.discord_bot import DiscordBot, custom_ids, opt, png, running_bot
from tests.fakes.gateway import FakeGateway

GUEST = member(700000000000000002, "guest")
PUBLIC = "https://bot.example.com"
HERE = Origin("discord", str(GUILD_ID), str(CHANNEL_ID))


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway) -> AsyncIterator[DiscordBot]:
    """The adapter with the web face on."""
    async with running_bot(
        tmp_path / "imagine.db", fake, gateway, IMAGINE_PUBLIC_URL=PUBLIC
    ) as bot:
        yield bot


async def imagine(bot: DiscordBot) -> Json:
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
    await bot.final(ix)
    return bot.message_of(ix)


async def test_vary_region_answers_privately_with_a_link_for_that_person_and_result(
    bot: DiscordBot,
) -> None:
    result = await imagine(bot)
    [entry] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:region:{entry.id}", who=GUEST))
    text = await refused(bot, click)
    first, second = text.split("\n")
    assert first.startswith("Paint the part to change and say what goes there: ")
    link = first.removeprefix("Paint the part to change and say what goes there: ")
    assert link.startswith(f"{PUBLIC}/web/open?t=")
    assert second == "The link is yours alone and works for 15 minutes."
    web_ = await open_web(bot.handler.settings, bot.handler, Platforms({}))  # the same key
    assert web_ is not None
    grant = web_.signer.check(parse_qs(urlsplit(link).query)["t"][0], "link", web_.now())
    [image] = result["attachments"]
    assert (grant.role, grant.user, grant.entry, grant.workspace, grant.channel) == (
        "editor",
        GUEST["user"]["id"],
        entry.id,
        str(GUILD_ID),
        str(CHANNEL_ID),
    )
    assert grant.image == f"{image['url']}#message={result['id']}"
    assert len(await bot.entries()) == 1  # nothing made, nothing charged


async def test_the_editor_reads_the_image_and_renews_an_expired_url_from_its_message(
    bot: DiscordBot,
) -> None:
    data = png(40, 30)
    posted = bot.fake.message(attachments=[bot.fake.attachment(data)])
    [image] = posted["attachments"]
    url = f"{image['url']}#message={posted['id']}"
    assert await bot.adapter.source_image(HERE, url, 10**7) == data

    expired = f"{bot.fake.base}/attachments/{image['id']}/old-signature.png#message={posted['id']}"
    assert await bot.adapter.source_image(HERE, expired, 10**7) == data
    assert bot.fake.find("GET", rf"/channels/{CHANNEL_ID}/messages/{posted['id']}")


async def test_the_editor_never_reads_an_image_off_discord(bot: DiscordBot) -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await bot.adapter.source_image(HERE, "http://169.254.169.254/latest/meta-data", 10**7)
    assert caught.value.cause == "the image is no longer on Discord"


async def test_the_editors_result_is_posted_in_the_channel_with_its_buttons(
    bot: DiscordBot,
) -> None:
    image = GeneratedImage(png(64, 64), "image/png", "region.png", 64, 64)
    result = Result("e1", "edit", "a blue door", Options(size="1024x1024"), (image,), 0.04)
    where = await bot.adapter.post_result(HERE, result, GUEST["user"]["id"])
    assert where == "#images"
    call = await bot.answered("POST", lambda c: c.path == f"/channels/{CHANNEL_ID}/messages")
    assert call.body["content"].startswith(f"**Edit: a blue door** — <@{GUEST['user']['id']}>")
    assert "imagine:ctl:zoom-2:e1" in custom_ids(call.body)
    assert [f.filename for f in call.files] == ["region.png"]


async def test_a_refused_post_is_a_delivery_failure_with_its_cause(bot: DiscordBot) -> None:
    image = GeneratedImage(png(64, 64), "image/png", "region.png", 64, 64)
    result = Result("e1", "edit", "a blue door", Options(size="1024x1024"), (image,), 0.04)
    bot.fake.upload_status = 403
    with pytest.raises(DeliveryFailed) as caught:
        await bot.adapter.post_result(HERE, result, GUEST["user"]["id"])
    assert caught.value.cause.startswith("Discord did not let the bot post them here")
    assert not caught.value.transient


MANAGE_CHANNELS, MANAGE_GUILD = 1 << 4, 1 << 5
ADMIN = member(700000000000000010, "admin", permissions=MANAGE_GUILD | MANAGE_CHANNELS)


async def private_answer(bot: DiscordBot, ix: Json) -> str:
    """The text of a deferred private answer (deferral, then an edit of @original)."""
    assert (await bot.callback(ix)).body == {"type": 5, "data": {"flags": 64}}
    edit = await bot.fake.wait_for(
        lambda c: c.method == "PATCH" and c.path.endswith(f"/{ix['token']}/messages/@original")
    )
    return str(edit.body["content"])


@pytest.mark.parametrize(
    ("command", "options"),
    [("usage", [opt("scope", "server")]), ("limits", [{"name": "show", "type": 1, "options": []}])],
)
async def test_an_admins_server_report_ends_with_a_private_dashboard_link(
    bot: DiscordBot, command: str, options: list[Json]
) -> None:
    text = await private_answer(bot, await bot.slash(command, options, who=ADMIN))
    *_, intro, ttl = text.split("\n")
    link = intro.removeprefix("Charts, budgets, the ledger and the limits editor: ")
    assert link.startswith(f"{PUBLIC}/web/open?t=")
    assert ttl == "This link is yours alone and works for 15 minutes."
    web_ = await open_web(bot.handler.settings, bot.handler, Platforms({}))
    assert web_ is not None
    grant = web_.signer.check(parse_qs(urlsplit(link).query)["t"][0], "link", web_.now())
    assert (grant.role, grant.platform, grant.workspace, grant.user) == (
        "admin",
        "discord",
        str(GUILD_ID),
        ADMIN["user"]["id"],
    )


async def test_someone_without_manage_server_gets_no_link_but_the_reason(bot: DiscordBot) -> None:
    ix = await bot.slash("usage", [opt("scope", "server")], who=GUEST)
    assert await refused(bot, ix) == (
        "Server-wide settings need the **Manage Server** permission. Ask a server admin, "
        "or use `scope: channel` if you can manage this channel."
    )


async def test_a_channel_report_carries_no_workspace_link(bot: DiscordBot) -> None:
    text = await private_answer(bot, await bot.slash("usage", [opt("scope", "channel")], who=ADMIN))
    assert "/web/open" not in text and text.startswith("**Usage in <#")


async def test_with_the_web_face_off_the_server_report_says_so(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as off:
        text = await private_answer(
            off, await off.slash("usage", [opt("scope", "server")], who=ADMIN)
        )
    assert text.endswith("\n" + OFF)
