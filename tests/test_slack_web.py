"""Slack and the web face: Vary Region answers with an editor link whose edit is posted back
in the channel; `/imagine dashboard` gives workspace admins a link; without IMAGINE_PUBLIC_URL
both say the web face is off."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from adapters.slack.commands import NOT_ADMIN
from bot.delivery import DeliveryFailed
from bot.models import Actor, ImageRequest, Options
from bot.web.app import OFF
from bot.web.platforms import Origin
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, TOKEN, FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot
from tests.test_slack_buttons import cards, pressed_under_a_result, reply_to, uploaded_ids
from tests.test_slack_controls import alpha_range, decoded

LINK = re.compile(r"<(http://[^|>]+)\|")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
async def web_bot(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> AsyncIterator[SlackBot]:
    async with running_bot(tmp_path / "imagine.db", slack, gateway, web_face=True) as bot:
        yield bot


def left_half_painted(size: tuple[int, int]) -> str:
    """The editor's painting as its script sends it: the left half painted."""
    painting = Image.new("RGBA", size, (0, 0, 0, 0))
    painting.paste((40, 90, 250, 180), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    painting.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


async def test_vary_region_links_to_the_editor_and_its_edit_is_posted_in_the_channel(
    web_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await pressed_under_a_result(web_bot, "a red balloon --size 1024x1024", "Vary Region")
    [told] = await slack.wait_for(lambda: slack.responses)
    assert told["response_type"] == "ephemeral"
    assert told["text"].endswith(
        ">: paint the part of the image to change and say what should appear there. The link "
        "is for you alone and works for 15 min; the edit is charged as any edit and posted here."
    )
    async with httpx.AsyncClient() as browser:
        opened = await browser.get(LINK.findall(told["text"])[0])
        assert opened.status_code == 200
        base = str(opened.url).split("/web/")[0]
        page = await browser.get(f"{base}/web/edit")
        fields = {
            "csrf": CSRF.findall(page.text)[0],
            "once": "ab" * 16,
            "prompt": "a kite",
            "mask": left_half_painted((1024, 1024)),
        }
        answer = await browser.post(
            f"{base}/web/edit", files={k: (None, v) for k, v in fields.items()}
        )
    assert answer.status_code == 200, answer.text
    assert "Your new image is posted in the Slack channel C1" in answer.text
    # the delivered result is read from Slack (for the page, then the edit), with the token
    assert [d["auth"] for d in slack.downloads] == [f"Bearer {TOKEN}"] * 2
    edit = gateway.image_requests[1]
    assert edit.files("image[]")[0].data == slack.file_data[uploaded_ids(slack, 0)[0]]
    mask = decoded(edit.files("mask")[0].data)
    assert alpha_range(mask, (0, 0, 512, 1024)) == (0, 0)
    assert alpha_range(mask, (512, 0, 1024, 1024)) == (255, 255)
    posted = slack.calls("files.completeUploadExternal")[1]
    assert posted.args["channel_id"] == "C1" and posted.args["initial_comment"].startswith(
        "<@U1>: a kite"
    )
    await slack.wait_for(lambda: len(cards(slack)) == 2)
    original, edited = sorted(await web_bot.entries(), key=lambda e: e.parent_id is not None)
    assert (edited.kind, edited.parent_id, edited.status) == ("edit", original.id, "succeeded")
    mine = await web_bot.handler.usage(Actor("slack", TEAM, "C1", "U1"))
    assert mine.images_today == 2


async def test_without_a_public_url_vary_region_and_dashboard_say_the_web_face_is_off(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.users["UADMIN"] = {"is_admin": True}
    await pressed_under_a_result(slack_bot, "a red balloon", "Vary Region")
    await slack_bot.command("dashboard", user="UADMIN")
    told = await slack.wait_for(lambda: len(slack.responses) == 2 and slack.responses)
    assert [r["text"] for r in told] == [OFF, OFF]
    assert len(gateway.image_requests) == 1


async def test_dashboard_gives_an_admin_a_link_to_this_workspace_and_refuses_others(
    web_bot: SlackBot, slack: FakeSlack
) -> None:
    slack.users["UADMIN"] = {"is_admin": True}
    told = await reply_to(web_bot, "dashboard", user="UADMIN")
    assert told["response_type"] == "ephemeral"
    assert told["text"].endswith(
        "|Open the dashboard> of this workspace: spending, budgets, the ledger and the limits. "
        "The link works for 15 min; anyone holding it can see and change this workspace's "
        "limits, so keep it to yourself."
    )
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        opened = await browser.get(LINK.findall(told["text"])[0])
        base = str(opened.url).split("/web/")[0]
        overview = await browser.get(f"{base}/web/")
    assert overview.status_code == 200 and TEAM in overview.text

    await web_bot.command("dashboard", user="U2")
    await slack.wait_for(lambda: len(slack.responses) == 2)
    assert slack.responses[1]["text"] == NOT_ADMIN
    assert "http" not in NOT_ADMIN


async def test_the_editor_reads_only_from_slack_hosts_and_a_refused_upload_is_a_delivery_failure(
    web_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    origin = Origin("slack", TEAM, "C1")
    with pytest.raises(DeliveryFailed) as elsewhere:
        await web_bot.adapter.source_image(origin, "https://example.com/balloon.png", 10**7)
    assert "is not on Slack's file servers" in elsewhere.value.cause
    assert slack.downloads == []

    alice = Actor("slack", TEAM, "C1", "U1")
    made = ImageRequest("generate", "a kite", alice, "edit-1", Options(size="1024x1024"))
    result = await web_bot.handler.generate(made)
    slack.not_in_channel.add("C1")
    with pytest.raises(DeliveryFailed) as refused:
        await web_bot.adapter.post_result(origin, result, "U1")
    assert (refused.value.cause, refused.value.transient) == (
        "the app is not a member of this channel",
        False,
    )
