"""Every download: credentials only to their owners' hosts, redirects checked, bytes capped.

Foreign hosts are real servers on other loopback addresses (tests/fakes/stranger.py) that
record whatever reached them, Authorization headers above all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.discord.sources import attachment_hosts
from adapters.slack.files import file_hosts
from bot.gateway.client import GatewayClient
from bot.gateway.errors import BadGatewayResponse, GatewayTimeout
from bot.gateway.imagebody import MAX_LINKED_IMAGE_BYTES
from bot.models import Options
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.fakes.discord import FakeDiscord, Json
from tests.fakes.discord_bot import DiscordBot, opt
from tests.fakes.gateway import FakeGateway, image_bytes
from tests.fakes.slack import TOKEN, FakeSlack
from tests.fakes.slack_app import SlackBot, png, running_bot
from tests.fakes.stranger import Stranger

KEY = "sk-gateway-key"
LATER = "2000000000.000001"
NOT_CHARGED = "You were not charged."


@pytest.fixture
async def stranger() -> AsyncIterator[Stranger]:
    """Someone else's server on 127.0.0.2."""
    async with Stranger("127.0.0.2") as server:
        yield server


def mention(text: str, thread_ts: str) -> dict[str, str]:
    return {"type": "app_mention", "user": "U1", "text": text, "ts": LATER, "channel": "C1",
            "thread_ts": thread_ts}  # fmt: skip


async def refused_mention(
    bot: SlackBot, gateway: FakeGateway, parent: dict[str, Any], text: str = "make it blue"
) -> str:
    """What Slack shows the person who asked, in a reply to `parent`, to edit its file; the
    request reached neither the gateway nor the ledger."""
    await bot.event(mention(f"<@UBOT> {text}", parent["ts"]))
    [told] = await bot.slack.wait_for(lambda: bot.slack.calls("chat.postEphemeral"))
    assert gateway.image_requests == [] and await bot.entries() == []
    return str(told.args["text"])


async def refused_edit(bot: DiscordBot, gateway: FakeGateway, image: Json) -> str:
    """The private answer to /edit of a Discord attachment; the request reached neither the
    gateway nor the ledger."""
    ix = await bot.slash("edit", [opt("image", image["id"], 11), opt("prompt", "add a hat")],
                         attachments=[image])  # fmt: skip
    answer = await bot.followup(ix)
    assert gateway.image_requests == [] and await bot.entries() == []
    return str(answer.body["content"])


# ---- Slack: the bot token goes to Slack's file hosts only ------------------------------------


def test_slack_file_hosts_are_slacks_own_and_the_api_origin() -> None:
    hosts = file_hosts("https://slack.com/api")
    assert "https://files.slack.com/files-pri/T1-F1/download/a.png" in hosts
    assert "https://files.slack-gov.com/files-pri/T1-F1/a.png" in hosts
    assert "https://slack.com/files-pri/T1-F1/a.png" in hosts
    for url in (
        "http://files.slack.com/files-pri/T1-F1/a.png",  # not TLS
        "https://files.slack.com:8443/a.png",
        "https://files.slack.com.example.net/a.png",
        "https://files.slack.com@127.0.0.2/a.png",  # userinfo, the host is 127.0.0.2
        "https://127.0.0.2/?files.slack.com",
        "ftp://files.slack.com/a.png",
        "not a url",
    ):
        assert url not in hosts, url
    local = file_hosts("http://127.0.0.1:8123/api/")
    assert "http://127.0.0.1:8123/files-pri/x" in local
    assert "http://127.0.0.1:9/files-pri/x" not in local
    assert "http://127.0.0.2:8123/files-pri/x" not in local


@pytest.mark.parametrize("elsewhere", ["its link", "a redirect"])
async def test_a_slack_file_off_slacks_hosts_is_not_fetched(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, stranger: Stranger, elsewhere: str
) -> None:
    photo = slack.add_file(png(), "cat.png")
    if elsewhere == "its link":
        photo["url_private"] = photo["url_private_download"] = stranger.url("/cat.png")
    else:
        slack.file_redirects[photo["id"]] = stranger.url("/elsewhere.png")
    parent = slack.add_message("C1", "look", files=[photo])

    assert await refused_mention(slack_bot, gateway, parent) == (
        "cat.png is not on Slack's file servers, so I did not fetch it. "
        "You were not charged. Upload the image to Slack itself and try again."
    )
    asked = [] if elsewhere == "its link" else [f"Bearer {TOKEN}"]  # Slack's own host only
    assert [d["auth"] for d in slack.downloads] == asked
    assert stranger.requests == []


