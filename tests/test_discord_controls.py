"""The creative controls under Discord results, end to end against the fakes: the buttons,
what the gateway receives for each press, the charge, a restart, Pick (a double press is in
test_discord_buttons.py, with Vary's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.models import Actor
from bot.web.app import OFF
from tests.discordfixtures import bot as bot
from tests.discordfixtures import fake as fake
from tests.discordfixtures import refused
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, OWNER_ID, FakeDiscord, Json, member
from tests.fakes.discord_bot import DiscordBot, custom_ids, opt, running_bot
from tests.fakes.gateway import FakeGateway, Recorded
from tests.support import alpha_range, decoded

GUEST = member(700000000000000002, "guest")
OWNER = Actor("discord", str(GUILD_ID), str(CHANNEL_ID), str(OWNER_ID))
RED = (200, 60, 40)  # the fake gateway's images


async def imagine(bot: DiscordBot, n: int = 1) -> Json:
    """Run /imagine; the stored result message."""
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon"), opt("count", n, 4)])
    await bot.final(ix)
    return bot.message_of(ix)


def edit_sent(gateway: FakeGateway) -> tuple[Recorded, Image.Image, Image.Image | None]:
    """The last request the gateway received, an edit: its one image and its mask."""
    seen = gateway.image_requests[-1]
    assert seen.path == "/v1/images/edits"
    [image] = seen.files("image[]")
    masks = seen.files("mask")
    return seen, decoded(image.data), decoded(masks[0].data) if masks else None


def rows_of(message: Json) -> list[list[str]]:
    """Each row's buttons as people read them (the label, else the emoji)."""
    return [
        [c.get("label") or c["emoji"]["name"] for c in row["components"]]
        for row in message["components"]
    ]


async def test_a_single_image_gets_every_control_within_discords_five_by_five(
    bot: DiscordBot,
) -> None:
    result = await imagine(bot)
    [entry] = await bot.entries()
    assert rows_of(result) == [
        ["Vary", "Vary (Subtle)", "Vary (Strong)", "Upscale"],
        ["Zoom Out 1.5×", "Zoom Out 2×", "Vary Region"],
        ["⬅️", "➡️", "⬆️", "⬇️"],
        ["Re-roll", "Edit", "Delete"],
    ]
    controls = [c for c in custom_ids(result) if c.startswith("imagine:ctl:")]
    assert controls == [
        f"imagine:ctl:{name}:{entry.id}"
        for name in (
            "vary-subtle",
            "vary-strong",
            "upscale",
            "zoom-1.5",
            "zoom-2",
            "pan-left",
            "pan-right",
            "pan-up",
            "pan-down",
        )
    ]
    assert f"imagine:region:{entry.id}" in custom_ids(result)


def zoomed(box: tuple[int, int, int, int]) -> Any:
    """The check of a zoom: a 1024×1024 canvas and mask, the source opaque inside `box`, the
    new border transparent in both."""

    def check(seen: Recorded, canvas: Image.Image, mask: Image.Image | None) -> None:
        assert mask is not None and canvas.size == mask.size == (1024, 1024)
        assert alpha_range(mask, box) == alpha_range(canvas, box) == (255, 255)
        assert canvas.getpixel((512, 512))[:3] == RED
        assert alpha_range(mask, (0, 0, 1024, box[1] - 1)) == (0, 0)
        assert alpha_range(canvas, (0, box[3] + 1, 1024, 1024)) == (0, 0)

    return check


def panned(size: tuple[int, int], box: tuple[int, int, int, int], strip: Any) -> Any:
    """The check of a pan: the canvas grown by half, the source flush, the strip transparent."""

    def check(seen: Recorded, canvas: Image.Image, mask: Image.Image | None) -> None:
        assert mask is not None and canvas.size == mask.size == size
        assert seen.fields["size"] == f"{size[0]}x{size[1]}"
        assert alpha_range(mask, box) == (255, 255) and alpha_range(mask, strip) == (0, 0)
        assert alpha_range(canvas, strip) == (0, 0)

    return check


def plain(size: str, words: str) -> Any:
    """The check of a control sending the image unmasked, at `size`, with its instruction."""

    def check(seen: Recorded, canvas: Image.Image, mask: Image.Image | None) -> None:
        assert mask is None and canvas.size == (1024, 1024)
        assert seen.fields["size"] == size and words in seen.fields["prompt"]

    return check


