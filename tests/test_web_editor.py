"""The Vary Region editor in Chromium: the painted half becomes the mask's transparent half,
the edit is charged once and posted where the original was; nothing painted, nothing sent."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from playwright.async_api import Page

from bot.models import Actor, ImageRequest, Options, Result
from bot.web.platforms import Origin
from tests.fakes.gateway import FakeGateway
from tests.webfixtures import WebBot, browser_page, needs_chromium, screenshot, web_bot

pytestmark = needs_chromium

ARTIST = Actor("discord", "guild1", "general", "artist")
SIDE = 1024
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def delivered_result(bot: WebBot) -> Result:
    """A 1024x1024 image made through the fake gateway and delivered (so no longer kept)."""
    request = ImageRequest(
        "generate", "a red balloon", ARTIST, "gen-1", options=Options(size=f"{SIDE}x{SIDE}")
    )
    result = await bot.app.handler.generate(request)

    async def posted() -> None:
        return None

    await bot.app.handler.deliver(result, posted, again="")
    assert await bot.app.store.kept_results(result.request_id) == ()
    return result


async def open_editor(bot: WebBot, gateway: FakeGateway, page: Page) -> Result:
    """A delivered result of the artist's, its editor link open (shown from the chat's copy)."""
    result = await delivered_result(bot)
    origin = Origin("discord", "guild1", "general")
    image = f"{gateway.origin}/files/{SIDE}x{SIDE}.png"
    await page.goto(bot.web.editor_link(origin, result.request_id, "artist", image))
    await page.wait_for_function(f"() => document.getElementById('paint').width === {SIDE}")
    return result


async def paint_left_half(page: Page) -> None:
    """Vertical strokes of a wide brush from the left edge to the middle, top to bottom."""
    await page.locator("#brush").fill("80")
    box = await page.locator("#paint").bounding_box()
    assert box is not None
    brush, half = 80.0, box["width"] / 2
    x = brush / 2
    while True:
        column = box["x"] + min(x, half - brush / 2)
        await page.mouse.move(column, box["y"] + 1)
        await page.mouse.down()
        await page.mouse.move(column, box["y"] + box["height"] + 40, steps=12)
        await page.mouse.up()
        if x >= half - brush / 2:
            return
        x += brush * 0.75


async def test_painting_the_left_half_sends_that_half_as_the_mask_and_charges_once(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        result = await open_editor(bot, gateway, page)
        await paint_left_half(page)
        await page.fill("#prompt", "a kite in a blue sky")
        await screenshot(page, "editor")
        await page.click("#send")
        await page.wait_for_selector("section.done")
        await screenshot(page, "editor-sent")
        text = await page.inner_text("section.done")
        assert text.startswith(f"Your new image is posted in {bot.posted}: 1 image ($")
        edits = [r for r in gateway.image_requests if r.path.endswith("/edits")]
        assert len(edits) == 1
        assert edits[0].form["prompt"] == "a kite in a blue sky"
        (mask,) = edits[0].files("mask")
        alpha = Image.open(io.BytesIO(mask.data)).convert("RGBA").getchannel("A")
        assert alpha.size == (SIDE, SIDE)
        edge = SIDE // 2
        assert alpha.crop((0, 0, edge - 4, SIDE)).getextrema() == (0, 0)
        assert alpha.crop((edge + 4, 0, SIDE, SIDE)).getextrema() == (255, 255)
        rows = [e async for e in bot.app.store.export(*EVER)]
        edit_rows = [e for e in rows if e.kind == "edit"]
        assert [(e.status, e.delivery, e.user_id, e.parent_id) for e in edit_rows] == [
            ("succeeded", "delivered", "artist", result.request_id)
        ]
        assert edit_rows[0].est_cost_usd > 0
        assert len(list(bot.posted.iterdir())) == 1


async def test_nothing_painted_sends_nothing_and_charges_nothing(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await open_editor(bot, gateway, page)
        await page.fill("#prompt", "a kite")
        await page.click("#send")
        await page.wait_for_selector("section.refusal")
        assert await page.inner_text("section.refusal") == (
            "Nothing was painted. You were not charged. "
            "Paint over the part of the image that should change."
        )
        assert [r.path for r in gateway.image_requests] == ["/v1/images/generations"]
        rows = [e async for e in bot.app.store.export(*EVER)]
        assert [e.kind for e in rows] == ["generate"]
        dashboard = await page.goto(f"{bot.url}/web/")  # an editor link opens no dashboard
        assert dashboard is not None and dashboard.status == 401


PAINTED_AT = """([x, y]) => document.getElementById("paint").getContext("2d")
    .getImageData(x, y, 1, 1).data[3] > 0"""


async def stroke(page: Page, x: float, *, finger: bool = False) -> None:
    """One vertical stroke down the canvas at `x` (0..1 of its width), by mouse or finger."""
    box = await page.locator("#paint").bounding_box()
    assert box is not None
    column = box["x"] + box["width"] * x
    ys = [box["y"] + box["height"] * step / 10 for step in range(1, 10)]
    if not finger:
        await page.mouse.move(column, ys[0])
        await page.mouse.down()
        for y in ys[1:]:
            await page.mouse.move(column, y)
        await page.mouse.up()
        return
    cdp = await page.context.new_cdp_session(page)
    touches = [("touchStart", ys[0])] + [("touchMove", y) for y in ys[1:]]
    for kind, y in touches:
        point = {"x": column, "y": y}
        await cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def test_a_finger_paints_and_undo_eraser_and_clear_take_paint_away(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page(touch=True) as page:
        await open_editor(bot, gateway, page)
        left, right = [SIDE // 4, SIDE // 2], [3 * SIDE // 4, SIDE // 2]
        await stroke(page, 0.25, finger=True)
        assert await page.evaluate(PAINTED_AT, left)
        assert not await page.evaluate(PAINTED_AT, right)
        await page.click("#undo")
        assert not await page.evaluate(PAINTED_AT, left)
        await stroke(page, 0.25)
        await page.click("#mode-erase")
        assert await page.get_attribute("#mode-erase", "aria-pressed") == "true"
        await stroke(page, 0.25)
        assert not await page.evaluate(PAINTED_AT, left)
        await page.click("#mode-paint")
        await stroke(page, 0.75)
        assert await page.evaluate(PAINTED_AT, right)
        await page.click("#clear")
        assert not await page.evaluate(PAINTED_AT, right)


async def test_an_image_the_chat_no_longer_has_gets_a_clear_page(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        result = await delivered_result(bot)
        origin = Origin("discord", "guild1", "general")
        link = bot.web.editor_link(origin, result.request_id, "artist", f"{gateway.origin}/gone")
        await page.goto(link)
        await page.wait_for_selector("section.refusal")
        await screenshot(page, "editor-gone")
        assert await page.inner_text("h1") == "This image cannot be read any more"
        assert "Press Vary Region under the image again" in await page.inner_text("main")
        answer = await page.request.get(f"{bot.url}/web/edit/image")
        assert answer.status == 410
