"""The creative controls under a Slack result, end to end: the press downloads the result's
image from Slack, the gateway receives the control's canvas and mask, the new result is
charged once and carries the full set of buttons again, and a button works after a restart."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from adapters.slack.cards import CardIds, result_card
from bot import canvas, controls
from bot.config import DEFAULT_STRONG_PROMPT, DEFAULT_SUBTLE_PROMPT
from bot.models import Actor, Options, Result
from bot.requests.words import PRESSED_AGAIN
from tests.fakes.gateway import FakeGateway, Recorded
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import SlackBot, running_bot
from tests.test_slack_buttons import buttons, cards, click, uploaded_ids

SQUARE = "a red balloon --size 1024x1024"
ROWS = [
    ["Vary (Subtle)", "Vary (Strong)", "Upscale"],
    ["Zoom Out 1.5×", "Zoom Out 2×", "⬅", "➡", "⬆", "⬇"],
    ["Re-roll", "Edit", "Vary Region", "Delete"],
]
Box = tuple[int, int, int, int]


def decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGBA")


def alpha_range(img: Image.Image, box: Box) -> tuple[int, int]:
    low, high = img.getchannel("A").crop(box).getextrema()
    return int(low), int(high)


def edit_sent(seen: Recorded) -> tuple[list[Image.Image], Image.Image | None]:
    """The images and the mask of one edit the gateway received."""
    assert seen.path == "/v1/images/edits"
    masks = seen.files("mask")
    return [decoded(p.data) for p in seen.files("image[]")], (
        decoded(masks[0].data) if masks else None
    )


async def pressed_once(
    bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, label: str
) -> tuple[Recorded, dict[str, Any]]:
    """Make a square result, press one button under it; the edit sent and the new card."""
    await bot.command(SQUARE)
    [card] = await slack.wait_for(lambda: cards(slack))
    await bot.interactive(click(card, label, slack))
    await slack.wait_for(lambda: len(cards(slack)) == 2)
    return gateway.image_requests[1], cards(slack)[1]


def test_a_single_image_card_has_every_control_in_three_rows_carrying_ids_only() -> None:
    result = Result("e1", "generate", "a balloon", Options(), (), 0.04)
    _, blocks = result_card("U1", result, CardIds("e1", ("F1",), ("F0",)))
    rows = [b for b in blocks if b["type"] == "actions"]
    assert [[e["text"]["text"] for e in row["elements"]] for row in rows] == ROWS
    assert len({row["block_id"] for row in rows}) == 3
    values = [json.loads(e["value"]) for row in rows for e in row["elements"]]
    assert values.pop(9) == {"r": "e1", "f": ["F0"]}  # Re-roll: the request's own sources
    assert values == [{"r": "e1", "f": ["F1"]}] * 12
    action_ids = [e["action_id"] for row in rows for e in row["elements"]]
    assert len(set(action_ids)) == len(action_ids)
    arrows = {e["text"]["text"]: e.get("accessibility_label") for e in rows[1]["elements"]}
    assert arrows["⬅"] == "Pan left" and arrows["⬇"] == "Pan down"


ZOOMS = [("Zoom Out 2×", "zoom 2", (256, 256, 768, 768)), ("Zoom Out 1.5×", "zoom 1.5", None)]


@pytest.mark.parametrize(("label", "control", "box"), ZOOMS)
async def test_zoom_out_sends_the_result_centred_on_a_canvas_with_a_transparent_border(
    slack_bot: SlackBot,
    slack: FakeSlack,
    gateway: FakeGateway,
    label: str,
    control: str,
    box: Box | None,
) -> None:
    seen, card = await pressed_once(slack_bot, slack, gateway, label)
    (picture,), mask = edit_sent(seen)
    assert mask is not None and picture.size == mask.size == (1024, 1024)
    inner = box or (171, 171, 853, 853)
    assert alpha_range(mask, inner) == (255, 255) == alpha_range(picture, inner)
    assert alpha_range(mask, (0, 0, 1024, inner[1] - 1)) == (0, 0)
    assert alpha_range(mask, (inner[2] + 1, 0, 1024, 1024)) == (0, 0)
    assert seen.fields["prompt"] == controls.ZOOM_PROMPT
    await assert_charged_once_under_the_first(slack_bot, control)
    assert [[e["text"]["text"] for e in b["elements"]] for b in card["blocks"][1:]] == ROWS


PANS = [
    ("⬅", "left", (1536, 1024), (512, 0, 1536, 1024), (0, 0, 512, 1024)),
    ("➡", "right", (1536, 1024), (0, 0, 1024, 1024), (1024, 0, 1536, 1024)),
    ("⬆", "up", (1024, 1536), (0, 512, 1024, 1536), (0, 0, 1024, 512)),
    ("⬇", "down", (1024, 1536), (0, 0, 1024, 1024), (0, 1024, 1024, 1536)),
]


@pytest.mark.parametrize(("label", "direction", "size", "kept", "strip"), PANS)
async def test_pan_sends_a_larger_canvas_with_the_new_strip_transparent(
    slack_bot: SlackBot,
    slack: FakeSlack,
    gateway: FakeGateway,
    label: str,
    direction: str,
    size: tuple[int, int],
    kept: Box,
    strip: Box,
) -> None:
    seen, _ = await pressed_once(slack_bot, slack, gateway, label)
    (picture,), mask = edit_sent(seen)
    assert mask is not None and picture.size == mask.size == size
    assert seen.fields["size"] == f"{size[0]}x{size[1]}"
    assert alpha_range(mask, kept) == (255, 255) and alpha_range(mask, strip) == (0, 0)
    assert alpha_range(picture, strip) == (0, 0)
    await assert_charged_once_under_the_first(slack_bot, f"pan {direction}")


@pytest.mark.parametrize(
    ("label", "control", "prompt"),
    [
        ("Vary (Subtle)", "vary subtle", DEFAULT_SUBTLE_PROMPT),
        ("Vary (Strong)", "vary strong", DEFAULT_STRONG_PROMPT),
        ("Upscale", "upscale", controls.UPSCALE_PROMPT),
    ],
)
async def test_vary_and_upscale_send_the_result_itself_with_their_instruction(
    slack_bot: SlackBot,
    slack: FakeSlack,
    gateway: FakeGateway,
    label: str,
    control: str,
    prompt: str,
) -> None:
    seen, _ = await pressed_once(slack_bot, slack, gateway, label)
    _, mask = edit_sent(seen)
    first = uploaded_ids(slack, 0)[0]
    assert mask is None and seen.files("image[]")[0].data == slack.file_data[first]
    assert seen.fields["prompt"] == prompt
    model = slack_bot.handler.menu.info(slack_bot.handler.menu.choose(None))
    wanted = canvas.upscale_size(model, 1024, 1024) if control == "upscale" else "1024x1024"
    assert seen.fields["size"] == wanted
    await assert_charged_once_under_the_first(slack_bot, control)


async def assert_charged_once_under_the_first(bot: SlackBot, control: str) -> None:
    original, made = sorted(await bot.entries(), key=lambda e: e.parent_id is not None)
    assert made.parent_id == original.id and made.options.control == control
    assert (made.kind, made.status) == (controls.parse(control).kind, "succeeded")
    assert made.idempotency_key.startswith("slack:press:")
    mine = await bot.handler.usage(Actor("slack", TEAM, "C1", "U1"))
    assert mine.images_today == 2
    assert mine.cost_today_usd == pytest.approx(original.est_cost_usd + made.est_cost_usd)


async def test_a_double_press_of_zoom_runs_once_and_charges_once(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.command(SQUARE)
    [card] = await slack.wait_for(lambda: cards(slack))
    gateway.fail("delay", seconds=1.0)
    await asyncio.gather(
        slack_bot.interactive(click(card, "Zoom Out 2×", slack)),
        slack_bot.interactive(click(card, "Zoom Out 2×", slack)),
    )
    [told] = await slack.wait_for(lambda: slack.responses)
    await slack.wait_for(lambda: len(cards(slack)) == 2)
    await slack_bot.idle()
    assert told["text"] == PRESSED_AGAIN
    assert len(gateway.image_requests) == 2
    await assert_charged_once_under_the_first(slack_bot, "zoom 2")


async def test_a_control_button_works_after_a_restart(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    db = tmp_path / "imagine.db"
    async with running_bot(db, slack, gateway) as bot:
        await bot.command(SQUARE)
        [card] = await slack.wait_for(lambda: cards(slack))
    async with running_bot(db, slack, gateway) as bot:
        await bot.interactive(click(card, "⬅", slack))
        await slack.wait_for(lambda: len(cards(slack)) == 2)
        _, mask = edit_sent(gateway.image_requests[1])
        assert mask is not None and mask.size == (1536, 1024)
        await assert_charged_once_under_the_first(bot, "pan left")
        [panned] = [e for e in await bot.entries() if e.parent_id is not None]
    under_the_pan = buttons(cards(slack)[1])
    assert json.loads(under_the_pan["⬅"]["value"]) == {"r": panned.id, "f": uploaded_ids(slack, 1)}