@pytest.mark.parametrize(
    ("control", "kind", "title", "check"),
    [
        ("zoom-2", "zoom", "Zoom Out 2×", zoomed((256, 256, 768, 768))),
        ("zoom-1.5", "zoom", "Zoom Out 1.5×", zoomed((171, 171, 853, 853))),
        ("pan-left", "pan", "Pan ⬅️", panned((1536, 1024), (512, 0, 1536, 1024), (0, 0, 512, 1024))),
        (
            "pan-right",
            "pan",
            "Pan ➡️",
            panned((1536, 1024), (0, 0, 1024, 1024), (1024, 0, 1536, 1024)),
        ),
        ("pan-up", "pan", "Pan ⬆️", panned((1024, 1536), (0, 512, 1024, 1536), (0, 0, 1024, 512))),
        (
            "pan-down",
            "pan",
            "Pan ⬇️",
            panned((1024, 1536), (0, 0, 1024, 1024), (0, 1024, 1024, 1536)),
        ),
        ("vary-subtle", "vary", "Vary (Subtle)", plain("1024x1024", "subtle variation")),
        ("vary-strong", "vary", "Vary (Strong)", plain("1024x1024", "strong variation")),
        ("upscale", "upscale", "Upscale", plain("2880x2880", "higher resolution")),
    ],
)
async def test_each_control_sends_its_edit_and_is_charged_once_to_the_presser(
    bot: DiscordBot, gateway: FakeGateway, control: str, kind: str, title: str, check: Any
) -> None:
    result = await imagine(bot)
    [first] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:ctl:{control}:{first.id}", who=GUEST))
    assert (await bot.callback(click)).body == {"type": 5}
    final = await bot.final(click)
    await bot.idle()

    check(*edit_sent(gateway))
    [made] = [e for e in await bot.entries() if e.id != first.id]
    assert (made.kind, made.parent_id, made.user_id, made.status) == (
        kind,
        first.id,
        GUEST["user"]["id"],
        "succeeded",
    )
    assert made.options.control == control.replace("-", " ")
    assert made.est_cost_usd > 0 and len(gateway.image_requests) == 2
    assert final.body["content"].startswith(f"**{title}** — <@{GUEST['user']['id']}>")
    [image] = bot.message_of(click)["attachments"]
    assert image["filename"].endswith(".png")
    # the result is one image: it gets every control again, under its own ledger id
    assert f"imagine:ctl:{control}:{made.id}" in custom_ids(final.body)
    assert f"imagine:reroll:{made.id}:{result['id']}:0" in custom_ids(final.body)


async def test_a_control_keeps_working_after_the_bot_restarts(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as bot:
        result = await imagine(bot)
        [first] = await bot.entries()
    async with running_bot(tmp_path / "imagine.db", fake, gateway) as restarted:
        custom_id = f"imagine:ctl:zoom-2:{first.id}"
        final = await restarted.final(await restarted.send(fake.click(result, custom_id)))
        await restarted.idle()
        [made] = [e for e in await restarted.entries() if e.id != first.id]
        used = (await restarted.handler.usage(OWNER)).images_today
    check = zoomed((256, 256, 768, 768))
    check(*edit_sent(gateway))
    assert (made.kind, made.parent_id, made.status) == ("zoom", first.id, "succeeded")
    assert final.body["content"].startswith("**Zoom Out 2×** —")
    assert used == 2 and len(gateway.image_requests) == 2


async def test_several_images_get_vary_and_pick_each_and_a_picked_one_gets_every_control(
    bot: DiscordBot, gateway: FakeGateway
) -> None:
    result = await imagine(bot, n=2)
    [first] = await bot.entries()
    assert rows_of(result) == [["V1", "V2"], ["Pick 1", "Pick 2"], ["Re-roll", "Edit", "Delete"]]
    click = await bot.send(bot.fake.click(result, f"imagine:choose:{first.id}:1", who=GUEST))
    assert (await bot.callback(click)).body == {"type": 6}
    picked = (await bot.followup(click)).answer
    assert isinstance(picked, dict)
    assert picked["content"].startswith(f"**Image 2** of https://discord.com/channels/{GUILD_ID}/")
    assert len(picked["attachments"]) == 1
    assert rows_of(picked) == rows_of(await imagine(bot))  # the full set
    assert len(gateway.image_requests) == 2  # picking made nothing and charged nothing
    assert (await bot.handler.usage(OWNER)).images_today == 3

    final = await bot.final(
        await bot.send(bot.fake.click(picked, f"imagine:ctl:zoom-2:{first.id}", who=GUEST))
    )
    check = zoomed((256, 256, 768, 768))
    check(*edit_sent(gateway))
    assert final.body["content"].startswith("**Zoom Out 2×** —")
    assert bot.fake.find("GET", rf"/channels/\d+/messages/{picked['id']}")  # fetched afresh


async def test_vary_region_without_the_web_face_says_privately_why(bot: DiscordBot) -> None:
    result = await imagine(bot)
    [entry] = await bot.entries()
    click = await bot.send(bot.fake.click(result, f"imagine:region:{entry.id}", who=GUEST))
    assert (
        await refused(bot, click)
        == OFF
        == (
            "The web dashboard is off: the bot's admin has not set IMAGINE_PUBLIC_URL "
            "(the address browsers reach the bot at). See docs/web.md."
        )
    )
    assert len(await bot.entries()) == 1
