"""The limits editor writes through the handler: `imagine-bot limits show` sees the change,
the audit trail names who made it, and a bad value changes nothing."""

from __future__ import annotations

from pathlib import Path

from bot.models import Scope
from tests.fakes.gateway import FakeGateway
from tests.support import cli_env, run_cli
from tests.webfixtures import browser_page, needs_chromium, screenshot, web_bot

pytestmark = needs_chromium


async def test_a_limit_saved_in_the_form_is_what_the_cli_shows(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await page.goto(bot.web.admin_link("discord", "guild1", "admin1"))
        await page.click("nav >> text=Limits")
        workspace = page.locator('form.limits[data-scope="*"]')
        await workspace.locator('input[name="user_daily_images"]').fill("7")
        await workspace.locator('input[name="max_quality"]').fill("medium")
        await workspace.locator("button:has-text('Save')").click()
        await page.wait_for_selector("p.note")
        assert await page.inner_text("p.note") == "Saved. The change is in the audit trail."
        await page.fill('input[name="channel"]', "general")
        await page.click("button:has-text('Open')")
        channel = page.locator('form.limits[data-scope="general"]')
        await channel.locator('input[name="max_n"]').fill("2")
        await channel.locator("button:has-text('Save')").click()
        await page.wait_for_selector("p.note")
        await screenshot(page, "limits")
        env = cli_env(tmp_path)
        args = ("limits", "show", "--platform", "discord", "--workspace", "guild1")
        shown = await run_cli(*args, env=env, cwd=tmp_path)
        assert shown.code == 0, shown.err
        assert "user_daily_images = 7  (set here)" in shown.out
        assert "max_quality = medium  (set here)" in shown.out
        in_channel = await run_cli(*args, "--channel", "general", env=env, cwd=tmp_path)
        assert "max_n = 2  (set here)" in in_channel.out
        assert "user_daily_images = 7\n" in in_channel.out
        changes = await bot.app.store.limit_changes()
        assert [(c.scope.channel_id, c.key, c.new_value, c.changed_by) for c in changes] == [
            ("*", "user_daily_images", "7", "admin1"),
            ("*", "max_quality", "medium", "admin1"),
            ("general", "max_n", "2", "admin1"),
        ]


async def test_a_bad_value_is_named_and_nothing_is_changed(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await page.goto(bot.web.admin_link("discord", "guild1", "admin1"))
        await page.click("nav >> text=Limits")
        form = page.locator('form.limits[data-scope="*"]')
        await form.locator('input[name="max_n"]').fill("3")
        await form.locator('input[name="user_daily_images"]').fill("lots")
        await form.locator("button:has-text('Save')").click()
        await page.wait_for_selector("section.refusal")
        await screenshot(page, "limits-refused")
        assert await page.inner_text("h1") == "That did not work"
        assert await page.inner_text("section.refusal") == (
            "user_daily_images must be a whole number, not 'lots'."
        )
        assert await bot.app.store.get_limits(
            Scope("discord", "guild1")
        ) == await bot.app.store.get_limits(Scope("discord", "nowhere"))
        assert await bot.app.store.limit_changes() == []
