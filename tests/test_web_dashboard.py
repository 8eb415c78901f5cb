"""The dashboard in a real browser: its bars are the ledger's, its pages show one workspace."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.handler import utcnow
from bot.models import Limits, Scope
from bot.web.charts import PLOT_H
from bot.web.figures import Month
from tests.fakes.gateway import FakeGateway
from tests.storefixtures import actor
from tests.webfixtures import WebBot, browser_page, needs_chromium, screenshot, seed, web_bot

pytestmark = needs_chromium

GAUGES = """els => els.map(e => [e.querySelector("strong").textContent,
    e.querySelector(".budget-head span").textContent,
    Number(e.querySelector("rect[data-used]").dataset.used),
    Number(e.querySelector("rect[data-used]").dataset.limit)])"""
BARS = """els => els.map(e => [Number(e.dataset.day), Number(e.dataset.value),
    Number(e.getAttribute("height"))])"""


async def seed_two_months(bot: WebBot, tz: tzinfo = UTC) -> dict[str, dict[object, float]]:
    """Rows in guild1 over this month and the last (by the clock of `tz`), one row of guild2;
    the expected sums by series and local day, and today's (by the clock of `tz`, as the day
    budgets count: "today") by (person, 'images') and (channel, 'cost')."""
    now = utcnow()
    month = Month.of(now, tz)
    prev = month.previous()
    first = month.start + timedelta(minutes=5)
    today = max(first, now - timedelta(minutes=1))
    rows = [
        (first, "alice", "general", 2, 0.10, "openai/gpt-image-2"),
        (first, "bob", "art", 1, 0.053, "openai/gpt-image-2"),
        (today, "alice", "general", 1, 0.20, "openai/gpt-image-2"),
        (prev.start + timedelta(days=2), "alice", "general", 3, 0.30, "openai/gpt-image-2"),
        (prev.start + timedelta(days=14), "carol", "art", 1, 0.02, "openai/gpt-image-1"),
    ]
    expected: dict[str, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    for at, user, channel, images, cost, model in rows:
        await seed(
            bot.app.store, at, user=user, channel=channel, images=images, cost=cost, model=model
        )
        which = "current" if at >= month.start else "previous"
        expected[f"cost-{which}"][at.astimezone(tz).day] += cost
        expected[f"images-{which}"][at.astimezone(tz).day] += images
        if at.astimezone(tz).date() == now.astimezone(tz).date():
            expected["today"][(user, "images")] += images
            expected["today"][(channel, "cost")] += cost
    await seed(bot.app.store, today, user="alice", failed=True)
    await seed(bot.app.store, first, user="mallory", workspace="guild2", images=5, cost=9.99)
    return expected


@pytest.mark.parametrize("timezone", [None, "Pacific/Auckland"])
async def test_the_bars_are_the_ledger_of_that_workspace_only(
    tmp_path: Path, gateway: FakeGateway, timezone: str | None
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        limits = {"user_daily_images": "5", "channel_daily_cost_usd": "1.50"}
        if timezone is not None:
            limits["timezone"] = timezone
        await bot.app.handler.set_limits(Scope("discord", "guild1"), limits, "admin1")
        expected = await seed_two_months(bot, ZoneInfo(timezone or "UTC"))
        await page.goto(bot.web.admin_link("discord", "guild1", "admin1"))
        await page.wait_for_selector("svg.chart")
        await screenshot(page, f"dashboard-{timezone or 'utc'}".replace("/", "-"))
        charts = page.locator("svg.chart")
        for index, metric in enumerate(("cost", "images")):
            top = float(await charts.nth(index).get_attribute("data-top") or "0")
            for month in ("current", "previous"):
                series = f"{metric}-{month}"
                bars = (
                    await charts.nth(index)
                    .locator(f'rect[data-series="{series}"]')
                    .evaluate_all(BARS)
                )
                assert bars, series
                for day, value, height in bars:
                    want = expected[series].get(day, 0.0)
                    assert value == pytest.approx(want), (series, day)
                    assert height == pytest.approx(PLOT_H * want / top, abs=0.01), (series, day)
        gauges = await page.locator(".budget").evaluate_all(GAUGES)
        shown = {(title, holder): (used, limit) for title, holder, used, limit in gauges}
        today = expected["today"]
        for user in ("alice", "bob"):
            if (user, "images") in today:
                images = today[(user, "images")]
                assert shown[("Images a day", f"person {user}")] == (images, 5.0)
        for channel in ("general", "art"):
            if (channel, "cost") in today:
                cost = shown[("Spend a day", f"channel {channel}")]
                assert cost == pytest.approx((today[(channel, "cost")], 1.5))
        assert len(shown) == len(today)
        text = await page.inner_text("main")
        assert "mallory" not in text and "9.99" not in text
        assert "$0.353" in text  # this month: 0.10 + 0.053 + 0.20, guild2's $9.99 left out
        assert "Top people" in text and "bob" in text


async def test_the_ledger_filters_and_downloads_only_that_workspace(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await seed_two_months(bot)
        await seed(bot.app.store, utcnow(), user="alice", prompt=None)
        await page.goto(bot.web.admin_link("discord", "guild1", "admin1"))
        await page.click("text=Ledger")
        await page.fill('input[name="person"]', "alice")
        await page.click("button:has-text('Filter')")
        rows = page.locator("tbody tr")
        await screenshot(page, "ledger")
        cells = await rows.evaluate_all("rs => rs.map(r => r.children[1].textContent)")
        assert cells and set(cells) == {"alice"}
        prompts = await rows.evaluate_all("rs => rs.map(r => r.children[8].textContent)")
        assert sorted(prompts) == ["a prompt of alice"] * (len(cells) - 1) + ["not kept"]
        statuses = await rows.evaluate_all("rs => rs.map(r => r.children[5].textContent)")
        assert "failed: moderation_blocked" in statuses
        async with page.expect_download() as info:
            await page.click("text=Download CSV")
        download = await info.value
        data = await asyncio.to_thread(Path(await download.path()).read_text)
        table = list(csv.DictReader(io.StringIO(data)))
        assert len(table) == len(cells)
        assert {(r["workspace_id"], r["user_id"]) for r in table} == {("guild1", "alice")}


async def test_the_alerts_sent_are_that_workspaces_newest_first(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await page.goto(bot.web.admin_link("discord", "guild1", "admin1"))
        assert await page.inner_text("section.alerts p.quiet") == (
            "No budget alert has been sent for this workspace yet. One goes to the "
            "alert_channel (and the alert webhook) when a budget crosses a threshold of alert_at."
        )
        sent = [  # (who, key, threshold, when)
            (actor(), "user_weekly_images", 80, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
            (actor(), "channel_daily_images", 100, datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
            (actor(), "workspace_monthly_cost_usd", 50, datetime(2026, 10, 15, 8, 0, tzinfo=UTC)),
            (actor(), "bot_daily_images", 90, datetime(2026, 9, 2, 7, 0, tzinfo=UTC)),
            (
                actor(workspace="guild2"),
                "workspace_monthly_cost_usd",
                90,
                datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
            ),
        ]
        for who, key, threshold, when in sent:
            assert await bot.app.store.claim_alert(who, key, threshold, Limits(), when)
        await page.reload()
        rows = page.locator("section.alerts tbody tr")
        await screenshot(page, "dashboard-alerts")
        cells = await rows.evaluate_all(
            "rs => rs.map(r => [...r.children].map(c => c.textContent))"
        )
        assert cells == [
            [
                "2026-12-01 10:00 UTC",
                "Images per channel per day · channel general channel_daily_images",
                "100 %",
                "Tue 1 Dec 2026",
            ],
            [
                "2026-11-30 09:00 UTC",
                "Images per person per week · person alice user_weekly_images",
                "80 %",
                "the week from Mon 30 Nov 2026",
            ],
            [
                "2026-10-15 08:00 UTC",
                "Dollars per workspace per month · the workspace workspace_monthly_cost_usd",
                "50 %",
                "October 2026",
            ],
            [
                "2026-09-02 07:00 UTC",
                "Images for the bot per day · the whole installation bot_daily_images",
                "90 %",
                "Wed 2 Sep 2026",
            ],
        ]