async def test_a_slack_file_larger_than_it_claims_stops_at_the_cap(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    sneaky = slack.add_file(png(400, 400) + bytes(64 * 1024), "sneaky.png")
    sneaky["size"] = 10
    parent = slack.add_message("C1", "small, it says", files=[sneaky])
    async with running_bot(
        tmp_path / "imagine.db", slack, gateway, IMAGINE_MAX_SOURCE_BYTES=4096
    ) as running:
        told = await refused_mention(running, gateway, parent, "make it small")
    assert told == (
        "sneaky.png is too large: the limit is 4 KB. You were not charged. Use a smaller image."
    )
    assert len(slack.downloads) == 1


# ---- Discord: attachments from Discord's CDN only, counted as they stream --------------------


def test_discord_attachment_hosts_are_the_cdn_and_the_api_origin() -> None:
    hosts = attachment_hosts("https://discord.com/api/v10")
    assert "https://cdn.discordapp.com/attachments/1/2/a.png?ex=1" in hosts
    assert "https://media.discordapp.net/attachments/1/2/a.png" in hosts
    assert "https://discord.com/attachments/1/2/a.png" in hosts
    assert "http://cdn.discordapp.com/attachments/1/2/a.png" not in hosts
    assert "https://cdn.discordapp.com.example.net/a.png" not in hosts
    assert "https://127.0.0.2/attachments/1/2/a.png" not in hosts


async def test_a_discord_attachment_streaming_past_its_claimed_size_stops_at_the_cap(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    image = fake.attachment(png(64, 64), "tiny.png")
    fake.files[f"{image['id']}/tiny.png"] = bytes(50 * 1024 * 1024)
    image["size"] = 10

    assert await refused_edit(bot, gateway, image) == (
        'The image "tiny.png" is too large: the limit is 25 MB. You were not charged. '
        "Send a smaller file."
    )


@pytest.mark.parametrize("elsewhere", ["its link", "a redirect"])
async def test_a_discord_attachment_off_discords_hosts_is_not_fetched(
    bot: DiscordBot, fake: FakeDiscord, gateway: FakeGateway, stranger: Stranger, elsewhere: str
) -> None:
    image = fake.attachment(png(64, 64), "cat.png")
    if elsewhere == "its link":
        image["url"] = image["proxy_url"] = stranger.url("/attachments/1/2/cat.png")
    else:
        fake.redirects[f"{image['id']}/cat.png"] = stranger.url("/cat.png")

    assert await refused_edit(bot, gateway, image) == (
        'Could not download "cat.png" from Discord. You were not charged. '
        "Post the image again and retry."
    )
    assert stranger.requests == []


# ---- Gateway image links: http(s) or data:, capped, the key to the gateway's origin only ------


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as client:
        yield client


def client(http: httpx.AsyncClient, gateway: FakeGateway, timeout: float = 60.0) -> GatewayClient:
    return GatewayClient(
        http, base_url=gateway.url, api_key=KEY, model="gpt-image-1", timeout=timeout
    )


async def test_a_huge_linked_image_is_refused_at_the_cap_without_the_key(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, stranger: Stranger
) -> None:
    stranger.stream_size = 300 * 1024 * 1024
    gateway.fail("url", base=stranger.origin)

    await slack_bot.command("a fox")

    [reply] = await slack.wait_for(lambda: slack.responses)
    [entry] = await slack_bot.entries()
    assert reply["text"] == (
        "The image service sent an unusable answer (an image link held more than 64 MB). "
        f"You were not charged. Try again. (request {entry.id[:8]})"
    )
    assert (entry.status, entry.images_delivered, entry.est_cost_usd) == ("failed", 0, 0)
    assert stranger.credentials == []
    assert MAX_LINKED_IMAGE_BYTES <= stranger.streamed < 300 * 1024 * 1024


async def test_a_redirect_from_the_gateway_to_another_host_drops_the_key(
    http: httpx.AsyncClient, gateway: FakeGateway, stranger: Stranger
) -> None:
    stranger.body = image_bytes("1024x1024")
    gateway.fail("url")
    gateway.file_redirect = stranger.url("/signed/1024x1024.png")

    result = await client(http, gateway).generate("a fox", Options())

    assert result.images == (image_bytes("1024x1024"),)
    link = gateway.requests[-1]
    assert (link.method, link.headers["authorization"]) == ("GET", f"Bearer {KEY}")
    assert stranger.requests == [("/signed/1024x1024.png", "")]


async def test_a_linked_image_that_never_arrives_ends_within_the_gateway_timeout(
    http: httpx.AsyncClient, gateway: FakeGateway, stranger: Stranger
) -> None:
    stranger.hang = True
    gateway.fail("url", base=stranger.origin)

    with pytest.raises(GatewayTimeout) as caught:
        await client(http, gateway, timeout=1.0).generate("a fox", Options())

    assert str(caught.value) == (
        "The image service did not answer within 1 s. "
        "You were not charged. Try again, perhaps with a lower quality."
    )
    assert stranger.credentials == []


async def test_a_link_that_is_not_http_or_data_is_not_followed(
    http: httpx.AsyncClient, gateway: FakeGateway
) -> None:
    gateway.fail("url", base="file://")

    with pytest.raises(BadGatewayResponse) as caught:
        await client(http, gateway).generate("a fox", Options())

    assert "(an image without data)" in str(caught.value)
